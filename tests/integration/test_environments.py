"""The local run's warm execution environments (tools.environments) over DynamoDB Local: one worker
process per concurrent request of a function, pre-started and reused, a new one (a logged cold start)
only when all are busy and up to the limit, and a timed-out or crashed one replaced."""

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.support.clock import FrozenClock
from tools import dynamodb_local, environment_worker, environments, events, template
from tools.lambda_local import FunctionError

pytestmark = pytest.mark.dynamodb_local
CREATE, RETRIEVE = "CreateCustomerFunction", "RetrieveCustomerFunction"
ROUTES = {r.function: r for r in template.routes()}


@pytest.fixture
def pool(ledger_table: str) -> Iterator[environments.Pool]:
    pool = environments.Pool([CREATE, RETRIEVE], ledger_table, per_function_max=2)
    pool.start()
    yield pool
    pool.close()


def _customer(pool: environments.Pool) -> str:
    reply = pool.invoke(CREATE, events.sample_event(ROUTES[CREATE], params={"balance": "7"},
                                                    authorizer={"mode": "test", "key_id": "k"}))
    assert reply["statusCode"] == 200, reply
    return str(json.loads(reply["body"])["id"])


def _retrieve(pool: environments.Pool, customer: str) -> dict:
    return pool.invoke(RETRIEVE, events.sample_event(ROUTES[RETRIEVE], customer, params={},
                                                     authorizer={"mode": "test", "key_id": "k"}))


def _pids(pool: environments.Pool, function: str) -> list[int]:
    return [environment.process.pid for environment in pool.slots[function].idle]


def test_each_function_starts_warm_and_keeps_its_environment(pool, capfd):
    capfd.readouterr()
    assert {f: pool.slots[f].count for f in pool.slots} == {CREATE: 1, RETRIEVE: 1}
    warm = _pids(pool, RETRIEVE)
    customer = _customer(pool)
    for _ in range(5):
        reply = _retrieve(pool, customer)
        assert reply["statusCode"] == 200 and json.loads(reply["body"])["balance"] == 7
    assert _pids(pool, RETRIEVE) == warm and pool.slots[RETRIEVE].count == 1
    assert warm != _pids(pool, CREATE) and os.getpid() not in warm  # a process of its own
    assert "INIT_START" not in capfd.readouterr().err  # no cold start after the pre-started ones


def test_a_request_that_finds_every_environment_busy_starts_one_up_to_the_limit(pool, capfd):
    customer = _customer(pool)
    capfd.readouterr()
    busy = pool._acquire(RETRIEVE)
    assert _retrieve(pool, customer)["statusCode"] == 200
    assert pool.slots[RETRIEVE].count == 2 and capfd.readouterr().err.count(f"INIT_START {RETRIEVE}") == 1
    pool._release(busy)
    statuses: list[int] = []

    def client() -> None:
        statuses.extend(_retrieve(pool, customer)["statusCode"] for _ in range(10))

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 60 and pool.slots[RETRIEVE].count == 2  # never beyond the limit


def test_when_every_environment_is_busy_a_request_waits_within_the_timeout(pool, monkeypatch):
    busy = [pool._acquire(RETRIEVE), pool._acquire(RETRIEVE)]
    monkeypatch.setitem(pool.timeouts_s, RETRIEVE, 0.05)
    with pytest.raises(FunctionError) as refused:
        _retrieve(pool, "cus_x")
    assert refused.value.error_type == "TooManyRequestsException" and pool.slots[RETRIEVE].count == 2
    for environment in busy:
        pool._release(environment)


def test_a_freed_environment_reaches_its_waiter_whatever_else_is_waiting(ledger_table):
    pool = environments.Pool([CREATE, RETRIEVE], ledger_table, per_function_max=1)
    pool.start()
    try:
        held = {f: pool._acquire(f) for f in (CREATE, RETRIEVE)}
        got: dict[str, float] = {}

        def wait_for(function: str) -> None:
            pool._release(pool._acquire(function))
            got[function] = time.monotonic()

        waiters = [threading.Thread(target=wait_for, args=(f,)) for f in (CREATE, RETRIEVE)]
        for waiter in waiters:
            waiter.start()
        time.sleep(0.2)  # both waiting
        released = time.monotonic()
        pool._release(held[RETRIEVE])
        waiters[1].join(5)
        assert RETRIEVE in got and got[RETRIEVE] - released < 1.0  # not the function's timeout
        pool._release(held[CREATE])
        waiters[0].join(5)
        assert CREATE in got
    finally:
        pool.close()


