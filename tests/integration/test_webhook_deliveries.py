"""Webhook deliveries on DynamoDB Local (queues and bus on moto): every event reaches every endpoint
that wants it, signed so that stripe-python's construct_event accepts it; failures are retried until
delivered; one failing endpoint never holds up another; EventBridge gets every event."""

import itertools

import pytest

from tests.support.api import Api
from tests.support.webhooks import Pipeline, Receiver, add_endpoint

pytestmark = pytest.mark.dynamodb_local


def _ledger_activity(api: Api) -> str:
    customer = api.customer(email="hooks@example.com")["id"]
    api.post(f"/v1/customers/{customer}/balance_transactions", {"amount": -500, "currency": "usd"},
             headers={"Idempotency-Key": "hook-1"})
    api.post(f"/v1/customers/{customer}/balance_transactions", {"amount": -500, "currency": "usd"},
             headers={"Idempotency-Key": "hook-1"})  # a replay: no event, no delivery
    assert api.post(f"/v1/customers/{customer}/balance_transactions", {"amount": 0, "currency": "usd"}).status == 400
    api.transaction(customer, 200)
    api.post(f"/v1/customers/{customer}", {"name": "Jenny"})
    return customer


def test_every_event_is_delivered_signed_and_published(api: Api, pipeline: Pipeline, receiver: Receiver,
                                                       receivers) -> None:
    add_endpoint(receiver.url)
    only_deleted = receivers()
    add_endpoint(only_deleted.url, ["customer.deleted"])
    _ledger_activity(api)
    pipeline.run()
    events = api.get("/v1/events", {"limit": 100}).body["data"]
    assert len(events) == 6  # created, two transactions (each with customer.updated), the rename
    assert sorted(e["id"] for e in receiver.events) == sorted(e["id"] for e in events)
    assert receiver.refused == [] and only_deleted.attempts == 0  # it wants none of these
    for delivered in receiver.events:  # the payload is the event as the API renders it
        assert api.get(f"/v1/events/{delivered['id']}").body["id"] == delivered["id"]
        assert delivered["pending_webhooks"] == 1  # at the time it was sent
    assert all(e["pending_webhooks"] == 0 for e in api.get("/v1/events", {"limit": 100}).body["data"])
    bus = pipeline.on_the_bus()
    assert sorted(m["detail"]["id"] for m in bus) == sorted(e["id"] for e in events)
    assert {m["detail-type"] for m in bus} == {e["type"] for e in events}
    assert {m["source"] for m in bus} == {"customer-ledger"}


def test_failures_are_retried_until_delivered_and_chains_stay_consistent(api: Api, pipeline: Pipeline,
                                                                       receiver: Receiver) -> None:
    receiver.statuses = [500, 503, 404, 500]  # the first four attempts fail
    add_endpoint(receiver.url)
    dead = add_endpoint("http://127.0.0.1:9/down")  # nothing listens there: every attempt fails
    _ledger_activity(api)
    pipeline.run(seconds=6)  # retries come after 1 s, 2 s, 4 s (WEBHOOK_RETRY_BASE_S=1)
    events = api.get("/v1/events", {"limit": 100}).body["data"]
    assert sorted({e["id"] for e in receiver.events}) == sorted(e["id"] for e in events)
    updates = sorted((e for e in receiver.events if e["type"] == "customer.updated"),
                     key=lambda e: [x["id"] for x in reversed(events)].index(e["id"]))
    balances = [(e["data"]["previous_attributes"].get("balance"), e["data"]["object"]["balance"]) for e in updates]
    for (_, left), (next_was, _) in itertools.pairwise(balances):
        assert next_was in (left, None)  # each update starts from the balance the previous one left
    assert receiver.attempts >= len(events) + 4
    from ledger.dal import webhook_endpoints

    still = webhook_endpoints.get_endpoint("test", dead.id)
    assert still is not None and still.failing_since is not None and not still.disabled  # not yet three days


def test_a_slow_endpoint_fails_only_its_own_delivery(api: Api, pipeline: Pipeline, receiver: Receiver,
                                                   receivers) -> None:
    slow = receivers(delay_s=2)  # past the 1 s timeout (WEBHOOK_TIMEOUT_S=1): its attempts fail
    add_endpoint(slow.url, ["customer.created"])
    add_endpoint(receiver.url, ["customer.created"])
    api.customer()
    pipeline.run()
    assert [e["type"] for e in receiver.events] == ["customer.created"]
    assert slow.attempts == 1  # it timed out: retried later, in its own message (on AWS its own invocation)


def test_three_days_of_failures_dead_letter_and_disable_the_endpoint(api: Api, pipeline: Pipeline) -> None:
    from ledger import clock
    from ledger.dal import webhook_endpoints

    dead = add_endpoint("http://127.0.0.1:9/down", ["customer.created"])
    api.customer()
    pipeline.run()  # the first attempt fails: the endpoint is failing since now
    real = clock.now()
    clock.use(lambda: real + 3 * 24 * 3600 + 5)
    try:
        pipeline.run(seconds=2)
    finally:
        clock.use(__import__("time").time)
    [letter] = pipeline.dead_letters()
    assert letter["endpoint"] == dead.id and letter["last_status"] is None
    endpoint = webhook_endpoints.get_endpoint("test", dead.id)
    assert endpoint is not None and endpoint.disabled
    assert api.get(f"/v1/webhook_endpoints/{dead.id}").body["status"] == "disabled"
    assert api.post(f"/v1/webhook_endpoints/{dead.id}", {"disabled": "false"}).body["status"] == "enabled"
    enabled = webhook_endpoints.get_endpoint("test", dead.id)
    assert enabled is not None and enabled.failing_since is None  # its three days start over


