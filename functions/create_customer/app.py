"""POST /v1/customers"""

from typing import Any

from ledger import customers
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import CreateCustomer


@operation(CreateCustomer)
def lambda_handler(request: ApiRequest[CreateCustomer]) -> dict[str, Any]:
    change = customers.create(request.caller, request.params)
    return rendering.customer(change.customer, request.params.expand)
