"""GET /v1/customers/{customer}/balance_transactions: newest first, cursor-paginated."""

from ledger import balance_transactions
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import Page
from ledger.params import ListBalanceTransactions


@operation(ListBalanceTransactions, rendering.transaction_page, response="CustomerBalanceTransactionList",
           sample={"limit": 3})
def lambda_handler(request: ApiRequest[ListBalanceTransactions]) -> Page:
    return balance_transactions.list_page(request.caller, request.path["customer"], request.params)
