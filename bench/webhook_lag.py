"""The lag from a commit to its webhook's arrival, through the local run (`make run`'s own server):
a transaction is posted, and the clock stops when its `customer_balance_transaction.created` event,
signed, reaches a receiver here. Sequential requests, so each lag is one change's own path (stream
poll, event recorded, stream poll, dispatched, queue poll, delivered)."""

from __future__ import annotations

import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench import peers, suite
from tools import dynamodb_local

WAIT_S_MAX = 30.0  # one delivery's longest wait before the run is called broken


def lag(transactions: int) -> dict[str, Any]:
    import stripe

    arrived: dict[str, float] = {}
    signal = threading.Condition()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            event = json.loads(body)
            if event["type"] == "customer_balance_transaction.created":
                with signal:
                    arrived.setdefault(event["data"]["object"]["id"], time.perf_counter())
                    signal.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", dynamodb_local.free_port()), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    lags_ms: list[float] = []
    try:
        with peers.fresh_engine() as endpoint, peers.ours(endpoint) as base:
            client = stripe.StripeClient(suite.KEY, base_addresses={"api": base}, max_network_retries=0)
            client.v1.webhook_endpoints.create(params={
                "url": f"http://127.0.0.1:{receiver.server_port}/hook",
                # This ledger's own event type: Stripe's SDK types list only Stripe's.
                "enabled_events": ["customer_balance_transaction.created"]})  # type: ignore[list-item]
            customer = client.v1.customers.create()
            first = client.v1.customers.balance_transactions.create(
                customer.id, params={"amount": -1, "currency": "usd"})
            _arrival(first.id, arrived, signal)  # the pipeline's functions started: then the clock
            for n in range(transactions):
                posted = time.perf_counter()
                txn = client.v1.customers.balance_transactions.create(
                    customer.id, params={"amount": -(n + 1), "currency": "usd"})
                lags_ms.append((_arrival(txn.id, arrived, signal) - posted) * 1000)
    finally:
        receiver.shutdown()
    ordered = sorted(lags_ms)
    return {"transactions": transactions, "median_ms": round(statistics.median(ordered), 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)}


def _arrival(txn_id: str, arrived: dict[str, float], signal: threading.Condition,
             wait_s_max: float = WAIT_S_MAX) -> float:
    with signal:
        if not signal.wait_for(lambda: txn_id in arrived, wait_s_max):
            raise RuntimeError(f"no delivery for {txn_id} within {wait_s_max:.0f} s")
        return arrived[txn_id]

