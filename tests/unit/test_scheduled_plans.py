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
    plan = {"plan": "monthly-loyalty", "scheduled_time": now,
            "entries": [{"id": "e1", "customer": "cus_A", "amount": -500, "currency": "usd"}]}
    plan.update(overrides)
    return plan


def _entry(**overrides):
    return {"id": "e1", "customer": "cus_A", "amount": -500, "currency": "usd", **overrides}


@pytest.mark.parametrize("plan", [
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
])
def test_static_problems_fail_the_occurrence(plan):
    with pytest.raises(PlanError):
        plans.parse_plan(plan)


def test_duplicate_entry_ids_fail_the_occurrence():
    plan = plans.parse_plan(_plan(entries=[_entry(), _entry(customer="cus_B")]))
    with pytest.raises(PlanError, match="duplicate entry ids"):
        plans.load_entries(plan)


@pytest.mark.parametrize(("offset", "refused"), [
    (timedelta(minutes=4), False), (timedelta(minutes=6), True),
    (-timedelta(days=13, hours=23), False), (-timedelta(days=14, minutes=1), True),
])
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
