"""POST /v1/webhook_endpoints/{webhook_endpoint}: change its url, events, description or metadata, or
disable it."""

from ledger import webhook_endpoints
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import WebhookEndpointRecord
from ledger.params import UpdateWebhookEndpoint


@operation(UpdateWebhookEndpoint, rendering.webhook_endpoint_view, response="webhook_endpoint",
           sample={"enabled_events": ["*"], "metadata": {"team": "billing"}})
def lambda_handler(request: ApiRequest[UpdateWebhookEndpoint]) -> WebhookEndpointRecord:
    return webhook_endpoints.update(request.caller, request.path["webhook_endpoint"], request.params, request.claim)
