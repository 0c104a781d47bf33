"""POST /v1/customers"""

from ledger import chain, customers
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.params import CreateCustomer


@operation(CreateCustomer, rendering.customer_change, response="customer",
           sample={"name": "Jenny Rosen", "email": "jenny.rosen@example.com", "balance": -1000})
def lambda_handler(request: ApiRequest[CreateCustomer]) -> chain.Change:
    return customers.create(request.caller, request.params, request.claim)
