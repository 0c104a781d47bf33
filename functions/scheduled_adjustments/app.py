"""EventBridge Scheduler target: apply one occurrence of a plan (the schedule's Input is the plan).

Returns and logs the occurrence's summary. A static problem with the plan, or entries that kept
failing transiently, fail the invocation, so the scheduler retries it (then dead-letters it); applied
entries replay on a retry, never apply twice.
"""

from ledger import scheduled_adjustments
from ledger.observability import flush_metrics, logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, object], context: object) -> dict[str, object]:
    try:
        return scheduled_adjustments.run_occurrence(event).model_dump()
    finally:
        flush_metrics()
