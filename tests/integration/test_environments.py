"""The local run's warm execution environments (tools.environments) over DynamoDB Local: one worker
process per concurrent request of a function, pre-started and reused, a new one (a logged cold start)
only when all are busy and up to the limit, and a timed-out or crashed one replaced."""

import json
import os
import signal
import threading
from collections.abc import Iterator

import pytest

from tools import environments, events, lambda_local, template
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
    assert {f: pool.slots[f].count for f in pool.slots} == {CREATE: 1, RETRIEVE: 1}
    warm = _pids(pool, RETRIEVE)
    customer = _customer(pool)
    for _ in range(5):
        reply = _retrieve(pool, customer)
        assert reply["statusCode"] == 200 and json.loads(reply["body"])["balance"] == 7
    assert _pids(pool, RETRIEVE) == warm and pool.slots[RETRIEVE].count == 1
    assert warm != _pids(pool, CREATE) and os.getpid() not in warm  # a process of its own
    assert "INIT_START" not in capfd.readouterr().err  # no cold start after the pre-started ones


def test_concurrent_requests_start_environments_up_to_the_limit(pool, capfd):
    customer = _customer(pool)
    capfd.readouterr()
    statuses: list[int] = []

    def client() -> None:
        statuses.extend(_retrieve(pool, customer)["statusCode"] for _ in range(10))

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 60
    assert pool.slots[RETRIEVE].count == 2 and len(_pids(pool, RETRIEVE)) == 2  # grew, and no further
    assert capfd.readouterr().err.count(f"INIT_START {RETRIEVE}") == 1  # the cold start is logged


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


def test_a_crashed_environment_is_replaced(pool):
    customer = _customer(pool)
    (pid,) = _pids(pool, RETRIEVE)
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(FunctionError) as crashed:
        _retrieve(pool, customer)
    assert crashed.value.error_type == "Runtime.ExitError"
    assert _retrieve(pool, customer)["statusCode"] == 200 and _pids(pool, RETRIEVE) != [pid]


def test_a_function_error_keeps_the_environment_warm(pool):
    (pid,) = _pids(pool, RETRIEVE)
    with pytest.raises(FunctionError):
        pool.invoke(RETRIEVE, ["not", "an event object"])
    assert _pids(pool, RETRIEVE) == [pid]


def test_when_every_environment_is_busy_a_request_waits_within_the_timeout(pool, monkeypatch):
    busy = [pool._acquire(RETRIEVE), pool._acquire(RETRIEVE)]
    monkeypatch.setitem(pool.timeouts_s, RETRIEVE, 0.05)
    with pytest.raises(FunctionError) as refused:
        _retrieve(pool, "cus_x")
    assert refused.value.error_type == "TooManyRequestsException" and pool.slots[RETRIEVE].count == 2
    for environment in busy:
        pool._release(environment)


def test_an_environment_holds_only_its_own_function_s_variables(monkeypatch):
    authorizer_only = set(template.environment("AuthorizerFunction", "t")) - set(template.environment(CREATE, "t"))
    assert authorizer_only  # the usage plan keys: the authorizer's alone
    for name in authorizer_only:
        monkeypatch.setenv(name, "left over from another function")
    for name in template.environment(CREATE, "t"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    environments.isolate(CREATE, "some-table", "http://127.0.0.1:9")
    assert not authorizer_only & set(os.environ)
    assert os.environ["TABLE_NAME"] == "some-table" and os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:9"
    assert lambda_local.limits(CREATE)[1] > 0
