"""GET /v1/customers/{customer}/balance_transactions: newest first, cursor-paginated."""

from typing import Any

from ledger import balance_transactions
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import ListBalanceTransactions


@operation(ListBalanceTransactions)
def lambda_handler(request: ApiRequest[ListBalanceTransactions]) -> dict[str, Any]:
    customer_id = request.path["customer"]
    page = balance_transactions.list_page(request.caller, customer_id, request.params)
    url = f"/v1/customers/{customer_id}/balance_transactions"
    return rendering.balance_transaction_list(page, url, request.params.expand)
