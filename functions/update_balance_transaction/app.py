"""POST /v1/customers/{customer}/balance_transactions/{transaction}: description and metadata only."""

from ledger import balance_transactions, chain
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.params import UpdateBalanceTransaction


@operation(UpdateBalanceTransaction, rendering.transaction_change, response="customer_balance_transaction",
           sample={"metadata": {"order_id": "6735"}, "description": "Refund for order 6735"})
def lambda_handler(request: ApiRequest[UpdateBalanceTransaction]) -> chain.Change:
    return balance_transactions.update(
        request.caller, request.path["customer"], request.path["transaction"], request.params, request.claim)
