"""One attempt of one delivery (an event to an endpoint), and what follows from its outcome."""

import json
import os
from typing import Any

from ledger import clock, wire
from ledger.api import rendering
from ledger.config import settings
from ledger.dal import deliveries, webhook_endpoints
from ledger.dal.events import find_event
from ledger.models import WebhookEndpointRecord
from ledger.observability import count, logger
from ledger.webhooks import signing, transport

RETRY_WINDOW_S = 3 * 24 * 3600  # Stripe retries a live event's deliveries for up to three days
DISABLE_AFTER_S = 3 * 24 * 3600  # an endpoint whose deliveries have all failed this long is disabled
# The longest pause between attempts: SQS refuses a visibility that ends more than 12 hours after the
# message was received, and the function sets it a little after (its timeout at most).
VISIBILITY_MAX_S = 12 * 3600 - 300


def on_aws() -> bool:
    """In a real Lambda environment (its runtime API is set), where even test-mode deliveries must not
    reach the runtime API on loopback or another private address; the local run may (a developer's
    receiver)."""
    return bool(os.environ.get("AWS_LAMBDA_RUNTIME_API"))


def attempt_each(messages: list[dict[str, Any]]) -> list[str]:
    """One attempt per SQS message; returns the ids of those to try again, each already paused for its
    backoff (its visibility)."""
    again = []
    for message in messages:
        pause_s = attempt(message["body"], int(message["attributes"]["ApproximateReceiveCount"]))
        if pause_s is None:
            continue
        queue_url = settings().deliveries_queue_url
        if queue_url:  # unset only when invoked by hand (`sam local invoke`): no queue to pause in
            deliveries.retry_later(queue_url, message["receiptHandle"], pause_s)
        again.append(message["messageId"])
    return again


def attempt(body: str, receive_count: int) -> int | None:
    """Deliver once. Returns None when the delivery is over (delivered; nothing left to deliver: the
    endpoint or the event is gone, or the endpoint was disabled; or given up, dead-lettered, after
    three days or when this failure disables the endpoint), else the pause in seconds before the next
    attempt."""
    delivery: dict[str, Any] = json.loads(body)
    endpoint = webhook_endpoints.get_endpoint(delivery["mode"], delivery["endpoint"])
    event = find_event(delivery["mode"], delivery["event"])
    if endpoint is None or event is None:  # deleted, or past the events' retention: nothing to deliver
        count("WebhookDeliveriesDropped")
        return None
    if endpoint.disabled:  # kept, so that once the endpoint is enabled again a redrive delivers it
        _dead_letter(delivery, None, "endpoint disabled")
        return None
    payload = wire.dumps(rendering.event(event))
    now = clock.now()
    status = transport.post(endpoint.url, payload, {"Stripe-Signature": signing.header(payload, endpoint.secret, now)},
                            settings().webhook_timeout_s, public_only=endpoint.mode == "live" or on_aws())
    logger.info("webhook delivery", extra={"event": event.id, "endpoint": endpoint.id, "status": status,
                                           "attempt": receive_count})
    if status is not None and 200 <= status < 300:
        count("WebhookDeliveries")
        deliveries.delivered(event)
        _record_health(endpoint, None)
        return None
    count("WebhookDeliveryFailures")
    disabled = _record_health(endpoint, now).disabled
    if disabled or now - event.created >= RETRY_WINDOW_S:  # never delivered: kept for a redrive
        _dead_letter(delivery, status, "endpoint disabled" if disabled else "three days")
        return None
    return backoff_s(receive_count)


def _dead_letter(delivery: dict[str, Any], status: int | None, reason: str) -> None:
    count("WebhookDeliveriesDeadLettered")
    dead_letters = settings().deliveries_dead_letter_queue_url
    if dead_letters:
        deliveries.dead_letter(dead_letters, {**delivery, "last_status": status, "reason": reason})


def backoff_s(receive_count: int) -> int:
    """The pause after the `receive_count`-th attempt: the base, doubling, up to SQS's limit."""
    return int(min(settings().webhook_retry_base_s * 2 ** min(receive_count - 1, 20), VISIBILITY_MAX_S))


def _record_health(endpoint: WebhookEndpointRecord, failed_at: int | None) -> WebhookEndpointRecord:
    """Remember since when the endpoint has only failed (None: it just succeeded); disable it once that
    has lasted DISABLE_AFTER_S. Best effort: a concurrent change of the endpoint wins, and the next
    delivery records its health again."""
    since = None if failed_at is None else (endpoint.failing_since or failed_at)
    disabled = endpoint.disabled or (failed_at is not None and since is not None
                                     and failed_at - since >= DISABLE_AFTER_S)
    if since == endpoint.failing_since and disabled == endpoint.disabled:
        return endpoint
    updated = endpoint.model_copy(update={"failing_since": since, "disabled": disabled,
                                          "version": endpoint.version + 1})
    try:
        webhook_endpoints.put_endpoint(updated, endpoint.version)
    except webhook_endpoints.StaleEndpoint:
        return endpoint
    if disabled and not endpoint.disabled:
        count("WebhookEndpointsDisabled")
        logger.warning("webhook endpoint disabled: its deliveries have failed for three days",
                       extra={"endpoint": endpoint.id})
    return updated
