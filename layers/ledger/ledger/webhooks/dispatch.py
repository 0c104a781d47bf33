"""New events to their deliveries: one queued delivery per endpoint that wants the event, and one entry
on the EventBridge bus. Runs on the table's stream (inserts of event items), never on a request path."""

from typing import Any

from ledger import wire
from ledger.api import rendering
from ledger.config import settings
from ledger.dal import deliveries, webhook_endpoints
from ledger.dal.events import inserted_event
from ledger.models import EventRecord, Mode, WebhookEndpointRecord
from ledger.observability import count


class Dispatcher:
    """Dispatches the events of one batch of stream records, reading each mode's endpoints once.

    A record handled again (its batch failed further on) may queue its deliveries twice: an endpoint
    then receives the event twice, as Stripe's endpoints may (receivers deduplicate on the event id)."""

    def __init__(self) -> None:
        self.endpoints: dict[Mode, list[WebhookEndpointRecord]] = {}

    def __call__(self, record: dict[str, Any]) -> None:
        event = inserted_event(record)
        if event is None:
            return
        if event.mode not in self.endpoints:
            self.endpoints[event.mode] = webhook_endpoints.all_endpoints(event.mode)
        queued = _dispatch(event, [e for e in self.endpoints[event.mode] if e.wants(event.type)])
        count("WebhookDeliveriesQueued", queued)


def _dispatch(event: EventRecord, wanting: list[WebhookEndpointRecord]) -> int:
    config = settings()
    if wanting:
        deliveries.set_pending(event, len(wanting))
        event = event.model_copy(update={"pending_webhooks": len(wanting)})
    if config.event_bus_name:
        deliveries.publish(config.event_bus_name, [{"type": event.type, "detail": wire.dumps(rendering.event(event))}])
    if wanting and config.deliveries_queue_url:
        deliveries.enqueue(config.deliveries_queue_url,
                           [{"mode": event.mode, "event": event.id, "endpoint": e.id} for e in wanting])
    return len(wanting) if config.deliveries_queue_url else 0
