"""SQS FIFO worker for large plans: applies each message's entries, reporting partial batch failures
(a FIFO batch stops at its first failure so a customer's entries stay in order)."""

import json

from ledger import fifo_batch, scheduled_adjustments
from ledger.observability import flush_metrics, logger


def apply_record(record: dict[str, object]) -> None:
    body = record["body"]
    assert isinstance(body, str), "SQS hands a message's body to Lambda as a string"
    scheduled_adjustments.apply_message(json.loads(body))


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, object], context: object) -> dict[str, object]:
    try:
        return fifo_batch.process_in_order(event, apply_record)
    finally:
        flush_metrics()
