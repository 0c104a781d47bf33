"""The local run against the Stripe fake people use as a test backend today: localstripe (pinned, in
its own environment, .venv-localstripe, installed by `make bench`), both driven by the same
stripe-python workload from 1 and 4 client processes, in interleaved rounds; then the balance
transaction workload on ours alone (localstripe has no customer balance transactions), and the latency
of one retrieve through our HTTP server against the warm handler's own time.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import io
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench import suite
from tools import dynamodb_local, lambda_local

LOCALSTRIPE = suite.ROOT / ".venv-localstripe" / "bin" / "localstripe"
CLIENT_COUNTS = (1, 4)
START_BUDGET_S = 60.0  # a server that is not listening by then has failed to start
LOG_LINES_KEPT_MAX = 40  # of a server's output, shown if it stops
RETRIEVES = 400  # requests timed for the retrieve's p50, over HTTP and in the handler
WARM_UP_S = 10.0  # each server's warm-up, the same for both; a new DynamoDB Local compiles as it serves


# --- the workloads, in each client process --------------------------------------------------------------

def _customer_round(client: Any, i: int) -> None:
    customer = client.v1.customers.create({"email": f"c{i}@example.com", "name": "Bench"})
    client.v1.customers.retrieve(customer.id)
    client.v1.customers.update(customer.id, {"metadata": {"round": str(i)}})
    client.v1.customers.list({"limit": 10})


def _transaction_round(client: Any, i: int, customer: str) -> None:
    txn = client.v1.customers.balance_transactions.create(customer, {"amount": -(i % 50 + 1), "currency": "usd"})
    client.v1.customers.balance_transactions.retrieve(customer, txn.id)
    client.v1.customers.balance_transactions.list(customer, {"limit": 10})


def client_process(base: str, workload: str, seconds: float, start_at: float) -> list[float]:
    """One stripe-python client running `workload` until time is up; every request's latency (ms)."""
    import stripe

    latencies: list[float] = []

    class Timed(stripe.RequestsClient):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return super().request(*args, **kwargs)
            finally:
                latencies.append((time.perf_counter() - started) * 1000)

    client = stripe.StripeClient(suite.KEY, base_addresses={"api": base}, http_client=Timed(),
                                 max_network_retries=0)
    customer = client.v1.customers.create().id if workload == "transactions" else ""
    time.sleep(max(0.0, start_at - time.time()))
    latencies.clear()
    deadline, i = time.time() + seconds, 0
    while time.time() < deadline:
        if workload == "transactions":
            _transaction_round(client, i, customer)
        else:
            _customer_round(client, i)
        i += 1
    return latencies


def _drive(pool: ProcessPoolExecutor, base: str, workload: str, clients: int, seconds: float) -> dict[str, float]:
    start_at = time.time() + 1.0
    runs = list(pool.map(client_process, [base] * clients, [workload] * clients, [seconds] * clients,
                         [start_at] * clients))
    latencies = sorted(ms for run in runs for ms in run)
    return {"requests_per_s": len(latencies) / seconds, "p50_ms": _percentile(latencies, 0.50),
            "p99_ms": _percentile(latencies, 0.99)}


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))] if values else float("nan")


# --- the servers ------------------------------------------------------------------------------------

