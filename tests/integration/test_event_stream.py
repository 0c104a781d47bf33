"""Events derived from the table's stream on DynamoDB Local, read back through the Events API: one
event per committed change, in chain order, none for a replayed or refused request, none doubled when
the stream is read again or the function dies mid-batch."""

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import LIVE_KEY, Api
from tests.support.schemas import validate
from tests.support.streams import event_stream, in_process
from tools.stream_local import StreamMapping

pytestmark = pytest.mark.dynamodb_local


@pytest.fixture
def stream(ledger_table: str) -> StreamMapping:
    return event_stream()


def _events(api: Api, **params: Any) -> list[dict[str, Any]]:
    reply = api.get("/v1/events", {"limit": 100, **params})
    assert reply.status == 200, reply.body
    return list(reversed(reply.body["data"]))  # oldest first


def test_each_change_has_one_event_in_chain_order(stream: StreamMapping) -> None:
    api = Api()
    customer = api.customer(email="a@example.com")
    first = api.post(f"/v1/customers/{customer['id']}/balance_transactions", {"amount": -500, "currency": "usd"},
                     headers={"Idempotency-Key": "first"}).body
    api.post(f"/v1/customers/{customer['id']}/balance_transactions", {"amount": -500, "currency": "usd"},
             headers={"Idempotency-Key": "first"})  # a replay commits nothing
    refused = api.post(f"/v1/customers/{customer['id']}/balance_transactions", {"amount": 0, "currency": "usd"})
    assert refused.status == 400
    api.transaction(customer["id"], 200, description="second")
    api.post(f"/v1/customers/{customer['id']}/balance_transactions/{first['id']}", {"metadata": {"k": "v"}})
    api.post(f"/v1/customers/{customer['id']}", {"name": "Jenny"})
    api.delete(f"/v1/customers/{customer['id']}")
    stream.drain()
    stream.rewind()
    stream.drain()  # the stream read again (Lambda reads at least once): nothing doubled
    events = _events(api)
    # A transaction's two items commit together: their two events may come in either order, but each
    # object's own events follow its chain.
    assert sorted(e["type"] for e in events) == sorted([
        "customer.created", "customer.updated", "customer_balance_transaction.created", "customer.updated",
        "customer_balance_transaction.created", "customer_balance_transaction.updated", "customer.updated",
        "customer.deleted"])
    assert events[0]["type"] == "customer.created" and events[-1]["type"] == "customer.deleted"
    ledger = [e["data"]["object"]["ending_balance"] for e in events if e["type"].endswith("transaction.created")]
    assert ledger == [-500, -300]
    balances = [(e["data"]["previous_attributes"].get("balance"), e["data"]["object"]["balance"])
                for e in events if e["type"] == "customer.updated" and "balance" in e["data"]["previous_attributes"]]
    assert balances == [(0, -500), (-500, -300)]
    created = next(e for e in events if e["type"] == "customer_balance_transaction.created")
    assert created["data"]["object"] == first
    assert created["request"]["idempotency_key"] == "first" and created["request"]["id"].startswith("req_")
    edited = next(e for e in events if e["type"] == "customer_balance_transaction.updated")
    assert edited["data"]["previous_attributes"] == {"metadata": {"k": None}}
    renamed = [e for e in events if e["type"] == "customer.updated"][-1]
    assert renamed["data"]["previous_attributes"] == {"name": None}
    deleted = events[-1]
    assert deleted["type"] == "customer.deleted" and deleted["data"]["object"]["name"] == "Jenny"
    for event in events:
        validate(event, "event")  # Stripe's event object, as its SDKs parse it
        assert event["livemode"] is False and event["pending_webhooks"] == 0
        assert api.get(f"/v1/events/{event['id']}").body == event


def test_a_function_dying_mid_batch_loses_and_doubles_nothing(stream: StreamMapping, monkeypatch) -> None:
    from ledger.dal import events as stored

    api = Api()
    customer = api.customer()
    for amount in (1, 2, 3):
        api.transaction(customer["id"], amount)
    real, calls = stored.put_event, []

    def dies_on_the_third(event, **options):
        calls.append(event.id)
        if len(calls) == 3:
            raise ConnectionError("the function died")
        return real(event, **options)

    monkeypatch.setattr(stored, "put_event", dies_on_the_third)
    stream.drain()
    events = _events(api)
    assert len(events) == 7 and len({e["id"] for e in events}) == 7
    assert [e["data"]["object"]["balance"] for e in events if e["type"] == "customer.updated"] == [1, 3, 6]


