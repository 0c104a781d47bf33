"""DELETE /v1/customers/{customer}: the customer is marked deleted; its ledger is kept."""

from typing import Any

from ledger import customers
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import DeleteCustomer


@operation(DeleteCustomer)
def lambda_handler(request: ApiRequest[DeleteCustomer]) -> dict[str, Any]:
    customer = customers.delete(request.caller, request.path["customer"])
    return rendering.deleted_customer(customer.id)
