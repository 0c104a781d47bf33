"""POST /v1/customers/{customer}/balance_transactions/{transaction}: description and metadata only."""

from typing import Any

from ledger import balance_transactions
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import UpdateBalanceTransaction


@operation(UpdateBalanceTransaction)
def lambda_handler(request: ApiRequest[UpdateBalanceTransaction]) -> dict[str, Any]:
    transaction, customer = balance_transactions.update(
        request.caller, request.path["customer"], request.path["transaction"], request.params)
    return rendering.balance_transaction(transaction, customer, request.params.expand)
