"""GET /v1/customers/{customer}: a deleted customer answers Stripe's deleted object."""

from typing import Any

from ledger import customers
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import RetrieveCustomer


@operation(RetrieveCustomer)
def lambda_handler(request: ApiRequest[RetrieveCustomer]) -> dict[str, Any]:
    customer = customers.retrieve(request.caller, request.path["customer"])
    return rendering.customer(customer, request.params.expand)