def test_filters_and_cursors(stream: StreamMapping) -> None:
    api = Api()
    for _ in range(3):
        api.transaction(api.customer()["id"], 5)
    stream.drain()
    assert {e["type"] for e in _events(api, type="customer.*")} == {"customer.created", "customer.updated"}
    only = _events(api, types=["customer.created", "customer_balance_transaction.created"])
    assert len(only) == 6
    newest = api.get("/v1/events", {"limit": 2}).body
    assert newest["has_more"] is True and len(newest["data"]) == 2
    rest = api.get("/v1/events", {"limit": 100, "starting_after": newest["data"][-1]["id"]}).body
    assert [e["id"] for e in newest["data"] + rest["data"]] == [e["id"] for e in reversed(_events(api))]
    back = api.get("/v1/events", {"limit": 100, "ending_before": rest["data"][0]["id"]}).body
    assert [e["id"] for e in back["data"]] == [e["id"] for e in newest["data"]]
    both = api.get("/v1/events", {"type": "customer.created", "types": ["customer.updated"]})
    assert (both.status, both.error["param"]) == (400, "types")
    assert api.get("/v1/events/evt_nothing").status == 404
    for empty in ({"created": 0}, {"created": {"lt": 5}}, {"created": {"gt": 10**12}}):  # no event can match
        assert api.get("/v1/events", empty).body["data"] == []
    assert _events(Api(key=LIVE_KEY)) == []  # events are mode-scoped like everything else


def test_scheduled_adjustments_emit_the_same_events(stream: StreamMapping) -> None:
    from tests.support.scheduling import entries_for, plan, run_scheduler

    api = Api()
    customer = api.customer()["id"]
    run_scheduler(plan(entries_for([customer]), name="loyalty", when="2026-12-01T06:00:00Z"))
    stream.drain()
    events = _events(api)
    created = [e for e in events if e["type"] == "customer_balance_transaction.created"]
    assert len(created) == 1 and created[0]["data"]["object"]["amount"] == -100
    assert created[0]["request"]["id"] == "loyalty/2026-12-01T06:00:00Z"  # the occurrence that applied it
    [update] = [e for e in events if e["type"] == "customer.updated"]
    assert update["data"]["previous_attributes"]["balance"] == 0 and update["data"]["object"]["balance"] == -100


def test_a_small_batch_waits_for_the_batching_window(stream: StreamMapping) -> None:
    """The template's MaximumBatchingWindowInSeconds holds a batch short of BatchSize back, as on AWS."""
    from tools.stream_local import stream_mappings

    assert stream.window_s == float(stream_mappings()["RecordEventsFunction"]["MaximumBatchingWindowInSeconds"]) > 0
    api = Api()
    api.customer()
    polled = time.monotonic()
    assert stream.drain(flush=False) == 0 and _events(api) == []  # too few records, too early
    time.sleep(max(0.0, stream.window_s - (time.monotonic() - polled)) + 0.05)
    assert stream.drain(flush=False) == 1
    assert [e["type"] for e in _events(api)] == ["customer.created"]


def test_a_restarted_mapping_goes_on_from_its_saved_position(ledger_table: str, tmp_path: Path) -> None:
    """As a mapping's position does on AWS, it outlives the local run's process: a restart does not read
    the stream's last day again."""
    handed: list[str] = []

    def counting(function: str, event: dict[str, Any]) -> Any:
        handed.extend(r["eventID"] for r in event["Records"])
        return in_process(function, event)

    api = Api()
    api.customer()
    assert event_stream(counting, tmp_path).drain() == 1
    assert event_stream(counting, tmp_path).drain() == 0  # restarted: nothing handed over twice
    api.customer()
    assert event_stream(counting, tmp_path).drain() == 1
    assert len(handed) == len(set(handed)) == 2
    assert event_stream(counting).drain() == 2  # without saved positions, from the oldest record again
