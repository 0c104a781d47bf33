"""A scheduled plan: what one occurrence (plan name, scheduled time) applies, validated whole before
anything is applied. Static problems fail the occurrence; the entries' values follow the same rules as
the API's (ledger.fields), but a plan is JSON and its numbers must be numbers."""

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from ledger import clock, ids
from ledger.config import settings
from ledger.dal import plans as plan_store
from ledger.fields import METADATA_MAX_KEYS, Currency, Description, amount_rule, metadata_pair_rule

RETENTION = timedelta(days=14)  # SQS's longest message retention: no delivery can come later
KEY_RETENTION_SECONDS = int((RETENTION + timedelta(days=1)).total_seconds())  # kept longer than that
FUTURE_TOLERANCE = timedelta(minutes=5)
RESERVED_METADATA = ("schedule_plan", "schedule_occurrence", "schedule_entry")
SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"  # what EventBridge Scheduler fills in
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")


class PlanError(ValueError):
    """A static problem: the whole occurrence fails and nothing is applied."""


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError("names are 1-100 characters: letters, digits, _ . : -")
    return value


def _customer(value: str) -> str:
    if not ids.is_customer_id(value):
        raise ValueError("customer must be a cus_… id")
    return value


def _metadata(value: dict[str, str]) -> dict[str, str]:
    if len(value) > METADATA_MAX_KEYS - len(RESERVED_METADATA):
        raise ValueError(f"at most {METADATA_MAX_KEYS - len(RESERVED_METADATA)} metadata keys")
    for key, item in value.items():
        if key in RESERVED_METADATA:
            raise ValueError(f"metadata key {key!r} is reserved")
        metadata_pair_rule(key, item)
    return value


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    id: Annotated[str, AfterValidator(_name)]
    customer: Annotated[str, AfterValidator(_customer)]
    amount: Annotated[StrictInt, AfterValidator(amount_rule)]
    currency: Currency
    description: Description = None
    metadata: Annotated[dict[str, str], AfterValidator(_metadata)] = Field(default_factory=dict)
    mode: Literal["test", "live"] = "test"


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
    plan: Annotated[str, AfterValidator(_name)]
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


def is_expired(plan: Plan) -> bool:
    return plan.scheduled_time < datetime.fromtimestamp(clock.now(), UTC) - RETENTION


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
