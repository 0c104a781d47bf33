"""GET /v1/customers/{customer}/balance_transactions: newest first, cursor-paginated."""

from ledger import balance_transactions
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.models import Page
from ledger.params import ListBalanceTransactions


@operation(ListBalanceTransactions, render=rendering.transaction_page)
def lambda_handler(request: ApiRequest[ListBalanceTransactions]) -> Page:
    return balance_transactions.list_page(request.caller, request.path["customer"], request.params)
