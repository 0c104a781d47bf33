"""Scheduled balance adjustments: a plan's entries applied exactly once per occurrence.

An occurrence is (plan name, scheduled time). Each entry's idempotency key is derived from the plan,
the occurrence and the entry's own id (never the wall clock, never its position), lives in the
system's key namespace, is committed with the transaction, and is kept longer than any redelivery can
come (SQS keeps a message at most 14 days): so duplicate deliveries, retries of the function, a crash
half way and a dead-letter redrive days later all apply each entry once. Occurrences older than the
retention are refused.

Static problems (schema, currency, amounts, duplicate ids, the scheduled time) fail the whole
occurrence before anything is applied. Data-dependent problems (an unknown or deleted customer)
reject that entry alone. Transient failures are retried, then reported as failed so the delivery is
retried (applied entries then replay).
"""

import json
import re
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from ledger import balance_transactions, clock, dal, errors, idempotency
from ledger.config import MAX_AMOUNT, settings
from ledger.dal import plans as plan_store
from ledger.idempotency import Claim
from ledger.models import Caller
from ledger.observability import count, logger
from ledger.params import METADATA_KEY_MAX, METADATA_MAX_KEYS, METADATA_VALUE_MAX, CreateBalanceTransaction

RETENTION = timedelta(days=14)  # SQS's longest message retention: no delivery can come later
KEY_RETENTION_SECONDS = int((RETENTION + timedelta(days=1)).total_seconds())  # kept longer than that
FUTURE_TOLERANCE = timedelta(minutes=5)
RESERVED_METADATA = ("schedule_plan", "schedule_occurrence", "schedule_entry")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")
TRANSIENT_ATTEMPTS = 4
SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"  # what EventBridge Scheduler fills in


class PlanError(ValueError):
    """A static problem: the whole occurrence fails and nothing is applied."""


def _strict_amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amount must be an integer in the currency's smallest unit")
    if value == 0 or abs(value) > MAX_AMOUNT:
        raise ValueError(f"amount must be non-zero and at most {MAX_AMOUNT} in absolute value")
    return value


