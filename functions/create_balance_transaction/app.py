"""POST /v1/customers/{customer}/balance_transactions: post an adjustment onto the customer's chain."""

from ledger import balance_transactions, chain
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.params import CreateBalanceTransaction


@operation(CreateBalanceTransaction, rendering.transaction_change, response="customer_balance_transaction",
           sample={"amount": -500, "currency": "usd", "description": "Loyalty credit",
                   "metadata": {"order_id": "6735"}})
def lambda_handler(request: ApiRequest[CreateBalanceTransaction]) -> chain.Change:
    return balance_transactions.create(request.caller, request.path["customer"], request.params, request.claim)
