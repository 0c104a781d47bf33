"""SQS FIFO worker for large plans: applies each message's entries, reporting partial batch failures
(a FIFO batch stops at its first failure so a customer's entries stay in order)."""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from ledger import scheduled_adjustments
from ledger.observability import flush_metrics, logger

processor = SqsFifoPartialProcessor()


def record_handler(record: SQSRecord) -> None:
    scheduled_adjustments.apply_message(json.loads(record.body))


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    finally:
        flush_metrics()
