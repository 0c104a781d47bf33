"""GET /v1/customers/{customer}: a deleted customer answers Stripe's deleted object."""

from ledger import customers
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import CustomerRecord
from ledger.params import RetrieveCustomer


@operation(RetrieveCustomer, rendering.customer_view, response="customer_or_deleted",
           sample={"expand": ["invoice_credit_balance"]})
def lambda_handler(request: ApiRequest[RetrieveCustomer]) -> CustomerRecord:
    return customers.retrieve(request.caller, request.path["customer"])
