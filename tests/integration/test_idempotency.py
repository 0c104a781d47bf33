"""Idempotency-Key on DynamoDB Local: replays, mismatches, a response lost after the commit, many
concurrent requests with one key, expiry, mode scoping; then the chain invariants."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger import clock
from tests.support.api import LIVE_KEY, Api
from tests.support.chains import assert_intact
from tests.support.faults import lose_response_after_commit
from tests.support.waiting import eventually

pytestmark = pytest.mark.dynamodb_local


def _post(api, path, params, key):
    return api.post(path, params, headers={"Idempotency-Key": key})


def test_same_key_same_request_replays_and_writes_nothing(api, ledger_table):
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    first = _post(api, path, {"amount": -500, "currency": "usd"}, "order-6735")
    again = _post(api, path, {"amount": -500, "currency": "usd"}, "order-6735")
    assert first.status == again.status == 200
    assert again.body == first.body and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    _, chain = assert_intact(customer["id"])
    assert [t.id for t in chain] == [first.body["id"]]


def test_same_key_other_parameters_is_an_idempotency_error(api, ledger_table):
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    assert _post(api, path, {"amount": -500, "currency": "usd"}, "k1").status == 200
    mismatch = _post(api, path, {"amount": -501, "currency": "usd"}, "k1")
    assert mismatch.status == 400 and mismatch.error["type"] == "idempotency_error"
    other_path = _post(api, f"/v1/customers/{customer['id']}", {"name": "x"}, "k1")
    assert other_path.status == 400 and other_path.error["type"] == "idempotency_error"
    stored, chain = assert_intact(customer["id"])
    assert len(chain) == 1 and stored.name is None


def test_lost_response_after_commit_is_replayed_not_applied_again(api, ledger_table):
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    with lose_response_after_commit() as lost:
        failed = _post(api, path, {"amount": 250, "currency": "eur"}, "retry-me")
    assert lost == [1] and failed.status == 503 and failed.error["type"] == "api_error"
    retried = _post(api, path, {"amount": 250, "currency": "eur"}, "retry-me")
    assert retried.status == 200 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.body["ending_balance"] == 250
    _, chain = assert_intact(customer["id"])
    assert [t.id for t in chain] == [retried.body["id"]]


def test_sixteen_concurrent_requests_with_one_key_apply_once(api, ledger_table):
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda _: _post(api, path, {"amount": 42, "currency": "usd"}, "once"), range(16)))
    applied = [r for r in replies if r.status == 200]
    assert applied and all(r.status in (200, 409) for r in replies), [r.status for r in replies]
    assert len({r.body["id"] for r in applied}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in applied) == 1
    assert all(r.error["code"] == "idempotency_key_in_use" for r in replies if r.status == 409)
    _, chain = assert_intact(customer["id"])
    assert len(chain) == 1 and chain[0].id == applied[0].body["id"]


def test_keys_expire_after_24_hours(api, ledger_table):
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    start = time.time()
    clock.use(lambda: start)
    try:
        first = _post(api, path, {"amount": 1, "currency": "usd"}, "daily")
        clock.use(lambda: start + 24 * 3600 - 1)
        assert _post(api, path, {"amount": 1, "currency": "usd"}, "daily").body["id"] == first.body["id"]
        clock.use(lambda: start + 24 * 3600)
        fresh = _post(api, path, {"amount": 2, "currency": "usd"}, "daily")
    finally:
        clock.use(time.time)
    assert fresh.status == 200 and fresh.body["id"] != first.body["id"] and "Idempotent-Replayed" not in fresh.headers
    _, chain = assert_intact(customer["id"])
    assert [t.amount for t in chain] == [1, 2]


def test_keys_are_scoped_to_the_mode(api, ledger_table):
    live = Api(key=LIVE_KEY)
    test_customer = api.post("/v1/customers", {"name": "t"}, headers={"Idempotency-Key": "same"})
    live_customer = live.post("/v1/customers", {"name": "t"}, headers={"Idempotency-Key": "same"})
    assert test_customer.status == live_customer.status == 200
    assert "Idempotent-Replayed" not in live_customer.headers
    assert test_customer.body["id"] != live_customer.body["id"]
    assert (test_customer.body["livemode"], live_customer.body["livemode"]) == (False, True)


def test_failures_before_commit_save_nothing(api, ledger_table):
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    invalid = _post(api, path, {"amount": "1.5", "currency": "usd"}, "fix-and-retry")
    assert invalid.status == 400
    fixed = _post(api, path, {"amount": 15, "currency": "usd"}, "fix-and-retry")
    assert fixed.status == 200 and "Idempotent-Replayed" not in fixed.headers
    too_long = _post(api, path, {"amount": 15, "currency": "usd"}, "k" * 256)
    assert (too_long.status, too_long.error["param"]) == (400, "Idempotency-Key")
    assert len(assert_intact(customer["id"])[1]) == 1


@pytest.mark.parametrize("operation", ["create_customer", "update_customer", "delete_customer",
                                       "update_transaction"])
def test_every_write_operation_replays(api, ledger_table, operation):
    customer = api.customer(balance=10)
    cid = customer["id"]
    txn_id = api.get(f"/v1/customers/{cid}/balance_transactions").body["data"][0]["id"]
    method, path, params = {
        "create_customer": ("POST", "/v1/customers", {"balance": 5, "email": "a@example.com"}),
        "update_customer": ("POST", f"/v1/customers/{cid}", {"balance": 99}),
        "delete_customer": ("DELETE", f"/v1/customers/{cid}", None),
        "update_transaction": ("POST", f"/v1/customers/{cid}/balance_transactions/{txn_id}", {"metadata": {"a": "1"}}),
    }[operation]
    first = api.request(method, path, params, headers={"Idempotency-Key": f"k-{operation}"})
    again = api.request(method, path, params, headers={"Idempotency-Key": f"k-{operation}"})
    assert first.status == 200, first.body
    assert again.status == 200 and again.body == first.body and again.headers["Idempotent-Replayed"] == "true"
    _, chain = assert_intact(cid)
    assert len(chain) == (2 if operation == "update_customer" else 1)
    if operation == "create_customer":
        listed = eventually(lambda: api.get("/v1/customers", {"email": "a@example.com"}).body,
                            lambda page: bool(page["data"]))
        assert len(listed["data"]) == 1


def test_a_key_is_bound_to_its_operation_and_path_not_only_its_parameters(api, ledger_table):
    first, second = api.customer(balance=10)["id"], api.customer(balance=10)["id"]
    transaction = {"amount": 3, "currency": "usd"}
    assert _post(api, f"/v1/customers/{first}/balance_transactions", transaction, "bound").status == 200
    other_customer = _post(api, f"/v1/customers/{second}/balance_transactions", transaction, "bound")
    assert (other_customer.status, other_customer.error) == (400, {
        "type": "idempotency_error",
        "message": "Keys for idempotent requests can only be used with the same parameters they were first used "
                   "with. Try using a key other than 'bound' if you meant to execute a different request."})
    assert api.post(f"/v1/customers/{first}", {}, headers={"Idempotency-Key": "verb"}).status == 200
    other_operation = api.delete(f"/v1/customers/{first}", headers={"Idempotency-Key": "verb"})
    assert (other_operation.status, other_operation.error["type"]) == (400, "idempotency_error")
    assert api.get(f"/v1/customers/{first}").body["balance"] == 13
    assert len(assert_intact(second)[1]) == 1


def test_a_key_is_1_to_255_printable_characters(api, ledger_table):
    customer = api.customer()["id"]
    path = f"/v1/customers/{customer}/balance_transactions"
    assert _post(api, path, {"amount": 1, "currency": "usd"}, "k" * 255).status == 200
    refused = _post(api, path, {"amount": 1, "currency": "usd"}, "k" * 256)
    assert (refused.status, refused.error) == (400, {
        "type": "invalid_request_error", "param": "Idempotency-Key",
        "message": "Idempotency keys must be 1 to 255 printable characters long."})
    assert len(assert_intact(customer)[1]) == 1


def test_a_retry_that_sends_the_same_parameters_in_another_order_replays(api, ledger_table):
    """Parameters are compared as values, not as the order a client happened to send them in."""
    customer = api.customer()["id"]
    path = f"/v1/customers/{customer}/balance_transactions"
    first = api.post(path, [("amount", "5"), ("currency", "usd"), ("metadata[a]", "1"), ("metadata[b]", "2")],
                     headers={"Idempotency-Key": "ordered"})
    again = api.post(path, [("metadata[b]", "2"), ("metadata[a]", "1"), ("currency", "usd"), ("amount", "5")],
                     headers={"Idempotency-Key": "ordered"})
    assert first.status == 200 and (again.status, again.body) == (200, first.body)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(assert_intact(customer)[1]) == 1
