"""POST /v1/customers"""

from ledger import chain, customers
from ledger.api import rendering
from ledger.api.handler import ApiRequest, operation
from ledger.params import CreateCustomer


@operation(CreateCustomer, render=rendering.customer_change)
def lambda_handler(request: ApiRequest[CreateCustomer]) -> chain.Change:
    return customers.create(request.caller, request.params, request.claim)
