"""POST /v1/customers/{customer}/balance_transactions/{transaction}: description and metadata only."""

from ledger import balance_transactions, chain
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import UpdateBalanceTransaction


@operation(UpdateBalanceTransaction, render=rendering.transaction_change)
def lambda_handler(request: ApiRequest[UpdateBalanceTransaction]) -> chain.Change:
    return balance_transactions.update(
        request.caller, request.path["customer"], request.path["transaction"], request.params, request.claim)
