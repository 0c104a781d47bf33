"""One attempt per queued delivery: POST the signed event; a failure comes back after its backoff."""

from ledger.observability import flush_metrics, logger
from ledger.webhooks import delivery


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, list[dict[str, object]]], context: object) -> dict[str, object]:
    try:
        again = delivery.attempt_each(event["Records"])
    finally:
        flush_metrics()
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in again]}