def test_a_timed_out_environment_is_replaced(pool, monkeypatch, capfd):
    customer = _customer(pool)
    first = _pids(pool, RETRIEVE)
    monkeypatch.setitem(pool.timeouts_s, RETRIEVE, 0.0)
    with pytest.raises(FunctionError) as timed_out:
        _retrieve(pool, customer)
    assert timed_out.value.error_type == "Sandbox.Timedout" and pool.slots[RETRIEVE].count == 0
    monkeypatch.setitem(pool.timeouts_s, RETRIEVE, 10.0)
    assert _retrieve(pool, customer)["statusCode"] == 200
    assert _pids(pool, RETRIEVE) != first and f"INIT_START {RETRIEVE}" in capfd.readouterr().err


def test_an_environment_that_dies_mid_request_is_replaced(pool, monkeypatch):
    customer = _customer(pool)
    acquire = pool._acquire

    def acquire_then_die(function: str) -> environments.Environment:
        environment = acquire(function)
        os.kill(environment.process.pid, signal.SIGKILL)
        environment.process.join(5)
        return environment

    monkeypatch.setattr(pool, "_acquire", acquire_then_die)
    with pytest.raises(FunctionError) as crashed:
        _retrieve(pool, customer)
    assert crashed.value.error_type == "Runtime.ExitError" and pool.slots[RETRIEVE].count == 0
    monkeypatch.setattr(pool, "_acquire", acquire)
    assert _retrieve(pool, customer)["statusCode"] == 200


def test_an_environment_that_died_idle_is_never_handed_a_request(pool):
    customer = _customer(pool)
    (idle,) = pool.slots[RETRIEVE].idle
    pid = idle.process.pid
    os.kill(pid, signal.SIGKILL)
    idle.process.join(5)  # it died some time before the request
    assert _retrieve(pool, customer)["statusCode"] == 200 and _pids(pool, RETRIEVE) != [pid]
    assert pool.slots[RETRIEVE].count == 1


def test_a_function_error_keeps_the_environment_warm(pool):
    (pid,) = _pids(pool, RETRIEVE)
    with pytest.raises(FunctionError):
        pool.invoke(RETRIEVE, ["not", "an event object"])
    assert _pids(pool, RETRIEVE) == [pid]


def test_extra_environments_idle_too_long_are_retired_but_one_stays(ledger_table):
    clock = FrozenClock()
    pool = environments.Pool([RETRIEVE], ledger_table, clock=clock)
    pool.start()
    try:
        extra = [pool._acquire(RETRIEVE), pool._acquire(RETRIEVE)]
        for environment in extra:
            pool._release(environment)
        assert pool.slots[RETRIEVE].count == 2
        clock.now += environments.IDLE_RETIRE_S
        pool._release(pool._acquire(RETRIEVE))
        assert pool.slots[RETRIEVE].count == 1 and len(pool.slots[RETRIEVE].idle) == 1
        clock.now += 10 * environments.IDLE_RETIRE_S
        pool._release(pool._acquire(RETRIEVE))
        assert pool.slots[RETRIEVE].count == 1  # the last one stays warm
    finally:
        pool.close()


def test_a_worker_inherits_no_secret_of_the_server():
    server = {"PATH": "/usr/bin", "LOCAL_API_KEYS": "sk_live_secret", "AWS_PROFILE": "prod",
              "AWS_SECRET_ACCESS_KEY": "real", "AWS_SESSION_TOKEN": "real", "LOCAL_INDEX_LAG_MS": "300",
              "LOCAL_RESOURCE_PlanBucket": "bucket", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",
              "TEST_MODE_USAGE_KEY": "another function's"}
    inherited = environment_worker.inherited(server)
    assert inherited == {"PATH": "/usr/bin", "LOCAL_INDEX_LAG_MS": "300", "LOCAL_RESOURCE_PlanBucket": "bucket",
                         "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", **dynamodb_local.DUMMY_CREDENTIALS}


def test_results_cross_as_json_within_lambda_s_limit():
    assert json.loads(environment_worker.marshal({"statusCode": 200, "body": "é"})) == {"statusCode": 200,
                                                                                       "body": "é"}
    with pytest.raises(FunctionError) as unmarshallable:
        environment_worker.marshal({"amount": Decimal("1.5")})
    assert unmarshallable.value.error_type == "Runtime.MarshalError"
    with pytest.raises(FunctionError) as too_large:
        environment_worker.marshal({"body": "x" * environment_worker.RESPONSE_BYTES_MAX})
    assert too_large.value.error_type == "Function.ResponseSizeTooLarge"