@contextlib.contextmanager
def _server(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(command, env=env, cwd=suite.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout
    assert output is not None
    # The server's logs are read (or a full pipe would block it mid-request); the last lines are kept to
    # say why it stopped, if it does.
    last_lines: collections.deque[bytes] = collections.deque(maxlen=LOG_LINES_KEPT_MAX)
    threading.Thread(target=lambda: last_lines.extend(output), daemon=True).start()
    try:
        _await_port(port, process, last_lines)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(20)


def _await_port(port: int, process: subprocess.Popen[bytes], last_lines: collections.deque[bytes]) -> None:
    deadline = time.monotonic() + START_BUDGET_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            time.sleep(0.2)  # the reader's last lines
            said = b"".join(last_lines).decode(errors="replace")
            raise RuntimeError(f"server exited with {process.returncode}:\n{said}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server not listening on {port} after {START_BUDGET_S:.0f} s")


def ours(endpoint: str) -> contextlib.AbstractContextManager[str]:
    port = dynamodb_local.free_port()
    env = {**suite.environment(endpoint), "PORT": str(port), "LOCAL_API_KEYS": suite.KEY, "RATE_LIMITS": "off"}
    return _server([sys.executable, "-m", "tools.local_api"], env, port)


def localstripe() -> contextlib.AbstractContextManager[str]:
    if not LOCALSTRIPE.exists():
        raise RuntimeError(f"{LOCALSTRIPE} is missing: `make bench` installs it")
    port = dynamodb_local.free_port()
    # It saves its whole store to /tmp/localstripe.pickle on every write and loads it at start:
    # --from-scratch makes every run begin empty, as ours does.
    return _server([str(LOCALSTRIPE), "--port", str(port), "--from-scratch"], dict(os.environ), port)


# --- the comparison --------------------------------------------------------------------------------------

@contextlib.contextmanager
def fresh_engine() -> Iterator[str]:
    """An engine of its own, with the ledger's table, pointed at for the block. The local run reads its
    table's stream from the oldest record, as a new event source mapping does: on the bench's engine it
    would first record every earlier step's writes, and the step would measure that backlog."""
    before = os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
    port = dynamodb_local.free_port()
    engine = dynamodb_local.start(port)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        dynamodb_local.create_ledger_table(endpoint, suite.TABLE)
        suite.point_here(endpoint)
        yield endpoint
    finally:
        suite.point_here(before)
        dynamodb_local.stop(engine)


def compare(seconds: float, rounds: int) -> dict[str, Any]:
    """Both servers up side by side; each round runs every (clients, server) pair once, in turns."""
    samples: dict[tuple[str, str, int], list[dict[str, float]]] = {}
    context = multiprocessing.get_context("spawn")
    handler_ms = _in_own_process(warm_handler_ms, os.environ["AWS_ENDPOINT_URL_DYNAMODB"], RETRIEVES)
    with fresh_engine() as endpoint, ours(endpoint) as our_base, localstripe() as peer_base, \
            ProcessPoolExecutor(max(CLIENT_COUNTS), mp_context=context) as pool:
        bases = {"make_run": our_base, "localstripe": peer_base}
        for base in bases.values():  # spawn the clients, warm both servers (and the new engine's JIT)
            _drive(pool, base, "customers", max(CLIENT_COUNTS), WARM_UP_S)
        _drive(pool, our_base, "transactions", max(CLIENT_COUNTS), WARM_UP_S)
        for _ in range(rounds):
            for clients in CLIENT_COUNTS:
                for name, base in bases.items():
                    samples.setdefault((name, "customers", clients), []).append(
                        _drive(pool, base, "customers", clients, seconds))
                samples.setdefault(("make_run", "transactions", clients), []).append(
                    _drive(pool, our_base, "transactions", clients, seconds))
        retrieve = retrieve_latency(our_base, handler_ms)
    out: dict[str, Any] = {"seconds": seconds, "rounds": rounds, "localstripe_version": _version(),
                           "retrieve": retrieve}
    for (name, workload, clients), runs in samples.items():
        out.setdefault(workload, {}).setdefault(str(clients), {})[name] = {
            key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]} | {
            "runs_requests_per_s": [round(run["requests_per_s"], 1) for run in runs]}
    for row in out["customers"].values():
        row["ratio"] = round(row["make_run"]["requests_per_s"] / row["localstripe"]["requests_per_s"], 3)
    return out


def retrieve_latency(base: str, handler_ms: float, requests: int = RETRIEVES) -> dict[str, float]:
    """p50 of GET /v1/customers/{id} over one kept-alive connection, against the warm handler's median
    for the same request."""
    import stripe

    customer = stripe.StripeClient(suite.KEY, base_addresses={"api": base}).v1.customers.create(
        {"email": "r@example.com", "name": "Bench"}).id
    connection = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=10)
    headers = {"Authorization": f"Bearer {suite.KEY}"}

    def over_http() -> None:
        connection.request("GET", f"/v1/customers/{customer}", headers=headers)
        response = connection.getresponse()
        assert response.status == 200, response.status
        response.read()

    http_ms = _median_ms(over_http, requests)
    return {"http_p50_ms": round(http_ms, 3), "handler_p50_ms": round(handler_ms, 3),
            "ratio": round(http_ms / handler_ms, 3)}


def _in_own_process(call: Callable[..., float], *args: Any) -> float:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as environment:
        return environment.submit(call, *args).result()


def warm_handler_ms(endpoint: str, requests: int) -> float:
    """The retrieve handler's median, warm, in a process of its own as a Lambda environment is, on the
    bench's engine and table, before the peers run. Timed on the peers' new engine after their rounds,
    even DynamoDB's own calls from a new process read several times slower there than the local run's
    (cause not found), and timed in the bench's process the handler carries every earlier step's state."""
    suite.point_here(endpoint)
    handler = lambda_local.load_handler("RetrieveCustomerFunction")
    payload = suite.event("RetrieveCustomerFunction", suite.seed(1)[0])
    context = lambda_local.context_for("RetrieveCustomerFunction")
    with contextlib.redirect_stdout(io.StringIO()):
        status = handler(payload, context)["statusCode"]
        assert status == 200, status  # the same answer as over HTTP
        return _median_ms(lambda: handler(payload, context), requests)


def _median_ms(call: Callable[[], Any], requests: int) -> float:
    for _ in range(requests // 10):
        call()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _version() -> str:
    pip = LOCALSTRIPE.parent / "pip"
    shown = subprocess.run([str(pip), "show", "localstripe"], capture_output=True, text=True, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in shown.splitlines() if line.startswith("Version:"))
