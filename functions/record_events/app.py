"""The table's stream to Stripe's events: each committed change of a customer or a transaction stored
as its event, once, in stream order. A batch stops at its first failure and reports it, so Lambda
retries from that record and nothing after it is stored before it."""

from ledger import events
from ledger.observability import flush_metrics, logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, list[dict[str, object]]], context: object) -> dict[str, object]:
    try:
        events.record(event["Records"])
    except events.Unrecorded as failed:
        logger.exception("event not recorded; the stream retries from it",
                         extra={"sequence_number": failed.sequence_number})
        return {"batchItemFailures": [{"itemIdentifier": failed.sequence_number}]}
    finally:
        flush_metrics()
    return {"batchItemFailures": []}
