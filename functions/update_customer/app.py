"""POST /v1/customers/{customer}: a changed balance records an adjustment for the difference."""

from ledger import chain, customers
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.params import UpdateCustomer


@operation(UpdateCustomer, rendering.customer_change, response="customer",
           sample={"name": "Jenny R. Rosen", "metadata": {"tier": "gold"}})
def lambda_handler(request: ApiRequest[UpdateCustomer]) -> chain.Change:
    return customers.update(request.caller, request.path["customer"], request.params, request.claim)
