"""GET /v1/webhook_endpoints: the mode's endpoints, newest first (without their secrets)."""

from ledger import webhook_endpoints
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import Page
from ledger.params import ListWebhookEndpoints


@operation(ListWebhookEndpoints, rendering.webhook_endpoint_page, response="WebhookEndpointList",
           sample={"limit": 3})
def lambda_handler(request: ApiRequest[ListWebhookEndpoints]) -> Page:
    return webhook_endpoints.list_page(request.caller, request.params)
