"""GET /v1/customers: newest first, filters `email` and `created`, from an index (no Scan)."""

from ledger import customers
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import Page
from ledger.params import ListCustomers


@operation(ListCustomers, rendering.customer_page, response="CustomerList",
           sample={"limit": 3, "email": "jenny.rosen@example.com"})
def lambda_handler(request: ApiRequest[ListCustomers]) -> Page:
    return customers.list_page(request.caller, request.params)
