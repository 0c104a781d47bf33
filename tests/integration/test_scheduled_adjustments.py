"""Scheduled adjustments on DynamoDB Local (the money), with S3 and SQS on a moto server (plumbing):
every entry of an occurrence applies exactly once, whatever the deliveries, crashes and redrives."""

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from ledger import balance_transactions
from ledger.scheduled_adjustments import OccurrenceIncomplete, PlanError
from tests.support.chains import assert_intact
from tests.support.scheduling import (
    drain,
    entries_for,
    plan,
    run_scheduler,
    run_worker,
    scheduled_entries,
)

pytestmark = pytest.mark.dynamodb_local


def _customers(api, n):
    return [api.customer(balance=1000)["id"] for _ in range(n)]


def test_one_occurrence_delivered_three_times_one_after_another(api, ledger_table):
    customers = _customers(api, 3)
    event = plan(entries_for(customers, per_customer=2))
    summaries = [run_scheduler(event) for _ in range(3)]
    assert [(s["applied"], s["replayed"]) for s in summaries] == [(6, 0), (0, 6), (0, 6)]
    found = scheduled_entries(customers)
    assert len(found) == 6 and len(set(found)) == 6
    stored = api.get(f"/v1/customers/{customers[0]}/balance_transactions/"
                     f"{api.get(f'/v1/customers/{customers[0]}/balance_transactions').body['data'][0]['id']}").body
    assert stored["metadata"]["schedule_plan"] == "monthly-loyalty" and stored["type"] == "adjustment"


def test_one_occurrence_delivered_three_times_concurrently(api, ledger_table):
    customers = _customers(api, 4)
    event = plan(entries_for(customers, per_customer=3))
    with ThreadPoolExecutor(3) as pool:
        summaries = list(pool.map(lambda _: run_scheduler(event), range(3)))
    assert sum(s["applied"] for s in summaries) == 12
    assert sum(s["replayed"] for s in summaries) == 24
    assert Counter(scheduled_entries(customers)).most_common(1)[0][1] == 1
    assert len(scheduled_entries(customers)) == 12


def test_a_crash_half_way_then_a_retry_completes_without_doubling(api, ledger_table, monkeypatch):
    customers = _customers(api, 5)
    event = plan(entries_for(customers, per_customer=2))
    real_create = balance_transactions.create
    calls = []

    def dies_after_four(*args, **kwargs):
        if len(calls) == 4:
            raise SystemExit("the Lambda's sandbox died")  # not an Exception: nothing catches it
        calls.append(1)
        return real_create(*args, **kwargs)

    monkeypatch.setattr(balance_transactions, "create", dies_after_four)
    with pytest.raises(SystemExit):
        run_scheduler(event)
    monkeypatch.undo()
    assert len(scheduled_entries(customers)) == 4
    retried = run_scheduler(event)
    assert (retried["applied"], retried["replayed"]) == (6, 4)
    assert sorted(e for _, _, e in scheduled_entries(customers)) == sorted(e["id"] for e in event["entries"])


def test_unknown_and_deleted_customers_are_rejected_alone(api, ledger_table):
    customers = _customers(api, 2)
    api.delete(f"/v1/customers/{customers[1]}")
    event = plan(entries_for([customers[0], customers[1], "cus_doesNotExist00"]))
    summary = run_scheduler(event)
    assert summary["applied"] == 1 and summary["rejected"] == {"customer_missing": 2}
    assert {r["customer"] for r in summary["rejections"]} == {customers[1], "cus_doesNotExist00"}
    assert run_scheduler(event)["replayed"] == 1  # rejected entries are reported again, never retried forever


def test_transient_failures_are_retried_then_fail_the_delivery(api, ledger_table, monkeypatch):
    from ledger import errors

    customers = _customers(api, 2)
    event = plan(entries_for(customers))
    real_create = balance_transactions.create
    failures = {customers[0]: 2, customers[1]: 99}  # the first recovers, the second keeps failing

    def flaky(caller, customer_id, *args, **kwargs):
        if failures[customer_id] > 0:
            failures[customer_id] -= 1
            raise errors.lock_timeout()
        return real_create(caller, customer_id, *args, **kwargs)

    monkeypatch.setattr(balance_transactions, "create", flaky)
    monkeypatch.setattr("ledger.retry.time.sleep", lambda _s: None)
    with pytest.raises(OccurrenceIncomplete):
        run_scheduler(event)
    monkeypatch.undo()
    retried = run_scheduler(event)  # the scheduler's retry, once the customer is reachable again
    assert (retried["applied"], retried["replayed"]) == (1, 1)
    assert len(scheduled_entries(customers)) == 2


