"""What a scheduled run leaves behind for the people who run it (docs/operations.md, "Reading a run's
summary"): the summary each function returns or logs, the transactions and keys it writes, the EMF
metrics the alarms in template.yaml watch, and the log records of failing entries. On moto; the
concurrency and exactly-once guarantees are tested on DynamoDB Local (tests/integration)."""

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger import balance_transactions, config, dal, errors, retry
from ledger.config import MAX_AMOUNT
from ledger.models import Source
from ledger.scheduled_adjustments import OccurrenceIncomplete, apply, apply_message
from tests.support.api import LIVE_KEY, Api
from tests.support.chains import read_chain
from tests.support.metrics import printed_metrics as _metrics
from tests.support.scheduling import entries_for, now_iso, plan, run_scheduler, run_worker

CHANGED = "this entry was applied with other values in this occurrence"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every line the Powertools logger writes, formatted by its own JSON formatter."""
    from ledger.observability import logger

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_handler.formatter)
    level = logger.log_level
    logger.setLevel("INFO")
    logger._logger.addHandler(handler)
    yield buffer
    logger._logger.removeHandler(handler)
    logger.setLevel(level)


def _logged(buffer: io.StringIO, message: str) -> list[dict[str, Any]]:
    return [record for record in map(json.loads, buffer.getvalue().splitlines()) if record["message"] == message]


def _counts(out: str) -> dict[str, float]:
    """The value of each ScheduledEntries* count of one invocation (each is counted once)."""
    return {
        name: values[0][0]
        for name, values in _metrics(out).items()
        if name.startswith("ScheduledEntries") and name != "ScheduledEntriesRejectedByReason"
    }


def test_an_applied_entry_is_an_adjustment_that_names_its_plan_and_occurrence(api_on_moto: Api) -> None:
    customer = api_on_moto.customer(balance=1000)["id"]
    entry = {
        "id": "gold",
        "customer": customer,
        "amount": -500,
        "currency": "usd",
        "description": "Loyalty credit",
        "metadata": {"program": "gold"},
    }
    event = plan([entry], name="monthly-loyalty")
    occurrence = event["scheduled_time"]
    run_scheduler(event)
    _, chain = read_chain(customer)
    txn = chain[-1]
    assert (txn.type, txn.amount, txn.description) == ("adjustment", -500, "Loyalty credit")
    assert txn.metadata == {
        "program": "gold",
        "schedule_plan": "monthly-loyalty",
        "schedule_occurrence": occurrence,
        "schedule_entry": "gold",
    }
    # The audit trail: which plan occurrence wrote it, as the API records a request id and a key id.
    assert txn.source == Source(origin="schedule", request_id=f"monthly-loyalty/{occurrence}", key_id="schedule")
    # The entry's key keeps what was applied, committed with the transaction.
    saved = dal.read("test", claim=("system", f"monthly-loyalty/{occurrence}/gold")).claim
    assert saved is not None
    assert json.loads(saved.body) == {
        "id": txn.id,
        "customer": customer,
        "amount": -500,
        "currency": "usd",
        "ending_balance": 500,
    }


def test_a_live_entry_applies_to_the_live_customer(api_on_moto: Api) -> None:
    customer = Api(key=LIVE_KEY).customer()["id"]
    event = plan([{"id": "fee", "customer": customer, "amount": 300, "currency": "usd", "mode": "live"}])
    assert run_scheduler(event)["applied"] == 1
    _, chain = read_chain(customer, mode="live")
    assert [(t.amount, t.mode) for t in chain] == [(300, "live")]


def test_the_summary_and_metrics_count_every_outcome(api_on_moto: Api, emf: pytest.CaptureFixture[str]) -> None:
    healthy = api_on_moto.customer()["id"]
    full = api_on_moto.customer(balance=MAX_AMOUNT)["id"]  # one more cent would pass the balance limit
    entries = [
        *entries_for([healthy], per_customer=2),
        {"id": "unknown", "customer": "cus_doesNotExist00", "amount": -100, "currency": "usd"},
        {"id": "too-much", "customer": full, "amount": 1, "currency": "usd"},
    ]
    event = plan(entries)
    summary = run_scheduler(event)
    assert {k: summary[k] for k in ("entries", "applied", "replayed", "failed", "dry_run")} == {
        "entries": 4,
        "applied": 2,
        "replayed": 0,
        "failed": 0,
        "dry_run": False,
    }
    assert summary["rejected"] == {"customer_missing": 1, "invalid_for_balance": 1}
    assert summary["rejections"] == [
        {
            "entry": "unknown",
            "customer": "cus_doesNotExist00",
            "reason": "customer_missing",
            "message": "No such customer: 'cus_doesNotExist00'",
        },
        {
            "entry": "too-much",
            "customer": full,
            "reason": "invalid_for_balance",
            "message": f"This transaction would take the customer's usd balance to {MAX_AMOUNT + 1}; balances are "
            f"limited to {MAX_AMOUNT} in absolute value.",
        },
    ]
    out = emf.readouterr().out
    assert _counts(out) == {
        "ScheduledEntriesApplied": 2,
        "ScheduledEntriesReplayed": 0,
        "ScheduledEntriesFailed": 0,
        "ScheduledEntriesRejected": 2,
    }
    assert sorted(_metrics(out)["ScheduledEntriesRejectedByReason"], key=str) == [
        (1, "Count", {"reason": "customer_missing", "service": "ledger"}),
        (1, "Count", {"reason": "invalid_for_balance", "service": "ledger"}),
    ]

    # Delivered again with one entry changed: the others replay or are rejected again, nothing applies.
    changed = {**event, "entries": [{**entries[0], "amount": -1}, *entries[1:]]}
    summary = run_scheduler(changed)
    assert (summary["applied"], summary["replayed"]) == (0, 1)
    assert summary["rejected"] == {"entry_changed": 1, "customer_missing": 1, "invalid_for_balance": 1}
    assert summary["rejections"][0] == {
        "entry": entries[0]["id"],
        "customer": healthy,
        "reason": "entry_changed",
        "message": CHANGED,
    }
    assert _counts(emf.readouterr().out)["ScheduledEntriesRejected"] == 3
    run_scheduler(event)
    assert _counts(emf.readouterr().out)["ScheduledEntriesReplayed"] == 2


def test_a_dry_run_reports_what_it_would_do_without_writing(api_on_moto: Api) -> None:
    customer = api_on_moto.customer()["id"]
    applied, fresh = entries_for([customer], per_customer=2)
    when = now_iso()  # one occurrence: applied, then assessed again
    run_scheduler(plan([applied], when=when))
    missing = {"id": "unknown", "customer": "cus_doesNotExist00", "amount": -100, "currency": "usd"}
    event = plan([{**applied, "amount": -1}, fresh, missing], when=when, dry_run=True)
    summary = run_scheduler(event)
    assert (summary["dry_run"], summary["entries"], summary["would_apply"], summary["applied"]) == (True, 3, 1, 0)
    assert summary["rejections"] == [
        {"entry": applied["id"], "customer": customer, "reason": "entry_changed", "message": CHANGED},
        {
            "entry": "unknown",
            "customer": "cus_doesNotExist00",
            "reason": "customer_missing",
            "message": "No such customer: 'cus_doesNotExist00'",
        },
    ]
    assert len(read_chain(customer)[1]) == 1


def _failing(monkeypatch: pytest.MonkeyPatch, failures: dict[str, Exception]) -> None:
    """balance_transactions.create keeps raising for the customers named, with no backoff sleeps."""
    real_create = balance_transactions.create

    def create(caller: Any, customer_id: str, *args: Any, **kwargs: Any) -> Any:
        if customer_id in failures:
            raise failures[customer_id]
        return real_create(caller, customer_id, *args, **kwargs)

    monkeypatch.setattr(balance_transactions, "create", create)
    monkeypatch.setattr(retry.time, "sleep", lambda _s: None)


def test_entries_that_keep_failing_are_logged_counted_and_fail_the_occurrence(
    api_on_moto: Api, monkeypatch: pytest.MonkeyPatch, json_logs: io.StringIO, emf: pytest.CaptureFixture[str]
) -> None:
    locked, unreachable, healthy = (api_on_moto.customer()["id"] for _ in range(3))
    _failing(monkeypatch, {locked: errors.lock_timeout(), unreachable: TimeoutError("no answer")})
    event = plan(entries_for([locked, unreachable, healthy]))
    with pytest.raises(OccurrenceIncomplete) as incomplete:
        run_scheduler(event)
    # The invocation's error (in the on-failure record) says how many failed, and the whole summary.
    assert str(incomplete.value).startswith("2 entries failed transiently: {")
    assert json.loads(str(incomplete.value).split(": ", 1)[1])["applied"] == 1
    # Each attempt is logged, so an operator sees which entry failed, how often, and with what.
    attempts = [(r["entry"], r["attempt"], r["error"]) for r in _logged(json_logs, "entry attempt failed")]
    tries = range(1, apply.TRANSIENT.attempts_max + 1)
    assert attempts == [(f"{locked}-0", n, "StripeError") for n in tries] + [
        (f"{unreachable}-0", n, "TimeoutError") for n in tries
    ]
    (logged,) = _logged(json_logs, "occurrence summary")
    assert (logged["summary"]["failed"], logged["summary"]["applied"]) == (2, 1)
    assert _counts(emf.readouterr().out)["ScheduledEntriesFailed"] == 2


def _message(body: dict[str, Any]) -> dict[str, Any]:
    """One received SQS message of the adjustments queue, as the worker gets it."""
    return {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": json.dumps(body),
        "MD5OfBody": "x",
        "Attributes": {"MessageGroupId": "g", "SequenceNumber": "1"},
    }


def test_the_worker_logs_each_messages_summary(api_on_moto: Api, json_logs: io.StringIO) -> None:
    customer = api_on_moto.customer()["id"]
    body = plan(entries_for([customer], per_customer=2), name="fees")
    assert run_worker([_message(body)]) == {"batchItemFailures": []}
    (logged,) = _logged(json_logs, "message summary")
    assert {k: logged["summary"][k] for k in ("plan", "entries", "applied")} == {
        "plan": "fees",
        "entries": 2,
        "applied": 2,
    }


def test_a_message_whose_entries_keep_failing_is_retried(
    api_on_moto: Api, monkeypatch: pytest.MonkeyPatch, emf: pytest.CaptureFixture[str]
) -> None:
    customers = [api_on_moto.customer()["id"] for _ in range(2)]
    _failing(monkeypatch, {customers[0]: TimeoutError("no answer")})
    with pytest.raises(OccurrenceIncomplete, match=r"^1 entries failed transiently$"):
        apply_message(plan(entries_for(customers)))
    assert len(read_chain(customers[1])[1]) == 1  # the other entry applied: it replays on the retry


def test_a_message_past_retention_rejects_each_entry_and_shows_the_first_hundred(
    emf: pytest.CaptureFixture[str],
) -> None:
    """A dead-letter redrive too late: its entries' keys may be gone, so nothing may apply (and nothing
    is read: no table is needed)."""
    old = (datetime.now(UTC) - timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    customers = [f"cus_late{i:010d}" for i in range(101)]
    summary = apply_message(plan(entries_for(customers), when=old))
    assert (summary.entries, summary.applied, summary.rejected) == (101, 0, {"occurrence_expired": 101})
    assert len(summary.rejections) == apply.REJECTIONS_SHOWN_MAX == 100
    assert summary.rejections[0] == {
        "entry": f"{customers[0]}-0",
        "customer": customers[0],
        "reason": "occurrence_expired",
        "message": "occurrence older than 14 days",
    }
    assert _metrics(emf.readouterr().out)["ScheduledEntriesRejectedByReason"] == [
        (101, "Count", {"reason": "occurrence_expired", "service": "ledger"})
    ]


@pytest.fixture
def queue(moto_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The adjustments FIFO queue on moto, configured with a direct-apply limit of two entries."""
    import boto3

    from ledger.dal import plans

    url = boto3.client("sqs").create_queue(QueueName="adjustments.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    monkeypatch.setenv("ADJUSTMENTS_QUEUE_URL", url)
    monkeypatch.setenv("DIRECT_APPLY_LIMIT", "2")
    config.settings.cache_clear()
    plans._client.cache_clear()
    yield url
    monkeypatch.undo()
    config.settings.cache_clear()
    plans._client.cache_clear()


def _queued(url: str) -> list[dict[str, Any]]:
    import boto3

    sqs, bodies = boto3.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(m["Body"]) for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def test_a_plan_up_to_the_direct_limit_applies_and_a_larger_one_is_queued(
    api_on_moto: Api, queue: str, emf: pytest.CaptureFixture[str]
) -> None:
    customers = [api_on_moto.customer()["id"] for _ in range(3)]
    summary = run_scheduler(plan(entries_for(customers[:2])))
    assert (summary["applied"], summary["queued"]) == (2, 0) and _queued(queue) == []
    emf.readouterr()
    summary = run_scheduler(plan(entries_for(customers), name="fees"))
    assert (summary["entries"], summary["applied"], summary["queued"]) == (3, 0, 3)
    assert _counts(emf.readouterr().out) == {"ScheduledEntriesQueued": 3}
    assert sorted(e["customer"] for body in _queued(queue) for e in body["entries"]) == sorted(customers)


def test_a_dry_run_of_a_large_plan_is_assessed_directly(api_on_moto: Api, queue: str) -> None:
    customers = [api_on_moto.customer()["id"] for _ in range(3)]
    summary = run_scheduler(plan(entries_for(customers), dry_run=True))
    assert (summary["would_apply"], summary["queued"]) == (3, 0) and _queued(queue) == []
