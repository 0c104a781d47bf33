"""Scheduled balance adjustments: a plan's entries applied exactly once per occurrence, however often
the occurrence is delivered, retried, crashed half way or redriven. `plan` validates an occurrence
whole, `apply` applies its entries, `fan_out` queues large plans for the worker. Design:
docs/design.md ("Scheduled adjustments").
"""

from typing import Any

from ledger.config import settings
from ledger.observability import logger
from ledger.scheduled_adjustments.apply import Summary, apply_entries, emit
from ledger.scheduled_adjustments.fan_out import enqueue
from ledger.scheduled_adjustments.plan import (
    RETENTION,
    PlanError,
    check_occurrence,
    is_expired,
    load_entries,
    parse_plan,
)

__all__ = ["OccurrenceIncomplete", "PlanError", "apply_message", "run_occurrence"]


class OccurrenceIncomplete(RuntimeError):
    """Some entries kept failing transiently: the delivery must be retried (applied ones will replay)."""


def run_occurrence(event: dict[str, Any]) -> Summary:
    """The scheduled function's work: validate the whole plan, then apply it directly (small plans,
    dry runs, or when no queue is configured) or fan it out to the queue."""
    plan = parse_plan(event)
    check_occurrence(plan)
    entries = load_entries(plan)
    config = settings()
    if plan.dry_run or not config.adjustments_queue_url or len(entries) <= config.direct_apply_limit:
        summary = apply_entries(plan, entries)
    else:
        summary = Summary(plan=plan.plan, occurrence=plan.occurrence, entries=len(entries))
        summary.queued = enqueue(config.adjustments_queue_url, plan, entries)
    logger.info("occurrence summary", extra={"summary": summary.model_dump()})
    if summary.failed:
        raise OccurrenceIncomplete(f"{summary.failed} entries failed transiently: {summary.model_dump_json()}")
    return summary


def apply_message(body: dict[str, Any]) -> Summary:
    """The worker's work for one queue message. A message of an occurrence past the retention (a late
    dead-letter redrive) is refused entry by entry, not retried."""
    plan = parse_plan(body)
    entries = plan.entries or []
    if is_expired(plan):
        summary = Summary(plan=plan.plan, occurrence=plan.occurrence, entries=len(entries))
        for entry in entries:
            summary.reject(entry, "occurrence_expired", f"occurrence older than {RETENTION.days} days")
        emit(summary)
        return summary
    summary = apply_entries(plan, entries)
    logger.info("message summary", extra={"summary": summary.model_dump()})
    if summary.failed:
        raise OccurrenceIncomplete(f"{summary.failed} entries failed transiently")
    return summary
