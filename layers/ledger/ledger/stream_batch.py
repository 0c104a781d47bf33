"""DynamoDB Streams partial batch responses for the functions that read the table's stream.

Records are handled in stream order. The first that fails is reported (ReportBatchItemFailures) and
nothing after it is handled: Lambda retries the batch from that record, so no record is ever handled
before one that precedes it in the stream (a customer's changes share a shard, in commit order). What
the handlers store is keyed by the change, so a record handled again stores nothing twice.
"""

from collections.abc import Callable
from typing import Any

from ledger.observability import count, logger


def process_in_order(event: dict[str, Any], handle: Callable[[dict[str, Any]], None], *,
                     failure_metric: str) -> dict[str, Any]:
    """Handle each stream record of `event` in order; answer the partial batch response."""
    for record in event.get("Records") or []:
        try:
            handle(record)
        except Exception:
            sequence_number = record["dynamodb"]["SequenceNumber"]
            count(failure_metric)
            logger.exception("stream record failed; the stream is retried from it",
                             extra={"sequence_number": sequence_number})
            return {"batchItemFailures": [{"itemIdentifier": sequence_number}]}
    return {"batchItemFailures": []}
