"""SQS FIFO partial batch responses for the adjustment worker: a failure stays with its message group.

Records are handled in order. When a record fails, it and every later record of the same message
group (one customer) are reported failed, so SQS redelivers them in their order and a customer's
entries are never applied out of turn; records of other groups are still handled. One customer's
failing entry so never sends a healthy customer's entries back to the queue, where they would burn their
receive count towards the dead-letter queue. If every record failed the invocation raises, so the
failure shows in the function's Errors metric.

These are the rules of Powertools' SqsFifoPartialProcessor with `skip_group_on_error=True`, written out
because importing Powertools' batch utility builds pydantic models for every AWS event type, a cost
paid at every cold start (bench/results.json).
"""

from collections.abc import Callable
from typing import Any

from ledger.observability import logger


class BatchFailed(RuntimeError):
    """Every record of the batch failed: the whole batch goes back to the queue."""


def _group(record: dict[str, Any]) -> str | None:
    return (record.get("attributes") or {}).get("MessageGroupId")


def process_in_order(event: dict[str, Any], handle: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Handle each SQS record of `event` in order; answer the partial batch response."""
    records = event.get("Records") or []
    failed_groups: set[str | None] = set()
    failures: list[dict[str, str]] = []
    for record in records:
        group = _group(record)
        if group in failed_groups:
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        try:
            handle(record)
        except Exception:
            logger.exception("record failed; it and its group's later records return to the queue",
                             extra={"message_id": record.get("messageId"), "message_group": group})
            failed_groups.add(group)
            failures.append({"itemIdentifier": record["messageId"]})
    if records and len(failures) == len(records):
        raise BatchFailed(f"all {len(records)} records failed")
    return {"batchItemFailures": failures}
