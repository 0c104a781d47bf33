"""Conditional-write behaviour on the real engine: a stale version is refused and the engine hands
back the current item; retries re-derive from it; a spent budget answers 429 lock_timeout having
written nothing."""

import pytest

from ledger import dal
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


def test_spent_budget_answers_lock_timeout_and_writes_nothing(api, ledger_table, monkeypatch):
    from ledger import config

    customer = api.customer(balance=1)
    monkeypatch.setenv("WRITE_BUDGET_SECONDS", "0.05")
    config.settings.cache_clear()

    def always_stale(*_args, **_kw):
        raise dal.StaleCustomer(None)

    monkeypatch.setattr(dal, "commit_customer", always_stale)
    reply = api.post(f"/v1/customers/{customer['id']}/balance_transactions", {"amount": 5, "currency": "usd"})
    assert (reply.status, reply.error["code"]) == (429, "lock_timeout")
    assert reply.headers["Stripe-Should-Retry"] == "true"
    monkeypatch.undo()
    config.settings.cache_clear()
    stored, chain = assert_intact(customer["id"])
    assert stored.balance == 1 and len(chain) == 1


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
