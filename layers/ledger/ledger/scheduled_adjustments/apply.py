"""Applying a plan's entries, each exactly once per occurrence: each entry's idempotency key comes from
the plan, the occurrence and the entry's own id (never the clock or its position), lives in the system's
key namespace and is committed with the transaction. One entry's problem never stops the others:
an unknown or deleted customer rejects that entry; transient failures are retried, then counted failed
(the caller then fails the delivery, and applied entries replay on its retry)."""

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, Field

from ledger import balance_transactions, dal, errors, idempotency, retry
from ledger.idempotency import Claim
from ledger.models import Caller
from ledger.observability import count, logger
from ledger.params import CreateBalanceTransaction
from ledger.scheduled_adjustments.plan import KEY_RETENTION_SECONDS, Entry, Plan

# Throttling or a timeout on one entry: retried a few times within the invocation, then left to the
# delivery's own retry.
TRANSIENT = retry.Policy(attempts_max=4, budget_ms=30_000, backoff_base_ms=100, backoff_cap_ms=2_000)
REJECTIONS_SHOWN_MAX = 100


class Summary(BaseModel):
    plan: str
    occurrence: str
    dry_run: bool = False
    entries: int = 0
    applied: int = 0
    replayed: int = 0
    rejected: dict[str, int] = Field(default_factory=dict)
    failed: int = 0
    queued: int = 0
    would_apply: int = 0
    rejections: list[dict[str, str]] = Field(default_factory=list)

    def reject(self, entry: Entry, reason: str, message: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        if len(self.rejections) < REJECTIONS_SHOWN_MAX:
            self.rejections.append({"entry": entry.id, "customer": entry.customer, "reason": reason,
                                    "message": message})


def entry_claim(plan: Plan, entry: Entry) -> Claim:
    """The entry's idempotency key, in the system namespace: plan, occurrence and entry id."""
    return Claim(mode=entry.mode, namespace="system", key=f"{plan.plan}/{plan.occurrence}/{entry.id}",
                 fingerprint=idempotency.fingerprint(entry.model_dump()), render=_applied_body,
                 retention_seconds=KEY_RETENTION_SECONDS)


def _applied_body(change: Any) -> dict[str, Any]:
    txn = change.transaction
    return {"id": txn.id, "customer": txn.customer, "amount": txn.amount, "currency": txn.currency,
            "ending_balance": txn.ending_balance}


# Told the summary after each entry: `make invoke` shows it as progress on a terminal (None on Lambda).
on_entry: Callable[[Summary], None] | None = None


def apply_entries(plan: Plan, entries: Iterable[Entry]) -> Summary:
    """Apply (or, for a dry run, assess) each entry once; never raises for one entry's problem."""
    summary = Summary(plan=plan.plan, occurrence=plan.occurrence, dry_run=plan.dry_run)
    for entry in entries:
        summary.entries += 1
        if plan.dry_run:
            _assess(plan, entry, summary)
        else:
            _apply(plan, entry, summary)
        if on_entry is not None:
            on_entry(summary)
    emit(summary)
    return summary


def _apply(plan: Plan, entry: Entry, summary: Summary) -> None:
    caller = Caller(mode=entry.mode, key_id="schedule", request_id=f"{plan.plan}/{plan.occurrence}",
                    origin="schedule")
    params = CreateBalanceTransaction(
        amount=entry.amount, currency=entry.currency, description=entry.description,
        metadata={**entry.metadata, "schedule_plan": plan.plan, "schedule_occurrence": plan.occurrence,
                  "schedule_entry": entry.id})
    attempts = retry.Attempts(TRANSIENT)
    try:
        for attempt in attempts:
            try:
                balance_transactions.create(caller, entry.customer, params, entry_claim(plan, entry))
                summary.applied += 1
                return
            except idempotency.Replay:
                summary.replayed += 1
                return
            except errors.StripeError as refused:
                if _rejected(entry, refused, summary):
                    return
                failure: Exception = refused  # 409 and 429: transient
            except Exception as transient:  # throttling, timeouts: retried, then reported failed
                failure = transient
            logger.warning("entry attempt failed", extra={"entry": entry.id, "attempt": attempt + 1,
                                                          "error": type(failure).__name__})
            attempts.pause()
    except retry.Exhausted:
        pass
    summary.failed += 1


def _rejected(entry: Entry, refused: errors.StripeError, summary: Summary) -> bool:
    """Whether the refusal is final for this entry (and recorded as such)."""
    if refused.status == 404:
        summary.reject(entry, "customer_missing", refused.message)
    elif refused.type == "idempotency_error":
        summary.reject(entry, "entry_changed", "this entry was applied with other values in this occurrence")
    elif refused.status == 400:
        summary.reject(entry, "invalid_for_balance", refused.message)
    else:
        return False
    return True


def _assess(plan: Plan, entry: Entry, summary: Summary) -> None:
    """What applying would do, from reads only."""
    claim = entry_claim(plan, entry)
    snapshot = dal.read(entry.mode, entry.customer, claim=(claim.namespace, claim.key))
    try:
        claim.check(snapshot.claim)
    except idempotency.Replay:
        summary.replayed += 1
        return
    except errors.StripeError:
        summary.reject(entry, "entry_changed", "this entry was applied with other values in this occurrence")
        return
    if snapshot.customer is None or snapshot.customer.deleted:
        summary.reject(entry, "customer_missing", f"No such customer: '{entry.customer}'")
        return
    summary.would_apply += 1


def emit(summary: Summary) -> None:
    count("ScheduledEntriesApplied", summary.applied)
    count("ScheduledEntriesReplayed", summary.replayed)
    count("ScheduledEntriesFailed", summary.failed)
    count("ScheduledEntriesRejected", sum(summary.rejected.values()))
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    for reason, n in summary.rejected.items():
        with single_metric(name="ScheduledEntriesRejectedByReason", unit=MetricUnit.Count, value=n,
                           default_dimensions={"reason": reason}) as metric:
            metric.add_dimension(name="service", value="ledger")
