"""Conditional-write behaviour on the real engine: a stale version is refused and the engine hands
back the current item; retries re-derive from it; a request losing to a busy writer is not starved;
a spent budget answers 429 lock_timeout having written nothing."""

import time

import pytest

from ledger import dal
from tests.support.budget import shorten_write_budget
from tests.support.chains import assert_intact

pytestmark = pytest.mark.dynamodb_local


def test_stale_version_is_refused_and_current_item_returned(api, ledger_table):
    customer = api.customer(balance=10)
    current = dal.get_customer("test", customer["id"])
    api.transaction(customer["id"], 5)  # moves the version on
    stale = current.model_copy(update={"version": current.version + 1, "name": "lost update"})
    with pytest.raises(dal.StaleCustomer) as refused:
        dal.commit_customer(stale, current.version)
    assert refused.value.current is not None
    assert refused.value.current.version == current.version + 1 and refused.value.current.balance == 15
    assert dal.get_customer("test", customer["id"]).name is None


def test_a_conflict_is_retried_from_the_returned_state(api, ledger_table, monkeypatch):
    customer = api.customer()
    real_commit = dal.commit_customer
    interfered = []

    def commit_after_a_rival(*args, **kwargs):
        if not interfered:  # a rival writer commits between our read and our write, once
            interfered.append(True)
            api.transaction(customer["id"], 7)
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(dal, "commit_customer", commit_after_a_rival)
    mine = api.transaction(customer["id"], 100)
    assert mine["ending_balance"] == 107
    _, chain = assert_intact(customer["id"])
    assert [t.amount for t in chain] == [7, 100]


def test_a_request_losing_to_a_busy_writer_is_not_starved(api, ledger_table, monkeypatch):
    """A rival commits during every pause of ours (and before our first write): only a retry made at
    once from the state handed back can win. Halfway through its budget the request makes those."""
    from ledger import balance_transactions
    from ledger.models import Source

    customer = api.customer()
    shorten_write_budget(monkeypatch, 2000)  # short enough that a request only ever losing would run out
    real_commit, real_sleep = dal.commit_customer, time.sleep
    paused, rivals = [True], []

    def sleep(seconds: float) -> None:
        paused[0] = True
        real_sleep(seconds)

    def commit_after_a_busy_rival(record, expected_version, *args, **kwargs):
        if paused[0]:
            live = dal.get_customer("test", record.id)
            rival = balance_transactions.next_transaction(live, amount=1, currency="usd", kind="adjustment",
                                                          source=Source(origin="api"))
            real_commit(rival.customer, live.version, rival.transaction)
            rivals.append(rival.transaction.id)
        paused[0] = False
        return real_commit(record, expected_version, *args, **kwargs)

    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(dal, "commit_customer", commit_after_a_busy_rival)
    mine = api.transaction(customer["id"], 100)
    monkeypatch.undo()
    assert len(rivals) >= 3  # it lost several times before it was urgent
    _, chain = assert_intact(customer["id"])
    assert [t.id for t in chain if t.amount == 100] == [mine["id"]]
    assert mine["ending_balance"] == len(rivals) + 100


def test_spent_budget_answers_lock_timeout_and_writes_nothing(api, ledger_table, monkeypatch):
    """A rival really commits before every attempt of ours, so every attempt really loses its
    condition: when the budget is spent the answer is 429, and none of our attempts left a trace."""
    from ledger import balance_transactions
    from ledger.models import Source

    customer = api.customer(balance=1)
    shorten_write_budget(monkeypatch, 200)
    real_commit, rivals = dal.commit_customer, []

    def commit_after_a_rival(record, expected_version, *args, **kwargs):
        live = dal.get_customer("test", record.id)
        rival = balance_transactions.next_transaction(live, amount=2, currency="usd", kind="adjustment",
                                                      source=Source(origin="api"))
        real_commit(rival.customer, live.version, rival.transaction)
        rivals.append(rival.transaction.id)
        return real_commit(record, expected_version, *args, **kwargs)

    monkeypatch.setattr(dal, "commit_customer", commit_after_a_rival)
    reply = api.post(f"/v1/customers/{customer['id']}/balance_transactions", {"amount": 5, "currency": "usd"})
    assert (reply.status, reply.error["code"]) == (429, "lock_timeout")
    assert reply.headers["Stripe-Should-Retry"] == "true"
    monkeypatch.undo()
    stored, chain = assert_intact(customer["id"])
    assert len(rivals) >= 2 and [t.id for t in chain[1:]] == rivals
    assert 5 not in [t.amount for t in chain] and stored.balance == 1 + 2 * len(rivals)


def test_database_failure_is_a_stripe_shaped_5xx_without_trace(api, ledger_table, monkeypatch):
    from botocore.exceptions import ReadTimeoutError

    customer = api.customer()

    def timeout(*_args, **_kw):
        raise ReadTimeoutError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(dal, "get_customer", timeout)
    reply = api.get(f"/v1/customers/{customer['id']}")
    assert reply.status == 503 and reply.error["type"] == "api_error"
    assert "Traceback" not in str(reply.body)

    def bug(*_args, **_kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(dal, "get_customer", bug)
    reply = api.get(f"/v1/customers/{customer['id']}")
    assert reply.status == 500 and reply.error["type"] == "api_error" and "boom" not in str(reply.body)
