"""The commit loop's observable details (found by mutation testing): what it counts, what a request
that changes nothing still saves, how many round trips a replay or a single lost race costs, what a
refusal names, and when a losing request stops yielding."""

import json

import pytest

from ledger import chain, dal
from tests.support.budget import shorten_write_budget
from tests.support.rivals import lose_to_rivals
from tests.support.round_trips import counted

pytestmark = pytest.mark.dynamodb_local


def _metrics(out: str) -> list[str]:
    """Metric names in the EMF lines a request printed."""
    names = []
    for line in out.splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            names += [m["Name"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    return names


def test_what_each_write_counts(api, ledger_table, capsys, monkeypatch):
    capsys.readouterr()
    api.customer()
    assert "BalanceTransactionsCreated" not in _metrics(capsys.readouterr().out)
    customer = api.customer(balance=10)["id"]
    assert _metrics(capsys.readouterr().out).count("BalanceTransactionsCreated") == 1
    api.transaction(customer, 5)
    assert _metrics(capsys.readouterr().out).count("BalanceTransactionsCreated") == 1
    api.post(f"/v1/customers/{customer}", {"name": "no money moves"})
    assert "BalanceTransactionsCreated" not in _metrics(capsys.readouterr().out)

    lose_to_rivals(monkeypatch)
    api.transaction(customer, 1)
    monkeypatch.undo()
    assert "VersionConflictsRetried" in _metrics(capsys.readouterr().out)


    shorten_write_budget(monkeypatch, 30)
    monkeypatch.setattr(dal, "commit_customer", lambda *a, **k: (_ for _ in ()).throw(dal.StaleCustomer(None)))
    assert api.post(f"/v1/customers/{customer}/balance_transactions", {"amount": 1, "currency": "usd"}).status == 429
    monkeypatch.undo()
    assert "LockTimeouts" in _metrics(capsys.readouterr().out)


def test_a_request_that_changes_nothing_still_saves_its_key(api, ledger_table):
    customer = api.customer(name="Same")["id"]
    path = f"/v1/customers/{customer}"
    unchanged = api.post(path, {"name": "Same"}, headers={"Idempotency-Key": "noop"})
    assert unchanged.status == 200
    other = api.post(path, {"name": "Other"}, headers={"Idempotency-Key": "noop"})
    assert other.status == 400 and other.error["type"] == "idempotency_error"
    assert api.get(path).body["name"] == "Same"


def test_a_replayed_create_costs_one_read_and_a_single_lost_race_no_re_read(api, ledger_table, monkeypatch):
    params = {"email": "once@example.com"}
    first = api.post("/v1/customers", params, headers={"Idempotency-Key": "create-once"})
    with counted() as calls:
        again = api.post("/v1/customers", params, headers={"Idempotency-Key": "create-once"})
    assert again.body == first.body and calls == ["GetItem"]

    customer = first.body["id"]
    lose_to_rivals(monkeypatch)
    with counted() as calls:
        assert api.transaction(customer, 3)["ending_balance"] == 3
    # read, lose (the rival's own GetItem and Put are in between), then retry from the state handed back
    assert calls == ["GetItem", "GetItem", "PutItem", "TransactWriteItems", "TransactWriteItems"]


def test_a_create_whose_key_was_taken_meanwhile_replays(api, ledger_table, monkeypatch):
    first = api.post("/v1/customers", {"name": "A"}, headers={"Idempotency-Key": "create-race"})
    original_read = dal.read
    reads = []

    def read_before_the_winner(mode, customer_id=None, position=None, claim=None):
        reads.append(1)
        snapshot = original_read(mode, customer_id, position, claim)
        return snapshot._replace(claim=None) if len(reads) == 1 else snapshot  # the pre-check only

    monkeypatch.setattr(dal, "read", read_before_the_winner)
    again = api.post("/v1/customers", {"name": "A"}, headers={"Idempotency-Key": "create-race"})
    assert again.status == 200 and again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_a_key_whose_record_vanished_is_reported_busy(api, ledger_table, monkeypatch):
    customer = api.customer()["id"]
    monkeypatch.setattr(dal, "commit_customer", lambda *a, **k: (_ for _ in ()).throw(dal.ClaimTaken()))
    reply = api.post(f"/v1/customers/{customer}/balance_transactions", {"amount": 1, "currency": "usd"},
                     headers={"Idempotency-Key": "vanished-key"})
    assert (reply.status, reply.error["code"]) == (409, "idempotency_key_in_use")
    assert "'vanished-key'" in reply.error["message"]


@pytest.mark.parametrize(("method", "path", "params", "param"), [
    ("POST", "/v1/customers/{c}", {"name": "x"}, "id"),
    ("DELETE", "/v1/customers/{c}", None, "id"),
    ("POST", "/v1/customers/{c}/balance_transactions", {"amount": 1, "currency": "usd"}, "customer"),
])
def test_a_write_to_a_customer_that_is_gone_names_it(api, ledger_table, method, path, params, param):
    customer = api.customer()["id"]
    assert api.delete(f"/v1/customers/{customer}").status == 200
    for target in (customer, "cus_neverExisted"):
        reply = api.request(method, path.format(c=target), params)
        assert (reply.status, reply.error["param"]) == (404, param)
        assert reply.error["message"] == f"No such customer: '{target}'"


class _Attempts:
    """What `_after_losing` reads of the attempts: the budget, the time spent, and pauses taken."""

    def __init__(self, elapsed_ms: float, budget_ms: float = 1000) -> None:
        self.policy = chain.write_policy().__class__(attempts_max=10, budget_ms=budget_ms, backoff_base_ms=1,
                                                     backoff_cap_ms=1)
        self.elapsed_ms, self.paused = elapsed_ms, 0

    def pause(self) -> None:
        self.paused += 1

    def jitter(self, _up_to_ms: float) -> None:
        pass


@pytest.mark.parametrize(("elapsed_ms", "attempt", "urgent"), [
    (0, 0, True),  # the first loss: at once, from the state handed back
    (400, 3, False),  # later losses before half the budget: pause, then read again
    (500, 3, True),  # from half the budget on: at once, so a busy writer cannot starve it
    (999, 3, True),
    (1000, 3, False),  # the budget is spent: the pause ends it
])
def test_when_a_losing_request_stops_yielding(ledger_table, monkeypatch, elapsed_ms, attempt, urgent):
    from ledger.models import CustomerRecord

    handed_back = CustomerRecord(id="cus_handedBack", mode="test", created=1, version=7)
    fresh = handed_back.model_copy(update={"version": 8})
    monkeypatch.setattr(dal, "get_customer", lambda *_: fresh)
    attempts = _Attempts(elapsed_ms)
    current = chain._after_losing(attempts, attempt, dal.StaleCustomer(handed_back), "test", "cus_handedBack")
    assert (current, attempts.paused) == ((handed_back, 0) if urgent else (fresh, 1))


def test_what_an_edit_counts_when_it_loses(api, ledger_table, capsys, monkeypatch):
    """An edit that loses to another edit of the same transaction retries and counts it; one that keeps
    losing until its budget is spent answers lock_timeout and counts that."""

    customer = api.customer()["id"]
    txn = api.transaction(customer, 10)["id"]
    path = f"/v1/customers/{customer}/balance_transactions/{txn}"
    real_edit, rivals = dal.commit_transaction_edit, []

    def lose_once(edited, expected_revision, *args, **kwargs):
        if not rivals:
            rivals.append(1)
            real_edit(edited.model_copy(update={"description": "rival"}), expected_revision)
        return real_edit(edited, expected_revision, *args, **kwargs)

    capsys.readouterr()
    monkeypatch.setattr(dal, "commit_transaction_edit", lose_once)
    assert api.post(path, {"metadata": {"a": "1"}}).status == 200
    monkeypatch.undo()
    names = _metrics(capsys.readouterr().out)
    assert names.count("TransactionEditConflictsRetried") == 1 and "LockTimeouts" not in names
    assert api.get(path).body["description"] == "rival"  # the winner's edit kept, ours applied after it

    shorten_write_budget(monkeypatch, 30)
    monkeypatch.setattr(dal, "commit_transaction_edit",
                        lambda *a, **k: (_ for _ in ()).throw(dal.StaleTransaction()))
    reply = api.post(path, {"metadata": {"a": "2"}})
    monkeypatch.undo()
    assert (reply.status, reply.error["code"]) == (429, "lock_timeout")
    assert "LockTimeouts" in _metrics(capsys.readouterr().out)
    assert api.get(path).body["metadata"] == {"a": "1"}
