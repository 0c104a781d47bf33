"""The table's stream to Stripe's events: each committed change of a customer or a transaction stored
as its event, once, in stream order (ledger.stream_batch: a batch stops at its first failure)."""

from ledger import events, stream_batch
from ledger.observability import flush_metrics, logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, list[dict[str, object]]], context: object) -> dict[str, object]:
    try:
        return stream_batch.process_in_order(event, events.record, failure_metric="EventRecordFailures")
    finally:
        flush_metrics()
