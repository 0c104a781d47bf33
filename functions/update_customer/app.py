"""POST /v1/customers/{customer}: a changed balance records an adjustment for the difference."""

from typing import Any

from ledger import customers
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import UpdateCustomer


@operation(UpdateCustomer)
def lambda_handler(request: ApiRequest[UpdateCustomer]) -> dict[str, Any]:
    change = customers.update(request.caller, request.path["customer"], request.params)
    return rendering.customer(change.customer, request.params.expand)
