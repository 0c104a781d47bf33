"""A bank-style workload with injected faults, and its checker (`make reliability`).

Clients (threads, and separate processes) drive the real request path (route, authorizer, handler,
layer) against DynamoDB Local: balance transactions with random amounts and currencies on a few hot
customers and many cold ones, customer balance changes, and metadata edits. Every POST carries an
Idempotency-Key and is retried with the same key on 409, 429, 5xx or a lost connection, as
stripe-python does. Faults are injected at random through botocore's events on the layer's client:
throttling and 5xx before a call, a timeout before a call, a response lost after TransactWriteItems
committed, and a function that dies between its read and its write.

The checker then verifies, like Jepsen's bank workload: every chain's invariants; every acknowledged
request present exactly once; every request of unknown outcome present at most once; every failed
request absent; every retry answered with the first response. A seed fixes the workload and the fault
schedule (thread timing cannot be fixed). The last line on stdout is
`reliability: ops=<acknowledged+unknown> faults=<injected> anomalies=<violations>`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from tools import dynamodb_local, lambda_local, oracle, progress

KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
CURRENCIES = ("usd", "eur", "jpy", "gbp")
RETRYABLE = {409, 429, 500, 502, 503}
MAX_ATTEMPTS = 8


class SandboxDied(BaseException):
    """The Lambda's process died: not an Exception, so no handler catches it."""


@dataclass
class Op:
    op_id: str
    kind: str  # create | balance | metadata
    customer: str
    params: dict[str, Any]
    outcome: str = "unknown"  # ok | fail | unknown
    responses: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    target: str | None = None  # the transaction a metadata edit names


