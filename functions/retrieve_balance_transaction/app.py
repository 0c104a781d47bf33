"""GET /v1/customers/{customer}/balance_transactions/{transaction}"""

from ledger import balance_transactions
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.models import BalanceTransactionRecord, CustomerRecord
from ledger.params import RetrieveBalanceTransaction


@operation(RetrieveBalanceTransaction, render=rendering.transaction_view)
def lambda_handler(request: ApiRequest[RetrieveBalanceTransaction]) -> tuple[BalanceTransactionRecord, CustomerRecord]:
    return balance_transactions.retrieve(request.caller, request.path["customer"], request.path["transaction"])