def test_fault_run_delivers_every_event_with_consistent_chains(api: Api, pipeline: Pipeline, receivers,
                                                               monkeypatch) -> None:
    """Receiver failing, a slow endpoint, a down one, the recording and dispatching functions dying
    mid-batch: in the end every event is delivered at least once, each customer's `customer.updated`
    chain follows its ledger, and refused requests delivered nothing."""
    import random

    from ledger.dal import deliveries
    from ledger.dal import events as stored

    flaky = receivers(statuses=[500, 200, 502, 200, 500, 500, 200, 503] * 3)
    add_endpoint(flaky.url)
    add_endpoint(receivers(delay_s=2).url, ["customer.created"])  # slow: always past the timeout
    add_endpoint("http://127.0.0.1:9/down", ["customer.created"])
    chance = random.Random(20261207)
    customers = [api.customer()["id"] for _ in range(3)]
    for n in range(12):
        customer = chance.choice(customers)
        api.transaction(customer, chance.randint(-900, 900) or 1)
        refused = api.post(f"/v1/customers/{customer}/balance_transactions", {"amount": n, "currency": "x"})
        assert refused.status == 400
    real_put, real_enqueue = stored.put_event, deliveries.enqueue

    def dies_sometimes(real):
        def call(*args, **kwargs):
            if chance.random() < 0.2:
                raise ConnectionError("the function died")
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(stored, "put_event", dies_sometimes(real_put))
    monkeypatch.setattr(deliveries, "enqueue", dies_sometimes(real_enqueue))
    expected = 3 + 2 * 12  # one per customer, two per transaction: none for a refused request
    pipeline.run(seconds=60, until=lambda: len({e["id"] for e in flaky.events}) >= expected)
    events = api.get("/v1/events", {"limit": 100}).body["data"]
    assert len(events) == expected
    assert {e["id"] for e in flaky.events} == {e["id"] for e in events}
    oldest_first = {e["id"]: i for i, e in enumerate(reversed(events))}
    for customer in customers:
        updates = sorted({e["id"]: e for e in flaky.events if e["type"] == "customer.updated"
                          and e["data"]["object"]["id"] == customer}.values(), key=lambda e: oldest_first[e["id"]])
        balance = 0
        for update in updates:
            assert update["data"]["previous_attributes"]["balance"] == balance
            balance = update["data"]["object"]["balance"]
        assert balance == api.get(f"/v1/customers/{customer}").body["balance"]
        ledger = api.get(f"/v1/customers/{customer}/balance_transactions", {"limit": 100}).body["data"]
        delivered = {e["data"]["object"]["id"] for e in flaky.events if e["type"] == (
            "customer_balance_transaction.created") and e["data"]["object"]["customer"] == customer}
        assert delivered == {t["id"] for t in ledger}


def test_live_deliveries_never_reach_a_private_address(receiver: Receiver) -> None:
    """A live endpoint naming loopback, a private network or the instance metadata service is never
    contacted (test mode may deliver to a local receiver)."""
    from ledger.webhooks import transport

    for url in (receiver.url, "http://10.0.0.1/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]/x"):
        assert transport.post(url, "{}", {}, 1, public_only=True) is None
    assert receiver.attempts == 0
    assert transport.post(receiver.url, "{}", {}, 1, public_only=False) == 400  # reached (unsigned: refused)


def test_deliveries_to_a_disabled_endpoint_are_kept_for_a_redrive(api: Api, pipeline: Pipeline,
                                                                 receiver: Receiver) -> None:
    from ledger.dal import webhook_endpoints

    endpoint = add_endpoint(receiver.url)
    api.customer()
    pipeline.recording.drain()
    pipeline.dispatching.drain()  # queued, then the endpoint is disabled before the delivery runs
    webhook_endpoints.put_endpoint(endpoint.model_copy(update={"disabled": True, "version": 2}), 1)
    pipeline.run()
    [letter] = pipeline.dead_letters()
    assert (letter["endpoint"], letter["reason"]) == (endpoint.id, "endpoint disabled") and receiver.attempts == 0


def test_on_aws_no_delivery_reaches_a_private_address_even_in_test_mode(api: Api, pipeline: Pipeline,
                                                                       receiver: Receiver, monkeypatch) -> None:
    """On Lambda (its runtime API set) a test-mode endpoint on loopback is never contacted either: the
    runtime API listens there."""
    add_endpoint(receiver.url)
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    api.customer()
    pipeline.run()
    assert receiver.attempts == 0


def test_the_backoff_never_asks_sqs_for_more_than_its_visibility_limit(pipeline: Pipeline, monkeypatch) -> None:
    """SQS (and moto, as it) refuses a visibility ending more than 12 hours after the receive: the
    longest pause, set a moment after the receive, is accepted."""
    from botocore.exceptions import ClientError

    from ledger import config
    from ledger.dal import deliveries
    from ledger.webhooks import delivery

    monkeypatch.setenv("WEBHOOK_RETRY_BASE_S", "60")
    config.settings.cache_clear()
    pauses = [delivery.backoff_s(n) for n in range(1, 40)]
    assert pauses[:4] == [60, 120, 240, 480] and pauses == sorted(pauses)
    pipeline.sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody="{}")
    [message] = pipeline.sqs.receive_message(QueueUrl=pipeline.queue_url)["Messages"]
    with pytest.raises(ClientError):
        deliveries.retry_later(pipeline.queue_url, message["ReceiptHandle"], 12 * 3600)
    deliveries.retry_later(pipeline.queue_url, message["ReceiptHandle"], max(pauses))
