"""`make smoke BASE=… KEY=…`: a post-deploy check with the real Stripe client, against any base URL.

Creates a customer, posts a credit and a debit, lists them in both directions, edits one, replays an
idempotent request, checks the customer's chain (intact) and that the operator console is served, that
a bad key is a 401 and an unknown route a 404, then deletes the customer. Prints one line per check;
exits 1 if any failed. Use a test-mode key: it writes.

  python -m tools.smoke --base https://<api>.execute-api.<region>.amazonaws.com/stripe --key sk_test_…
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any


class Smoke:
    def __init__(self, base: str, key: str) -> None:
        import stripe

        self.stripe, self.base, self.key = stripe, base.rstrip("/"), key
        self.client = stripe.StripeClient(key, base_addresses={"api": self.base}, max_network_retries=2)
        self.failures: list[str] = []

    def check(self, name: str, step: Callable[[], Any]) -> Any:
        try:
            result = step()
        except Exception as failure:  # every failure is reported, then the run goes on where it can
            self.failures.append(name)
            print(f"FAIL {name}: {type(failure).__name__}: {failure}")
            return None
        print(f"ok   {name}")
        return result

    def run(self) -> int:
        customers, txns = self.client.v1.customers, self.client.v1.customers.balance_transactions
        customer = self.check("create a customer", lambda: customers.create(
            params={"name": "Smoke Test", "email": "smoke@example.com", "metadata": {"smoke": "true"}}))
        if customer is None:
            return 1
        cid = customer.id
        credit = self.check("post a credit", lambda: _expect(
            txns.create(cid, params={"amount": -500, "currency": "usd"}), ending_balance=-500))
        debit = self.check("post a debit", lambda: _expect(
            txns.create(cid, params={"amount": 200, "currency": "usd", "description": "smoke"}), ending_balance=-300))
        self.check("the customer's balance moved", lambda: _expect(customers.retrieve(cid), balance=-300))
        if credit and debit:
            self.check("list newest first, then page forwards and back", lambda: self._pages(cid, credit.id, debit.id))
            self.check("edit a transaction", lambda: _expect(
                txns.update(cid, credit.id, params={"metadata": {"order": "6735"}}), metadata={"order": "6735"}))
        self.check("an idempotent request replays", lambda: self._replay(cid))
        self.check("a bad key is a 401", self._bad_key)
        self.check("an unknown route is a 404", self._unknown_route)
        self.check("the customer's chain check is intact", lambda: self._chain_check(cid))
        self.check("the operator console is served without a key", self._console)
        self.check("delete the customer", lambda: _expect(customers.delete(cid), deleted=True))
        print(f"smoke: checks failed={len(self.failures)}")
        return 1 if self.failures else 0

    def _pages(self, cid: str, older: str, newer: str) -> None:
        txns = self.client.v1.customers.balance_transactions
        first = txns.list(cid, params={"limit": 1})
        assert [t.id for t in first.data] == [newer] and first.has_more, first
        after = txns.list(cid, params={"limit": 1, "starting_after": newer})
        assert [t.id for t in after.data] == [older] and not after.has_more, after
        before = txns.list(cid, params={"limit": 1, "ending_before": older})
        assert [t.id for t in before.data] == [newer] and not before.has_more, before

    def _replay(self, cid: str) -> None:
        txns, key = self.client.v1.customers.balance_transactions, f"smoke-{uuid.uuid4()}"
        params: Any = {"amount": 100, "currency": "usd"}
        first = txns.create(cid, params=params, options={"idempotency_key": key})
        again = txns.create(cid, params=params, options={"idempotency_key": key})
        assert again.id == first.id, (first.id, again.id)
        assert self.client.v1.customers.retrieve(cid).balance == first.ending_balance

    def _chain_check(self, cid: str) -> None:
        request = urllib.request.Request(f"{self.base}/v1/customers/{cid}/chain_check",
                                         headers={"Authorization": f"Bearer {self.key}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            check = json.loads(answer.read())
        assert check["object"] == "chain_check" and check["intact"] and check["transactions"] == 3, check

    def _console(self) -> None:
        with urllib.request.urlopen(f"{self.base}/console", timeout=30) as answer:
            assert answer.headers["Content-Type"] == "text/html", answer.headers
            assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'"), answer.headers
            assert b"console?asset=console.js" in answer.read()

    def _bad_key(self) -> None:
        bad = self.stripe.StripeClient("sk_test_smokeNotAKey0000000000000000", base_addresses={"api": self.base})
        try:
            bad.v1.customers.list()
        except self.stripe.AuthenticationError as refused:
            assert refused.http_status == 401
            return
        raise AssertionError("a bad key was accepted")

    def _unknown_route(self) -> None:
        request = urllib.request.Request(f"{self.base}/v1/smoke-unknown-route",
                                         headers={"Authorization": f"Bearer {self.key}"})
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as refused:
            body = json.loads(refused.read())
            assert refused.code == 404 and body["error"]["type"] == "invalid_request_error", body
            return
        raise AssertionError("an unknown route answered 2xx")


def _expect(obj: Any, **fields: Any) -> Any:
    for name, wanted in fields.items():
        got = getattr(obj, name)
        got = got.to_dict() if hasattr(got, "to_dict") else got
        assert got == wanted, f"{name} is {got!r}, expected {wanted!r}"
    return obj


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="smoke", description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="the API's base URL (the stack's ApiBase output)")
    parser.add_argument("--key", required=True, help="a test-mode secret key")
    args = parser.parse_args(argv)
    return Smoke(args.base, args.key).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