def _currency(value: Any) -> str:
    from ledger import currencies

    code = currencies.normalize(value) if isinstance(value, str) else None
    if code is None:
        raise ValueError(f"unknown currency {value!r}")
    return code


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    id: str
    customer: str
    amount: Annotated[int, BeforeValidator(_strict_amount)]
    currency: Annotated[str, BeforeValidator(_currency)]
    description: str | None = Field(default=None, max_length=350)
    metadata: dict[str, Annotated[str, Field(max_length=METADATA_VALUE_MAX)]] = Field(default_factory=dict)
    mode: Literal["test", "live"] = "test"

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError("entry ids are 1-100 characters: letters, digits, _ . : -")
        return value

    @field_validator("customer")
    @classmethod
    def _customer_shape(cls, value: str) -> str:
        if not value.startswith("cus_") or len(value) > 255:
            raise ValueError("customer must be a cus_… id")
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_rules(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > METADATA_MAX_KEYS - len(RESERVED_METADATA):
            raise ValueError(f"at most {METADATA_MAX_KEYS - len(RESERVED_METADATA)} metadata keys")
        for key in value:
            if key in RESERVED_METADATA or not key or len(key) > METADATA_KEY_MAX or "[" in key or "]" in key:
                raise ValueError(f"metadata key {key!r} is reserved or malformed")
        return value


class S3Location(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    bucket: str
    key: str


class PlanSource(BaseModel):
    """A large plan: JSON Lines, one entry per line, in S3 (or, for local runs, a file:// path)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    s3: S3Location | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _one_location(self) -> "PlanSource":
        if (self.s3 is None) == (self.file is None):
            raise ValueError("source needs exactly one of s3 and file")
        if self.file is not None and not self.file.startswith("file://"):
            raise ValueError("source.file must be a file:// path")
        return self


class Plan(BaseModel):
    """A schedule's Input: what to apply at each occurrence."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    plan: str
    scheduled_time: datetime
    dry_run: bool = False
    entries: list[Entry] | None = None
    source: PlanSource | None = None

    @model_validator(mode="before")
    @classmethod
    def _placeholder_only_for_a_dry_run(cls, data: Any) -> Any:
        """A plan invoked by hand (`sam local invoke`, the console's Test) may still hold the scheduler's
        placeholder. A dry run then assesses the current minute; a run that writes must name its
        occurrence, since applying "now" twice in two minutes would apply two occurrences."""
        if isinstance(data, dict) and data.get("scheduled_time") == SCHEDULED_TIME_PLACEHOLDER:
            if data.get("dry_run") is not True:
                raise ValueError(f"scheduled_time is the scheduler's placeholder {SCHEDULED_TIME_PLACEHOLDER}: "
                                 "give the occurrence's time, or set dry_run")
            now = datetime.fromtimestamp(clock.now(), UTC).replace(second=0)
            data = {**data, "scheduled_time": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
        return data

    @field_validator("plan")
    @classmethod
    def _plan_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError("plan names are 1-100 characters: letters, digits, _ . : -")
        return value

    @field_validator("scheduled_time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("scheduled_time needs a time zone (EventBridge Scheduler sends UTC)")
        return value.astimezone(UTC).replace(microsecond=0)

    @model_validator(mode="after")
    def _entries_or_source(self) -> "Plan":
        if (self.entries is None) == (self.source is None):
            raise ValueError("a plan has exactly one of entries and source")
        return self

    @property
    def occurrence(self) -> str:
        return self.scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_plan(event: dict[str, Any]) -> Plan:
    try:
        return Plan.model_validate(event)
    except ValidationError as invalid:
        raise PlanError(f"invalid plan: {invalid}") from None


def check_occurrence(plan: Plan) -> None:
    now = datetime.fromtimestamp(clock.now(), UTC)
    if plan.scheduled_time > now + FUTURE_TOLERANCE:
        raise PlanError(f"scheduled_time {plan.occurrence} is more than 5 minutes in the future")
    if plan.scheduled_time < now - RETENTION:
        raise PlanError(f"occurrence {plan.occurrence} is older than {RETENTION.days} days: refused, since its "
                        "idempotency keys may have expired")


def load_entries(plan: Plan) -> list[Entry]:
    """Every entry, validated, before anything is applied; duplicate ids fail the occurrence."""
    if plan.entries is not None:
        entries = list(plan.entries)
    else:
        assert plan.source is not None
        location = plan.source.s3
        allowed = settings().plan_bucket_name
        if location is not None and location.bucket != allowed:
            raise PlanError(f"plans are read only from the stack's plan bucket (PlanBucketName: {allowed!r}), "
                            f"not {location.bucket!r}")
        path = plan.source.file.removeprefix("file://") if plan.source.file else None
        lines = plan_store.read_lines(location.bucket if location else None, location.key if location else None,
                                      path)
        entries = list(_parse_lines(lines))
    duplicates = [entry_id for entry_id, n in Counter(e.id for e in entries).items() if n > 1]
    if duplicates:
        raise PlanError(f"duplicate entry ids: {sorted(duplicates)[:10]}")
    return entries


def _parse_lines(lines: Iterable[str]) -> Iterable[Entry]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield Entry.model_validate(json.loads(line))
        except (ValueError, ValidationError) as invalid:
            raise PlanError(f"line {number}: {invalid}") from None


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
        if len(self.rejections) < 100:
            self.rejections.append({"entry": entry.id, "customer": entry.customer, "reason": reason,
                                    "message": message})

    def merge(self, other: "Summary") -> None:
        for name in ("entries", "applied", "replayed", "failed", "queued", "would_apply"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for entry_id in other.rejections:
            if len(self.rejections) < 100:
                self.rejections.append(entry_id)
        for reason, n in other.rejected.items():
            self.rejected[reason] = self.rejected.get(reason, 0) + n


def entry_claim(plan: Plan, entry: Entry) -> Claim:
    """The entry's idempotency key, in the system namespace: plan, occurrence and entry id."""
    return Claim(mode=entry.mode, namespace="system", key=f"{plan.plan}/{plan.occurrence}/{entry.id}",
                 fingerprint=idempotency.fingerprint(entry.model_dump()), render=_applied_body,
                 retention_seconds=KEY_RETENTION_SECONDS)


def _applied_body(change: Any) -> dict[str, Any]:
    txn = change.transaction
    return {"id": txn.id, "customer": txn.customer, "amount": txn.amount, "currency": txn.currency,
            "ending_balance": txn.ending_balance}


def apply_entries(plan: Plan, entries: Iterable[Entry]) -> Summary:
    """Apply (or, for a dry run, assess) each entry once; never raises for one entry's problem."""
    summary = Summary(plan=plan.plan, occurrence=plan.occurrence, dry_run=plan.dry_run)
    for entry in entries:
        summary.entries += 1
        if plan.dry_run:
            _assess(plan, entry, summary)
        else:
            _apply(plan, entry, summary)
    _emit(summary)
    return summary


def _apply(plan: Plan, entry: Entry, summary: Summary) -> None:
    caller = Caller(mode=entry.mode, key_id="schedule", request_id=f"{plan.plan}/{plan.occurrence}",
                    origin="schedule")
    params = CreateBalanceTransaction(
        amount=entry.amount, currency=entry.currency, description=entry.description,
        metadata={**entry.metadata, "schedule_plan": plan.plan, "schedule_occurrence": plan.occurrence,
                  "schedule_entry": entry.id})
    for attempt in range(TRANSIENT_ATTEMPTS):
        try:
            balance_transactions.create(caller, entry.customer, params, entry_claim(plan, entry))
            summary.applied += 1
            return
        except idempotency.Replay:
            summary.replayed += 1
            return
        except errors.StripeError as refused:
            if refused.status == 404:
                summary.reject(entry, "customer_missing", refused.message)
                return
            if refused.type == "idempotency_error":
                summary.reject(entry, "entry_changed", "this entry was applied with other values in this occurrence")
                return
            if refused.status == 400:
                summary.reject(entry, "invalid_for_balance", refused.message)
                return
            failure: Exception = refused  # 409 and 429: transient
        except Exception as transient:  # throttling, timeouts: retried, then reported failed
            failure = transient
        logger.warning("entry attempt failed", extra={"entry": entry.id, "attempt": attempt + 1,
                                                      "error": type(failure).__name__})
        time.sleep(min(2.0, 0.1 * 2**attempt))
    summary.failed += 1


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


def _emit(summary: Summary) -> None:
    count("ScheduledEntriesApplied", summary.applied)
    count("ScheduledEntriesReplayed", summary.replayed)
    count("ScheduledEntriesFailed", summary.failed)
    count("ScheduledEntriesRejected", sum(summary.rejected.values()))
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    for reason, n in summary.rejected.items():
        with single_metric(name="ScheduledEntriesRejectedByReason", unit=MetricUnit.Count, value=n,
                           default_dimensions={"reason": reason}) as metric:
            metric.add_dimension(name="service", value="ledger")


def messages(plan: Plan, entries: list[Entry], per_message: int = 25) -> list[tuple[dict[str, Any], str, str]]:
    """Queue messages for a large plan: a customer's entries share a message group (FIFO: in order,
    never fighting over the customer's version), at most `per_message` entries a message."""
    by_customer: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        by_customer.setdefault((entry.mode, entry.customer), []).append(entry)
    out = []
    for (mode, customer), group in by_customer.items():
        for start in range(0, len(group), per_message):
            chunk = group[start:start + per_message]
            body = {"plan": plan.plan, "scheduled_time": plan.occurrence,
                    "entries": [e.model_dump() for e in chunk]}
            dedup = idempotency.fingerprint(plan.plan, plan.occurrence, [e.id for e in chunk])[:64]
            out.append((body, f"{mode}:{customer}", dedup))
    return out


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
        plan_store.send(config.adjustments_queue_url, messages(plan, entries))
        summary.queued = len(entries)
        count("ScheduledEntriesQueued", len(entries))
    logger.info("occurrence summary", extra={"summary": summary.model_dump()})
    if summary.failed:
        raise OccurrenceIncomplete(f"{summary.failed} entries failed transiently: {summary.model_dump_json()}")
    return summary


def apply_message(body: dict[str, Any]) -> Summary:
    """The worker's work for one queue message. A message of an occurrence past the retention (a late
    dead-letter redrive) is refused entry by entry, not retried."""
    plan = parse_plan(body)
    entries = plan.entries or []
    if plan.scheduled_time < datetime.fromtimestamp(clock.now(), UTC) - RETENTION:
        summary = Summary(plan=plan.plan, occurrence=plan.occurrence, entries=len(entries))
        for entry in entries:
            summary.reject(entry, "occurrence_expired", f"occurrence older than {RETENTION.days} days")
        _emit(summary)
        return summary
    summary = apply_entries(plan, entries)
    logger.info("message summary", extra={"summary": summary.model_dump()})
    if summary.failed:
        raise OccurrenceIncomplete(f"{summary.failed} entries failed transiently")
    return summary
