"""Plans: static problems fail the whole occurrence before anything is applied; fan-out messages
keep a customer's entries in one FIFO group."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from ledger.scheduled_adjustments import apply, fan_out
from ledger.scheduled_adjustments import plan as plans
from ledger.scheduled_adjustments.plan import PlanError


def _plan(**overrides):
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    plan = {
        "plan": "monthly-loyalty",
        "scheduled_time": now,
        "entries": [{"id": "e1", "customer": "cus_A", "amount": -500, "currency": "usd"}],
    }
    plan.update(overrides)
    return plan


def _entry(**overrides):
    return {"id": "e1", "customer": "cus_A", "amount": -500, "currency": "usd", **overrides}


@pytest.mark.parametrize(
    "plan",
    [
        _plan(entries=[_entry(amount=5.0)]),
        _plan(entries=[_entry(amount="500")]),
        _plan(entries=[_entry(amount=True)]),
        _plan(entries=[_entry(amount=0)]),
        _plan(entries=[_entry(amount=100_000_000_000)]),
        _plan(entries=[_entry(currency="xyz")]),
        _plan(entries=[_entry(customer="someone")]),
        _plan(entries=[_entry(id="has space")]),
        _plan(entries=[_entry(metadata={"schedule_plan": "x"})]),
        _plan(entries=[_entry(mode="prod")]),
        _plan(entries=[_entry(extra="x")]),
        _plan(plan="bad name!"),
        _plan(scheduled_time="yesterday"),
        _plan(scheduled_time="2026-11-01T06:00:00"),  # no time zone
        _plan(source={"s3": {"bucket": "b", "key": "k"}}),  # both entries and source
        {"plan": "p", "scheduled_time": "2026-11-01T06:00:00Z"},  # neither
        _plan(entries=None, source={"file": "/tmp/not-a-url.jsonl"}),
    ],
)
def test_static_problems_fail_the_occurrence(plan):
    with pytest.raises(PlanError):
        plans.parse_plan(plan)


def test_duplicate_entry_ids_fail_the_occurrence():
    plan = plans.parse_plan(_plan(entries=[_entry(), _entry(customer="cus_B")]))
    with pytest.raises(PlanError, match="duplicate entry ids"):
        plans.load_entries(plan)


@pytest.mark.parametrize(
    ("offset", "refused"),
    [
        (timedelta(minutes=4), False),
        (timedelta(minutes=6), True),
        (-timedelta(days=13, hours=23), False),
        (-timedelta(days=14, minutes=1), True),
    ],
)
def test_scheduled_time_window(offset, refused):
    when = (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")
    plan = plans.parse_plan(_plan(scheduled_time=when))
    if refused:
        with pytest.raises(PlanError):
            plans.check_occurrence(plan)
    else:
        plans.check_occurrence(plan)


def test_jsonl_source_from_a_file(tmp_path):
    lines = [json.dumps(_entry(id=f"e{i}", customer=f"cus_{i % 3}")) for i in range(7)]
    path = tmp_path / "plan.jsonl"
    path.write_text("\n".join(lines) + "\n\n")
    plan = plans.parse_plan(_plan(entries=None, source={"file": f"file://{path}"}))
    assert [e.id for e in plans.load_entries(plan)] == [f"e{i}" for i in range(7)]
    path.write_text(lines[0] + "\n{broken\n")
    with pytest.raises(PlanError, match="line 2"):
        plans.load_entries(plan)


def test_messages_group_a_customer_and_are_deterministic():
    entries = [_entry(id=f"e{i}", customer=f"cus_{i % 3}") for i in range(60)]
    plan = plans.parse_plan(_plan(entries=entries))
    messages = fan_out.messages(plan, plans.load_entries(plan), per_message=7)
    assert messages == fan_out.messages(plan, plans.load_entries(plan), per_message=7)
    for body, group, dedup in messages:
        assert {e["customer"] for e in body["entries"]} == {group.split(":", 1)[1]}
        assert 1 <= len(body["entries"]) <= 7 and len(dedup) <= 128
    assert sorted(e["id"] for body, _, _ in messages for e in body["entries"]) == sorted(e["id"] for e in entries)
    assert len({dedup for _, _, dedup in messages}) == len(messages)


def test_entry_keys_derive_from_plan_occurrence_and_entry_only():
    plan = plans.parse_plan(_plan(scheduled_time="2026-11-01T06:00:00+00:00"))
    entry = plans.load_entries(plan)[0]
    claim = apply.entry_claim(plan, entry)
    assert claim.key == "monthly-loyalty/2026-11-01T06:00:00Z/e1" and claim.namespace == "system"
    assert claim.retention_seconds >= 14 * 24 * 3600


@pytest.mark.parametrize(
    ("plan", "reason"),
    [
        (_plan(plan="bad name!"), "names are 1-100 characters: letters, digits, _ . : -"),
        (_plan(entries=[_entry(id="has space")]), "names are 1-100 characters: letters, digits, _ . : -"),
        (_plan(entries=[_entry(customer="someone")]), "customer must be a cus_… id"),
        (_plan(entries=[_entry(metadata={"schedule_entry": "x"})]), "metadata key 'schedule_entry' is reserved"),
        (_plan(entries=[_entry(metadata={f"k{i}": "v" for i in range(48)})]), "at most 47 metadata keys"),
    ],
)
def test_a_refused_plan_says_why(plan, reason):
    """The reason ends up in the failed invocation's record, where the operator fixing the plan reads it."""
    with pytest.raises(PlanError) as refused:
        plans.parse_plan(plan)
    assert f"Value error, {reason} [type=value_error" in str(refused.value)  # the whole reason, as pydantic quotes it


