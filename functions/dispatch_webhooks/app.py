"""New events (the table's stream) to webhook deliveries, one per endpoint, and to the EventBridge bus.
A batch stops at its first failure and reports it, so Lambda retries from that record."""

from ledger.observability import flush_metrics, logger
from ledger.webhooks import dispatch


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, list[dict[str, object]]], context: object) -> dict[str, object]:
    try:
        dispatch.dispatch(event["Records"])
    except dispatch.Undispatched as failed:
        logger.exception("event not dispatched; the stream retries from it",
                         extra={"sequence_number": failed.sequence_number})
        return {"batchItemFailures": [{"itemIdentifier": failed.sequence_number}]}
    finally:
        flush_metrics()
    return {"batchItemFailures": []}
