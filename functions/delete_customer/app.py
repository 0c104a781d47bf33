"""DELETE /v1/customers/{customer}: the customer is marked deleted; its ledger is kept."""

from ledger import chain, customers
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.params import DeleteCustomer


@operation(DeleteCustomer, rendering.customer_deletion, response="deleted_customer")
def lambda_handler(request: ApiRequest[DeleteCustomer]) -> chain.Change:
    return customers.delete(request.caller, request.path["customer"], request.claim)
