"""POST /v1/webhook_endpoints: a new endpoint, its signing secret shown in this response only."""

from ledger import webhook_endpoints
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import WebhookEndpointRecord
from ledger.params import CreateWebhookEndpoint


@operation(CreateWebhookEndpoint, rendering.webhook_endpoint_creation, response="webhook_endpoint",
           sample={"url": "https://example.com/webhooks", "enabled_events": ["customer.created", "customer.updated"],
                   "description": "Sample receiver"})
def lambda_handler(request: ApiRequest[CreateWebhookEndpoint]) -> WebhookEndpointRecord:
    return webhook_endpoints.create(request.caller, request.params, request.claim)
