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


class Undispatched(Exception):
    """A stream record whose event could not be dispatched: the stream is retried from it."""

    def __init__(self, sequence_number: str) -> None:
        super().__init__(f"the event of stream record {sequence_number} was not dispatched")
        self.sequence_number = sequence_number


def dispatch(records: list[dict[str, Any]]) -> int:
    """Dispatch the event each record reports stored, in order; returns how many deliveries were
    queued. Stops at the first record that fails (Undispatched names it): its retry may queue some of its
    deliveries twice, and an endpoint then receives the event twice, as Stripe's endpoints may
    (receivers deduplicate on the event id)."""
    endpoints: dict[Mode, list[WebhookEndpointRecord]] = {}
    queued = 0
    try:
        for record in records:
            try:
                event = inserted_event(record)
                if event is None:
                    continue
                if event.mode not in endpoints:
                    endpoints[event.mode] = webhook_endpoints.all_endpoints(event.mode)
                queued += _dispatch(event, [e for e in endpoints[event.mode] if e.wants(event.type)])
            except Exception as failure:
                count("EventDispatchFailures")
                raise Undispatched(record["dynamodb"]["SequenceNumber"]) from failure
    finally:
        count("WebhookDeliveriesQueued", queued)
    return queued


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
