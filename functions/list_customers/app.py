"""GET /v1/customers: newest first, filters `email` and `created`, from an index (no Scan)."""

from ledger import customers
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.models import Page
from ledger.params import ListCustomers


@operation(ListCustomers, render=rendering.customer_page)
def lambda_handler(request: ApiRequest[ListCustomers]) -> Page:
    return customers.list_page(request.caller, request.params)
