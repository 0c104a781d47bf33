"""GET /v1/events: the last 30 days' events, newest first, filters `type`, `types` and `created`."""

from ledger import events
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import Page
from ledger.params import ListEvents


@operation(ListEvents, rendering.event_page, response="EventList",
           sample={"limit": 3, "type": "customer.updated"})
def lambda_handler(request: ApiRequest[ListEvents]) -> Page:
    return events.list_page(request.caller, request.params)
