"""DynamoDB round trips per operation (no Scan anywhere on a request path)."""

import pytest

from tests.support.round_trips import counted
from tests.support.waiting import eventually

pytestmark = pytest.mark.dynamodb_local


def test_round_trips_per_operation(api, ledger_table):
    customer = api.customer(balance=5)
    cid = customer["id"]
    base = f"/v1/customers/{cid}/balance_transactions"
    with counted() as calls:
        txn = api.transaction(cid, -500, expand=["customer"])
    assert calls == ["GetItem", "TransactWriteItems"]
    with counted() as calls:
        api.get(f"{base}/{txn['id']}", {"expand": ["customer"]})
    assert calls == ["BatchGetItem"]
    with counted() as calls:
        page = api.get(base, {"limit": 1, "expand": ["data.customer"]}).body
    assert calls == ["Query"] and page["has_more"]
    with counted() as calls:
        api.get(base, {"limit": 1, "starting_after": page["data"][0]["id"]})
    assert calls == ["BatchGetItem", "Query"]
    with counted() as calls:
        api.get(base, {"created": {"gte": 0}})
    assert calls == ["Query"]
    with counted() as calls:  # the customer item sorts after every transaction: outside an upper bound, read on its own
        api.get(base, {"created": {"lte": txn["created"]}})
    assert calls == ["GetItem", "Query"]
    with counted() as calls:
        api.get(f"/v1/customers/{cid}")
    assert calls == ["GetItem"]
    with counted() as calls:
        api.post(f"{base}/{txn['id']}", {"metadata": {"a": "b"}})
    assert calls == ["BatchGetItem", "TransactWriteItems"]
    eventually(lambda: api.get("/v1/customers", {"limit": 3}).body, lambda page: bool(page["data"]))
    with counted() as calls:  # once the index shows the customer (it lags behind writes, as on AWS)
        api.get("/v1/customers", {"limit": 3})
    assert calls == ["Query", "BatchGetItem"]
    with counted() as calls:
        api.customer(balance=100)
    assert calls == ["TransactWriteItems"]
    with counted() as calls:
        api.customer()
    assert calls == ["PutItem"]
    with counted() as calls:
        api.post(f"/v1/customers/{cid}", {"name": "renamed"})
    assert calls == ["GetItem", "PutItem"]
    with counted() as calls:
        api.post(f"/v1/customers/{cid}", {"name": "renamed"})
    assert calls == ["GetItem"]  # nothing changes: nothing written


def test_a_replay_is_one_read_and_no_write(api, ledger_table):
    """A retried request finds its saved outcome in the read it starts with (the record is read with
    the customer): it never reaches a write, so a retry storm costs reads only."""
    cid = api.customer(balance=5)["id"]
    txn = api.get(f"/v1/customers/{cid}/balance_transactions").body["data"][0]["id"]
    requests = [
        ("POST", f"/v1/customers/{cid}/balance_transactions", {"amount": 3, "currency": "usd"}),
        ("POST", f"/v1/customers/{cid}/balance_transactions/{txn}", {"metadata": {"a": "b"}}),
        ("POST", f"/v1/customers/{cid}", {"name": "renamed"}),
        ("DELETE", f"/v1/customers/{cid}", None),
    ]
    for n, (method, path, params) in enumerate(requests):
        headers = {"Idempotency-Key": f"replayed-{n}"}
        first = api.request(method, path, params, headers=headers)
        with counted() as calls:
            again = api.request(method, path, params, headers=headers)
        assert again.body == first.body and again.headers["Idempotent-Replayed"] == "true", path
        assert calls == ["BatchGetItem"], (method, path, calls)


def test_round_trips_per_webhook_endpoint_operation(api, ledger_table):
    """A mode's endpoints are one partition: a list is one Query, a create counts them with it."""
    path = "/v1/webhook_endpoints"
    params = {"url": "https://example.com/hooks", "enabled_events": ["*"]}
    with counted() as calls:
        endpoint = api.post(path, params).body["id"]
    assert calls == ["Query", "PutItem"]
    with counted() as calls:
        api.post(path, params, headers={"Idempotency-Key": "we-1"})
    assert calls == ["GetItem", "Query", "TransactWriteItems"]
    with counted() as calls:
        api.post(path, params, headers={"Idempotency-Key": "we-1"})
    assert calls == ["GetItem"]  # a replay: the key's record only
    with counted() as calls:
        api.get(f"{path}/{endpoint}")
    assert calls == ["GetItem"]
    with counted() as calls:
        api.get(path, {"starting_after": endpoint})
    assert calls == ["Query"]
    with counted() as calls:
        api.post(f"{path}/{endpoint}", {"disabled": "true"})
    assert calls == ["GetItem", "PutItem"]
    with counted() as calls:
        api.post(f"{path}/{endpoint}", {"disabled": "true"})
    assert calls == ["GetItem"]  # nothing changes: nothing written
    with counted() as calls:
        api.post(f"{path}/{endpoint}", {"description": "x"}, headers={"Idempotency-Key": "we-2"})
    assert calls == ["GetItem", "GetItem", "TransactWriteItems"]
    with counted() as calls:
        api.delete(f"{path}/{endpoint}")
    assert calls == ["GetItem", "DeleteItem"]
    with counted() as calls:
        api.get(f"{path}/we_unknown")
    assert calls == []  # no endpoint has that shape of id
