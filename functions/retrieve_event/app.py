"""GET /v1/events/{id}: one event of the last 30 days."""

from ledger import events
from ledger.api import rendering
from ledger.api.operation import ApiRequest, operation
from ledger.models import EventRecord
from ledger.params import RetrieveEvent


@operation(RetrieveEvent, rendering.event_view, response="event")
def lambda_handler(request: ApiRequest[RetrieveEvent]) -> EventRecord:
    return events.retrieve(request.caller, request.path["id"])
