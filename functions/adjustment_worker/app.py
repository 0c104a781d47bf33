"""SQS FIFO worker for large plans: applies each message's entries, reporting partial batch failures
(a FIFO batch stops at its first failure so a customer's entries stay in order)."""

import json
from typing import Any

from ledger import fifo_batch, scheduled_adjustments
from ledger.observability import flush_metrics, logger


def apply_record(record: dict[str, Any]) -> None:
    scheduled_adjustments.apply_message(json.loads(record["body"]))


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return fifo_batch.process_in_order(event, apply_record)
    finally:
        flush_metrics()