class Faults:
    """Random faults on the layer's DynamoDB client, only for the calling client thread."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.local = threading.local()
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def arm(self, seed: int) -> None:
        self.local.rng = random.Random(seed)

    def install(self) -> None:
        from ledger import dal

        events = dal.client().meta.events
        events.register("before-call.dynamodb", self.before)
        events.register("after-call.dynamodb.TransactWriteItems", self.after_commit)

    def _roll(self) -> float | None:
        rng = getattr(self.local, "rng", None)
        return rng.random() if rng is not None else None

    def _count(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] += 1

    def before(self, model: Any, **_: Any) -> None:
        from botocore.exceptions import ClientError, ConnectTimeoutError

        roll = self._roll()
        if roll is None or roll >= self.rate:
            return
        slot = roll / self.rate
        if slot < 0.25:
            self._count("throttled")
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}},
                              model.name)
        if slot < 0.5:
            self._count("server_error")
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, model.name)
        if slot < 0.75:
            self._count("timeout")
            raise ConnectTimeoutError(endpoint_url="injected")
        if model.name in ("TransactWriteItems", "PutItem"):
            self._count("died_before_write")
            raise SandboxDied()

    def after_commit(self, **_: Any) -> None:
        from botocore.exceptions import ReadTimeoutError

        roll = self._roll()
        if roll is not None and roll < self.rate / 4:
            self._count("lost_after_commit")
            raise ReadTimeoutError(endpoint_url="injected: response lost after commit")


class Client:
    """One bank client: its own seeded workload, sent through the in-process API."""

    def __init__(self, client_id: str, seed: int, hot: list[str], cold: list[str], faults: Faults) -> None:
        from werkzeug.test import Client as HttpClient

        from tools.local_api import LocalApi

        self.client_id, self.rng, self.hot, self.cold, self.faults = client_id, random.Random(seed), hot, cold, faults
        self.http = HttpClient(_app(LocalApi))
        self.fault_seed = seed * 7919 + 17
        self.acknowledged: list[tuple[str, str]] = []  # (customer, txn id) this client created

    def run(self, deadline: float, max_ops: int) -> list[Op]:
        self.faults.arm(self.fault_seed)
        ops = []
        for n in range(max_ops):
            if time.monotonic() >= deadline:
                break
            op = self.next_op(f"{self.client_id}-{n}")
            self.send(op)
            ops.append(op)
        self.faults.local.rng = None
        return ops

    def next_op(self, op_id: str) -> Op:
        rng = self.rng
        customer = rng.choice(self.hot) if rng.random() < 0.7 or not self.cold else rng.choice(self.cold)
        roll = rng.random()
        if roll < 0.15:
            return Op(op_id, "balance", customer, {"balance": rng.randint(-50_000, 50_000)})
        if roll < 0.25 and self.acknowledged:
            owner, txn_id = rng.choice(self.acknowledged)
            return Op(op_id, "metadata", owner, {"metadata": {"edited_by": op_id}}, target=txn_id)
        amount = rng.choice([-1, 1]) * rng.randint(1, 100_000)
        return Op(op_id, "create", customer, {"amount": amount, "currency": rng.choice(CURRENCIES),
                                              "metadata": {"op": op_id}})

    def path(self, op: Op) -> str:
        if op.kind == "balance":
            return f"/v1/customers/{op.customer}"
        if op.kind == "metadata":
            return f"/v1/customers/{op.customer}/balance_transactions/{op.target}"
        return f"/v1/customers/{op.customer}/balance_transactions"

    def send(self, op: Op) -> None:
        from urllib.parse import urlencode

        fields = [(k, str(v)) for k, v in op.params.items() if not isinstance(v, dict)]
        fields += [(f"{k}[{sub}]", str(val)) for k, v in op.params.items() if isinstance(v, dict)
                   for sub, val in v.items()]
        headers = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": op.op_id}
        for attempt in range(MAX_ATTEMPTS):
            try:
                response = self.http.post(self.path(op), data=urlencode(fields), headers=headers,
                                          content_type="application/x-www-form-urlencoded")
            except SandboxDied:
                status, body = 0, {}  # the connection dropped: outcome unknown, retry
            else:
                status, body = response.status_code, json.loads(response.get_data(as_text=True))
            op.responses.append((status, body))
            if status == 200:
                op.outcome = "ok"
                if op.kind == "create":
                    self.acknowledged.append((op.customer, body["id"]))
                return
            if status and status not in RETRYABLE:
                op.outcome = "fail"
                return
            time.sleep(min(0.2, 0.01 * 2**attempt) * self.rng.random())
        op.outcome = "unknown"


_apps: dict[Any, Any] = {}


def _app(factory: Any) -> Any:
    if factory not in _apps:
        _apps[factory] = factory(table_name=None, rate_limits=False)  # the workload is the point, not 429s
        from ledger.observability import logger

        logger.setLevel("CRITICAL")  # thousands of requests: the history is what matters here
    return _apps[factory]


def _point_at(endpoint: str, table: str) -> None:
    lambda_local.use_layer()
    os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "TABLE_NAME": table,
                       "POWERTOOLS_SERVICE_NAME": "ledger", "POWERTOOLS_METRICS_NAMESPACE": "CustomerLedger",
                       "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "CRITICAL"})
    dynamodb_local.use_dummy_credentials()
    from ledger import config, dal

    config.settings.cache_clear()
    dal.client.cache_clear()


def run_clients(threads: int, seed: int, hot: list[str], cold: list[str], seconds: float, max_ops: int,
                rate: float, prefix: str) -> tuple[list[Op], Counter[str]]:
    faults = Faults(rate)
    faults.install()
    deadline = time.monotonic() + seconds
    clients = [Client(f"{prefix}{i}", seed * 1000 + i, hot, cold, faults) for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda c: c.run(deadline, max_ops), clients))
    return [op for ops in results for op in ops], faults.counts


def _process_main(endpoint: str, table: str, threads: int, seed: int, hot: list[str], cold: list[str],
                  seconds: float, max_ops: int, rate: float, prefix: str) -> tuple[list[dict], dict]:
    _point_at(endpoint, table)
    ops, counts = run_clients(threads, seed, hot, cold, seconds, max_ops, rate, prefix)
    return [asdict(op) for op in ops], dict(counts)


def check(ops: list[Op], customers: list[str]) -> list[str]:
    """Every violation of the ledger's promise in this history, judged by the independent oracle
    (tools/oracle.py reads the table itself and shares no code with the ledger)."""
    table = os.environ["TABLE_NAME"]
    anomalies: list[str] = []
    by_op: dict[str, list[dict[str, Any]]] = {}
    transactions: dict[str, dict[str, Any]] = {}
    for customer_id in customers:
        anomalies.extend(oracle.problems(table, "test", customer_id))
        for txn in oracle.stored(table, "test", customer_id)[1]:
            transactions[txn["id"]] = txn
            if "op" in (txn.get("metadata") or {}):
                by_op.setdefault(txn["metadata"]["op"], []).append(txn)
    for op in ops:
        bodies = [json.dumps(body, sort_keys=True) for status, body in op.responses if status == 200]
        if len(set(bodies)) > 1:
            anomalies.append(f"{op.op_id}: retries answered differently from the first response")
        if any(body.get("error", {}).get("type") == "idempotency_error" for _, body in op.responses):
            anomalies.append(f"{op.op_id}: an identical retry was refused as an idempotency error")
        if op.kind == "create":
            found = by_op.get(op.op_id, [])
            if op.outcome == "ok" and [t["id"] for t in found] != [op.responses[-1][1]["id"]]:
                anomalies.append(f"{op.op_id}: acknowledged but present {len(found)} times")
            elif op.outcome == "unknown" and len(found) > 1:
                anomalies.append(f"{op.op_id}: unknown outcome but present {len(found)} times")
            elif op.outcome == "fail" and found:
                anomalies.append(f"{op.op_id}: refused ({op.responses[-1][0]}) but present")
            for txn in found:
                if (txn["amount"], txn["currency"]) != (op.params["amount"], op.params["currency"]):
                    anomalies.append(f"{op.op_id}: stored amount differs from the request")
        elif op.kind == "metadata" and op.outcome == "ok":
            edited = transactions.get(op.target or "")
            if edited is None or "edited_by" not in (edited.get("metadata") or {}):
                anomalies.append(f"{op.op_id}: acknowledged metadata edit is missing")
        elif op.kind == "balance" and op.outcome == "ok" and op.responses[-1][1]["balance"] != op.params["balance"]:
            anomalies.append(f"{op.op_id}: acknowledged balance change answered another balance")
    return anomalies


def workload(endpoint: str, table: str, *, seed: int, seconds: float, threads: int, processes: int,
             max_ops: int = 10_000, rate: float = 0.1, hot: int = 3, cold: int = 30) -> dict[str, Any]:
    """Set up customers, run the clients (threads here and in spawned processes), check the history."""
    _point_at(endpoint, table)
    from ledger import api_keys, customers
    from ledger.models import Caller
    from ledger.params import CreateCustomer

    api_keys.register(KEY)
    made = [customers.create(Caller(), CreateCustomer()).customer.id for _ in range(hot + cold)]
    hot_ids, cold_ids = made[:hot], made[hot:]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max(processes, 1), mp_context=context) as pool:
        remote = [pool.submit(_process_main, endpoint, table, threads, seed + 100 * (p + 1), hot_ids, cold_ids,
                              seconds, max_ops, rate, f"p{p}t") for p in range(processes)]
        ops, counts = run_clients(threads, seed, hot_ids, cold_ids, seconds, max_ops, rate, "t")
        for future in remote:
            remote_ops, remote_counts = future.result()
            ops.extend(Op(**op) for op in remote_ops)
            counts.update(remote_counts)
    anomalies = check(ops, made)
    outcomes = Counter(op.outcome for op in ops)
    return {"seed": seed, "ops": outcomes["ok"] + outcomes["unknown"], "acknowledged": outcomes["ok"],
            "unknown": outcomes["unknown"], "failed": outcomes["fail"], "faults": sum(counts.values()),
            "faults_by_kind": dict(counts), "anomalies": anomalies}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="reliability", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED") or random.randrange(1, 10**6)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION") or 300))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    args = parser.parse_args(argv)
    print(f"seed={args.seed} duration={args.duration}s threads={args.threads} processes={args.processes}",
          flush=True)
    engine = dynamodb_local.start(port := dynamodb_local.free_port())
    try:
        endpoint = f"http://127.0.0.1:{port}"
        dynamodb_local.create_ledger_table(endpoint, "bank")
        with progress.elapsed("reliability", args.duration):
            report = workload(endpoint, "bank", seed=args.seed, seconds=args.duration, threads=args.threads,
                              processes=args.processes, rate=args.fault_rate)
    finally:
        dynamodb_local.stop(engine)
    for anomaly in report["anomalies"][:50]:
        print("anomaly:", anomaly)
    print(json.dumps({k: v for k, v in report.items() if k != "anomalies"}))
    print(f"reliability: ops={report['ops']} faults={report['faults']} anomalies={len(report['anomalies'])}")
    return 1 if report["anomalies"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
