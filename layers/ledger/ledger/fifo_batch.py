"""SQS FIFO partial batch responses for the adjustment worker.

Records are handled in order. At the first failure, that record and every later one are reported
failed, so SQS redelivers them in their order and a customer's entries are never applied out of turn.
If every record failed the invocation raises, so the failure shows in the function's Errors metric.

This is the behaviour of Powertools' SqsFifoPartialProcessor, written out because importing
Powertools' batch utility builds pydantic models for every AWS event type: ~55 ms of cold start
(bench/results.json), which put the worker past the 1.5 cold-start budget for a loop this size.
"""

from collections.abc import Callable
from typing import Any

from ledger.observability import logger


class BatchFailed(RuntimeError):
    """Every record of the batch failed: the whole batch goes back to the queue."""


def process_in_order(event: dict[str, Any], handle: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Handle each SQS record of `event` in order; answer the partial batch response."""
    records = event.get("Records") or []
    for index, record in enumerate(records):
        try:
            handle(record)
        except Exception as failure:
            logger.exception("record failed; it and the rest of the batch return to the queue",
                             extra={"message_id": record.get("messageId"), "records_returned": len(records) - index})
            if index == 0:
                raise BatchFailed(f"all {len(records)} records failed") from failure
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records[index:]]}
    return {"batchItemFailures": []}