def test_an_entry_may_carry_every_metadata_key_the_schedule_leaves_free():
    # 50 keys per transaction, three of them the schedule's own.
    metadata = {f"k{i}": "v" for i in range(47)}
    (entry,) = plans.load_entries(plans.parse_plan(_plan(entries=[_entry(metadata=metadata)])))
    assert entry.metadata == metadata


def test_blank_lines_anywhere_in_a_jsonl_source_are_skipped(tmp_path):
    path = tmp_path / "plan.jsonl"
    path.write_text(json.dumps(_entry(id="e1")) + "\n\n  \n" + json.dumps(_entry(id="e2")) + "\n")
    plan = plans.parse_plan(_plan(entries=None, source={"file": f"file://{path}"}))
    assert [e.id for e in plans.load_entries(plan)] == ["e1", "e2"]


def test_plans_are_read_only_from_the_stacks_bucket(monkeypatch):
    from ledger import config

    monkeypatch.setenv("PLAN_BUCKET_NAME", "stack-plans")
    config.settings.cache_clear()
    plan = plans.parse_plan(_plan(entries=None, source={"s3": {"bucket": "elsewhere", "key": "k.jsonl"}}))
    try:
        with pytest.raises(
            PlanError,
            match="plans are read only from the stack's plan bucket "
            r"\(PlanBucketName: 'stack-plans'\), not 'elsewhere'",
        ):
            plans.load_entries(plan)
    finally:
        monkeypatch.undo()
        config.settings.cache_clear()


def test_duplicate_ids_are_named_up_to_ten():
    entries = [_entry(id=f"e{i:02d}", customer=customer) for i in range(11) for customer in ("cus_A", "cus_B")]
    with pytest.raises(PlanError) as refused:
        plans.load_entries(plans.parse_plan(_plan(entries=entries)))
    assert str(refused.value) == f"duplicate entry ids: {[f'e{i:02d}' for i in range(10)]}"


NOW = 1_800_000_000  # 2027-01-15T08:00:00Z, a frozen clock: the window's edges can be hit to the second


@pytest.fixture
def frozen_clock():
    import time

    from ledger import clock

    clock.use(lambda: float(NOW))
    yield
    clock.use(time.time)


def _at(offset):
    return plans.parse_plan(_plan(scheduled_time=(datetime.fromtimestamp(NOW, UTC) + offset).isoformat()))


@pytest.mark.usefixtures("frozen_clock")
def test_the_window_includes_its_edges():
    plans.check_occurrence(_at(plans.FUTURE_TOLERANCE))
    plans.check_occurrence(_at(-plans.RETENTION))
    assert not plans.is_expired(_at(-plans.RETENTION))
    assert plans.is_expired(_at(-plans.RETENTION - timedelta(seconds=1)))


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (timedelta(minutes=5, seconds=1), "scheduled_time 2027-01-15T08:05:01Z is more than 5 minutes in the future"),
        (
            -timedelta(days=14, seconds=1),
            "occurrence 2027-01-01T07:59:59Z is older than 14 days: refused, since its "
            "idempotency keys may have expired",
        ),
    ],
)
def test_an_occurrence_outside_the_window_says_why(offset, reason):
    with pytest.raises(PlanError) as refused:
        plans.check_occurrence(_at(offset))
    assert str(refused.value) == reason


def test_messages_of_other_plans_or_occurrences_are_never_deduplicated():
    """SQS drops a message whose deduplication id it saw in the last five minutes: two plans (or two
    occurrences) with the same entry ids for one customer must still both be delivered."""

    def dedup_ids(**overrides):
        plan = plans.parse_plan(_plan(**overrides))
        return {dedup for _, _, dedup in fan_out.messages(plan, plans.load_entries(plan))}

    base = dedup_ids(scheduled_time="2026-11-01T06:00:00Z")
    assert base.isdisjoint(dedup_ids(scheduled_time="2026-11-01T06:00:00Z", plan="other-plan"))
    assert base.isdisjoint(dedup_ids(scheduled_time="2026-12-01T06:00:00Z"))
