"""POST /v1/customers/{customer}/balance_transactions: post an adjustment onto the customer's chain."""

from ledger import balance_transactions, chain
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import CreateBalanceTransaction


@operation(CreateBalanceTransaction, render=rendering.transaction_change)
def lambda_handler(request: ApiRequest[CreateBalanceTransaction]) -> chain.Change:
    return balance_transactions.create(request.caller, request.path["customer"], request.params, request.claim)
