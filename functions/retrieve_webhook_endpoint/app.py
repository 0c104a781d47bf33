"""GET /v1/webhook_endpoints/{webhook_endpoint}: one endpoint (without its secret)."""

from ledger import webhook_endpoints
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import WebhookEndpointRecord
from ledger.params import RetrieveWebhookEndpoint


@operation(RetrieveWebhookEndpoint, rendering.webhook_endpoint_view, response="webhook_endpoint")
def lambda_handler(request: ApiRequest[RetrieveWebhookEndpoint]) -> WebhookEndpointRecord:
    return webhook_endpoints.retrieve(request.caller, request.path["webhook_endpoint"])
