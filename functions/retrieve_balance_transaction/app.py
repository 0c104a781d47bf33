"""GET /v1/customers/{customer}/balance_transactions/{transaction}"""

from ledger import balance_transactions
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import BalanceTransactionRecord, CustomerRecord
from ledger.params import RetrieveBalanceTransaction


@operation(RetrieveBalanceTransaction, rendering.transaction_view, response="customer_balance_transaction",
           sample={"expand": ["customer"]})
def lambda_handler(request: ApiRequest[RetrieveBalanceTransaction]) -> tuple[BalanceTransactionRecord, CustomerRecord]:
    return balance_transactions.retrieve(request.caller, request.path["customer"], request.path["transaction"])
