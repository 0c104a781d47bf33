"""GET /v1/customers: newest first, filters `email` and `created`, from an index (no Scan)."""

from typing import Any

from ledger import customers
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import ListCustomers


@operation(ListCustomers)
def lambda_handler(request: ApiRequest[ListCustomers]) -> dict[str, Any]:
    page = customers.list_page(request.caller, request.params)
    return rendering.customer_list(page, request.params.expand)