def test_static_problems_apply_nothing(api, ledger_table):
    customers = _customers(api, 2)
    duplicate = {"id": customers[0] + "-0", "customer": customers[1], "amount": 1, "currency": "usd"}
    bad = plan([*entries_for(customers), duplicate])
    with pytest.raises(PlanError, match="duplicate"):
        run_scheduler(bad)
    old = plan(entries_for(customers), when=(datetime.now(UTC) - timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    with pytest.raises(PlanError, match="older than 14 days"):
        run_scheduler(old)
    assert scheduled_entries(customers) == []


def test_dry_run_reports_without_writing(api, ledger_table):
    customers = _customers(api, 2)
    event = plan(entries_for([*customers, "cus_missing0000000"]), dry_run=True)
    summary = run_scheduler(event)
    assert summary["would_apply"] == 2 and summary["rejected"] == {"customer_missing": 1} and summary["applied"] == 0
    assert scheduled_entries(customers) == []
    run_scheduler({**event, "dry_run": False})
    assert run_scheduler(event)["replayed"] == 2


def test_changed_entry_in_a_redelivered_occurrence_is_rejected(api, ledger_table):
    customers = _customers(api, 1)
    event = plan(entries_for(customers))
    run_scheduler(event)
    changed = {**event, "entries": [{**event["entries"][0], "amount": -999}]}
    summary = run_scheduler(changed)
    assert summary["rejected"] == {"entry_changed": 1} and len(scheduled_entries(customers)) == 1


def test_large_plan_from_s3_fans_out_and_redrive_replays(api, ledger_table, plan_queue, monkeypatch):
    import json

    monkeypatch.setenv("DIRECT_APPLY_LIMIT", "5")
    from ledger import config

    config.settings.cache_clear()
    customers = _customers(api, 6)
    lines = entries_for(customers, per_customer=4)
    plan_queue["s3"].put_object(Bucket=plan_queue["bucket"], Key="nov.jsonl",
                                Body="\n".join(json.dumps(e) for e in lines).encode())
    event = {"plan": "fees", "scheduled_time": plan([])["scheduled_time"],
             "source": {"s3": {"bucket": plan_queue["bucket"], "key": "nov.jsonl"}}}
    summary = run_scheduler(event)
    assert (summary["queued"], summary["applied"]) == (24, 0)
    messages = drain(plan_queue)
    groups = {m["Attributes"]["MessageGroupId"] for m in messages}
    assert groups == {f"test:{c}" for c in customers}
    result = run_worker(messages)
    assert result == {"batchItemFailures": []}
    assert len(scheduled_entries(customers)) == 24
    # A dead-letter redrive days later delivers the same messages again: everything replays.
    assert run_worker(messages) == {"batchItemFailures": []}
    found = scheduled_entries(customers)
    assert len(found) == 24 and len(set(found)) == 24


def test_worker_refuses_an_occurrence_past_retention(api, ledger_table):
    import json

    customers = _customers(api, 1)
    old = (datetime.now(UTC) - timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps({"plan": "p", "scheduled_time": old, "entries": entries_for(customers)})
    message = {"MessageId": "m1", "ReceiptHandle": "r", "Body": body, "MD5OfBody": "x",
               "Attributes": {"MessageGroupId": "g", "SequenceNumber": "1"}}
    assert run_worker([message]) == {"batchItemFailures": []}
    assert scheduled_entries(customers) == []


def test_five_thousand_entries_over_five_hundred_customers_with_api_writes(api, ledger_table, plan_queue,
                                                                          monkeypatch):
    from ledger import config

    monkeypatch.setenv("DIRECT_APPLY_LIMIT", "100")
    config.settings.cache_clear()
    with ThreadPoolExecutor(8) as pool:
        customers = list(pool.map(lambda _: api.customer()["id"], range(500)))
    event = plan(entries_for(customers, per_customer=10), name="big")
    assert run_scheduler(event)["queued"] == 5000
    messages = drain(plan_queue)
    by_group: dict[str, list] = {}
    for m in messages:
        by_group.setdefault(m["Attributes"]["MessageGroupId"], []).append(m)
    batches = [group[i:i + 10] for group in by_group.values() for i in range(0, len(group), 10)]
    rng = random.Random(7)
    hot = rng.sample(customers, 20)

    def api_writes():
        return [api.transaction(rng.choice(hot), rng.randint(1, 50))["id"] for _ in range(60)]

    with ThreadPoolExecutor(4) as pool:
        writer = pool.submit(api_writes)
        results = list(pool.map(run_worker, batches))
        api_ids = writer.result()
    assert all(r == {"batchItemFailures": []} for r in results)
    found = scheduled_entries(customers)
    assert len(found) == 5000 and len(set(found)) == 5000
    for customer_id in hot:
        _, chain = assert_intact(customer_id)
        assert {t.id for t in chain if t.source.origin == "api"} <= set(api_ids)
    assert sum(len(assert_intact(c)[1]) for c in hot) == 20 * 10 + len(api_ids)
