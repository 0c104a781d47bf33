"""Large plans go through the FIFO queue the worker consumes: a customer's entries share one message
group (applied in order, never fighting over the customer's version), a few entries a message."""

from typing import Any

from ledger import idempotency
from ledger.dal import plans as plan_store
from ledger.observability import count
from ledger.scheduled_adjustments.plan import Entry, Plan

ENTRIES_PER_MESSAGE_MAX = 25


def messages(plan: Plan, entries: list[Entry],
             per_message: int = ENTRIES_PER_MESSAGE_MAX) -> list[tuple[dict[str, Any], str, str]]:
    """(body, message group, deduplication id) of each queue message for `entries`."""
    by_customer: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        by_customer.setdefault((entry.mode, entry.customer), []).append(entry)
    out = []
    for (mode, customer), group in by_customer.items():
        for start in range(0, len(group), per_message):
            chunk = group[start:start + per_message]
            body = {"plan": plan.plan, "scheduled_time": plan.occurrence,
                    "entries": [e.model_dump() for e in chunk]}
            # A hex digest: within SQS's limit for a deduplication id.
            dedup = idempotency.fingerprint(plan.plan, plan.occurrence, [e.id for e in chunk])
            out.append((body, f"{mode}:{customer}", dedup))
    return out


def enqueue(queue_url: str, plan: Plan, entries: list[Entry]) -> int:
    """Send the entries to the queue; returns how many were queued."""
    plan_store.send(queue_url, messages(plan, entries))
    count("ScheduledEntriesQueued", len(entries))
    return len(entries)
