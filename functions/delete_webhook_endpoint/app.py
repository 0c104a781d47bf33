"""DELETE /v1/webhook_endpoints/{webhook_endpoint}: no event is sent to it any more."""

from ledger import webhook_endpoints
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import WebhookEndpointRecord
from ledger.params import DeleteWebhookEndpoint


@operation(DeleteWebhookEndpoint, rendering.webhook_endpoint_deletion, response="deleted_webhook_endpoint")
def lambda_handler(request: ApiRequest[DeleteWebhookEndpoint]) -> WebhookEndpointRecord:
    return webhook_endpoints.delete(request.caller, request.path["webhook_endpoint"], request.claim)
