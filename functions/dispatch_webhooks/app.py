"""New events (the table's stream) to webhook deliveries, one per endpoint, and to the EventBridge bus,
in stream order (ledger.stream_batch: a batch stops at its first failure)."""

from ledger import stream_batch
from ledger.observability import flush_metrics, logger
from ledger.webhooks import dispatch


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, list[dict[str, object]]], context: object) -> dict[str, object]:
    try:
        return stream_batch.process_in_order(event, dispatch.Dispatcher(), failure_metric="EventDispatchFailures")
    finally:
        flush_metrics()
