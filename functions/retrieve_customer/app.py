"""GET /v1/customers/{customer}: a deleted customer answers Stripe's deleted object."""

from ledger import customers
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.models import CustomerRecord
from ledger.params import RetrieveCustomer


@operation(RetrieveCustomer, render=rendering.customer_view)
def lambda_handler(request: ApiRequest[RetrieveCustomer]) -> CustomerRecord:
    return customers.retrieve(request.caller, request.path["customer"])
