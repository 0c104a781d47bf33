"""The concurrency proof on DynamoDB Local (never moto, which loses updates under threads): many
writers, threads and separate processes, on one customer and on several, amounts and currencies
random, deletes racing creates; then every chain is checked with the ledger's invariants."""

import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from tests.support.chains import assert_intact
from tests.support.writers import post_many, process_writer

pytestmark = pytest.mark.dynamodb_local


def _run_writers(endpoint, table, customer_ids, threads, processes, per_writer, seed):
    replies = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool, ThreadPoolExecutor(threads) as local:
        remote = [pool.submit(process_writer, endpoint, table, customer_ids, per_writer, seed + 1000 + i)
                  for i in range(processes)]
        threaded = [local.submit(post_many, customer_ids, per_writer, seed + i) for i in range(threads)]
        for future in remote + threaded:
            replies.extend(future.result())
    return replies


def _check_acknowledged(replies, customer_ids):
    """Every 200 is in its chain exactly once, with its amount and ending balance; every other reply
    was a lock timeout, which wrote nothing."""
    acknowledged = {body["id"]: body for status, body in replies if status == 200}
    assert all(status in (200, 429) for status, _ in replies), {s for s, _ in replies}
    assert all(body["error"]["code"] == "lock_timeout" for status, body in replies if status == 429)
    found = {}
    for customer_id in customer_ids:
        _, chain = assert_intact(customer_id)
        for txn in chain:
            assert txn.id not in found
            found[txn.id] = txn
    api_posted = {i: t for i, t in found.items() if t.type == "adjustment"}
    assert set(api_posted) == set(acknowledged)
    for txn_id, body in acknowledged.items():
        txn = found[txn_id]
        assert (txn.amount, txn.currency, txn.ending_balance) == (body["amount"], body["currency"],
                                                                  body["ending_balance"])
    return acknowledged


def test_eight_threads_and_four_processes_on_one_customer(api, ledger_table, dynamodb_endpoint):
    customer = api.customer(balance=1000)
    replies = _run_writers(dynamodb_endpoint, ledger_table, [customer["id"]], threads=8, processes=4,
                           per_writer=12, seed=random.randrange(10**6))
    acknowledged = _check_acknowledged(replies, [customer["id"]])
    assert len(acknowledged) >= len(replies) * 0.9  # lock timeouts are the exception, not the rule
    fetched = api.get(f"/v1/customers/{customer['id']}").body
    usd = [b for b in acknowledged.values() if b["currency"] == "usd"]
    assert fetched["balance"] == 1000 + sum(b["amount"] for b in usd)


def test_writers_spread_over_several_customers(api, ledger_table, dynamodb_endpoint):
    customers = [api.customer()["id"] for _ in range(4)]
    replies = _run_writers(dynamodb_endpoint, ledger_table, customers, threads=6, processes=2,
                           per_writer=12, seed=random.randrange(10**6))
    _check_acknowledged(replies, customers)


def test_delete_racing_creates_leaves_one_consistent_chain(api, ledger_table):
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}"

    def create(i):
        return api.post(f"{path}/balance_transactions", {"amount": i + 1, "currency": "usd"})

    with ThreadPoolExecutor(8) as pool:
        creates = [pool.submit(create, i) for i in range(40)]
        deletion = pool.submit(api.delete, path)
        replies = [f.result() for f in creates]
    assert deletion.result().status == 200
    assert {r.status for r in replies} <= {200, 404, 429}
    acknowledged = {r.body["id"] for r in replies if r.status == 200}
    stored, chain = assert_intact(customer["id"])
    assert stored.deleted and {t.id for t in chain} == acknowledged
    # Nothing can be appended after the deletion committed.
    late = api.post(f"{path}/balance_transactions", {"amount": 1, "currency": "usd"})
    assert late.status == 404 and len(assert_intact(customer["id"])[1]) == len(acknowledged)


def test_concurrent_balance_updates_each_record_their_difference(api, ledger_table):
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}"
    targets = list(range(-2000, 2000, 250))
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda b: api.post(path, {"balance": b}), targets))
    assert all(r.status in (200, 429) for r in replies)
    applied = [(target, r) for target, r in zip(targets, replies, strict=True) if r.status == 200]
    assert applied, "no update went through"
    assert all(r.body["balance"] == target for target, r in applied)  # each 200 left its target
    stored, chain = assert_intact(customer["id"])
    ending_balances = [t.ending_balance for t in chain]
    assert all(target in ending_balances or target == 0 for target, _ in applied)  # each one recorded
    assert len(chain) <= len(applied)  # never more transactions than updates that went through
    final = api.get(path).body["balance"]
    assert final == stored.balance == sum(t.amount for t in chain)
    assert final in [target for target, _ in applied]


def test_concurrent_edits_of_distinct_metadata_keys_all_land(api, ledger_table):
    """Sixteen edits of one transaction at once, each setting its own metadata key: each edit is
    conditioned on the revision it read, so none overwrites another's key."""
    customer = api.customer()["id"]
    txn = api.transaction(customer, 100)["id"]
    path = f"/v1/customers/{customer}/balance_transactions/{txn}"
    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda i: api.post(path, {"metadata": {f"k{i}": f"v{i}"}}), range(16)))
    assert [r.status for r in replies] == [200] * 16
    assert api.get(path).body["metadata"] == {f"k{i}": f"v{i}" for i in range(16)}


def test_concurrent_customer_edits_of_distinct_metadata_keys_all_land(api, ledger_table):
    """The same for a customer: each profile edit is conditioned on the version it read and moves it on,
    so none overwrites another's key."""
    customer = api.customer()["id"]
    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda i: api.post(f"/v1/customers/{customer}", {"metadata": {f"k{i}": f"v{i}"}}),
                                range(16)))
    assert [r.status for r in replies] == [200] * 16
    assert api.get(f"/v1/customers/{customer}").body["metadata"] == {f"k{i}": f"v{i}" for i in range(16)}
