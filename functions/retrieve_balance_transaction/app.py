"""GET /v1/customers/{customer}/balance_transactions/{transaction}"""

from typing import Any

from ledger import balance_transactions
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import RetrieveBalanceTransaction


@operation(RetrieveBalanceTransaction)
def lambda_handler(request: ApiRequest[RetrieveBalanceTransaction]) -> dict[str, Any]:
    transaction, customer = balance_transactions.retrieve(
        request.caller, request.path["customer"], request.path["transaction"])
    return rendering.balance_transaction(transaction, customer, request.params.expand)
