"""POST /v1/customers/{customer}/balance_transactions: post an adjustment onto the customer's chain."""

from typing import Any

from ledger import balance_transactions
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import CreateBalanceTransaction


@operation(CreateBalanceTransaction)
def lambda_handler(request: ApiRequest[CreateBalanceTransaction]) -> dict[str, Any]:
    change = balance_transactions.create(request.caller, request.path["customer"], request.params)
    assert change.transaction is not None
    return rendering.balance_transaction(change.transaction, change.customer, request.params.expand)
