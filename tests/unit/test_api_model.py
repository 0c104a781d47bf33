"""A Hypothesis state machine drives the public API (through the real handlers, on moto) and compares
every answer with a simple in-memory model of the ledger: customers, transactions, balance changes,
deletes, metadata edits, lists paged in both directions with created filters, idempotent replays and
mismatches. Deleted customers stay in play (every call on them must then answer as a deleted
customer's), and every edit is read back. Any difference fails."""

import itertools
import os
import time
from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from ledger import clock
from tests.support.api import Api

CURRENCIES = ["usd", "eur", "jpy"]
AMOUNTS = st.integers(min_value=-10_000, max_value=10_000).filter(bool)


@dataclass
class ModelCustomer:
    id: str
    currency: str | None = None
    balances: dict[str, int] = field(default_factory=dict)
    transactions: list[dict] = field(default_factory=list)  # oldest first
    deleted: bool = False

    def post(self, amount: int, currency: str, kind: str, created: int) -> int:
        ending = self.balances.get(currency, 0) + amount
        self.balances[currency] = ending
        self.currency = self.currency or currency
        self.transactions.append({"amount": amount, "currency": currency, "ending_balance": ending, "type": kind,
                                  "created": created, "metadata": {}})
        return ending

    @property
    def balance(self) -> int:
        return self.balances.get(self.currency, 0) if self.currency else 0


class LedgerModel(RuleBasedStateMachine):
    customers = Bundle("customers")

    @initialize()
    def start(self):
        from moto import mock_aws

        from tests.support.fixtures import _point_ledger_at, _seed_keys
        from tools import template

        self.mock = mock_aws()
        self.mock.start()
        _point_ledger_at("ledger-model", None)
        import boto3

        boto3.client("dynamodb").create_table(**template.create_table_arguments("ledger-model"))
        _seed_keys()
        ticks = itertools.count(1_800_000_000)
        clock.use(lambda: next(ticks))  # every reading a new second, so created filters are exact
        self.api = Api()
        self.model: dict[str, ModelCustomer] = {}
        self.keys = itertools.count()
        self.last_post: tuple | None = None

    def teardown(self):
        clock.use(time.time)
        if hasattr(self, "mock"):
            self.mock.stop()

    def _post(self, path, params, key=None):
        key = key or f"key-{next(self.keys)}"
        reply = self.api.post(path, params, headers={"Idempotency-Key": key})
        self.last_post = (path, params, key, reply)
        return reply

    @rule(target=customers, balance=st.integers(min_value=-5000, max_value=5000))
    def create_customer(self, balance):
        reply = self._post("/v1/customers", {"balance": balance})
        assert reply.status == 200, reply.body
        customer = ModelCustomer(reply.body["id"])
        if balance:
            customer.post(balance, "usd", "initial", reply.body["created"])
        assert (reply.body["balance"], reply.body["currency"]) == (customer.balance, customer.currency)
        self.model[customer.id] = customer
        return customer.id

    @rule(customer_id=customers, amount=AMOUNTS, currency=st.sampled_from([*CURRENCIES, "USD"]))
    def post_transaction(self, customer_id, amount, currency):
        customer = self.model[customer_id]
        reply = self._post(f"/v1/customers/{customer_id}/balance_transactions",
                           {"amount": amount, "currency": currency})
        if customer.deleted:
            assert reply.status == 404
            return
        assert reply.status == 200, reply.body
        ending = customer.post(amount, currency.lower(), "adjustment", reply.body["created"])
        customer.transactions[-1]["id"] = reply.body["id"]
        assert (reply.body["amount"], reply.body["currency"], reply.body["ending_balance"]) == (
            amount, currency.lower(), ending)

    @rule(customer_id=customers, balance=st.integers(min_value=-5000, max_value=5000))
    def set_balance(self, customer_id, balance):
        customer = self.model[customer_id]
        reply = self._post(f"/v1/customers/{customer_id}", {"balance": balance})
        if customer.deleted:
            assert reply.status == 404
            return
        assert reply.status == 200, reply.body
        difference = balance - customer.balance
        if difference:
            customer.post(difference, customer.currency or "usd", "adjustment", 0)
            transactions = self.api.get(f"/v1/customers/{customer_id}/balance_transactions", {"limit": 1}).body
            customer.transactions[-1].update(id=transactions["data"][0]["id"],
                                             created=transactions["data"][0]["created"])
        assert reply.body["balance"] == customer.balance == balance

    @rule(customer_id=customers, data=st.data())
    def edit_metadata(self, customer_id, data):
        customer = self.model[customer_id]
        posted = [t for t in customer.transactions if "id" in t]
        if not posted:
            return
        txn = posted[data.draw(st.integers(min_value=0, max_value=len(posted) - 1))]
        set_keys = sorted(txn["metadata"])
        if set_keys and data.draw(st.booleans()):  # unset a key the transaction has: `metadata[k]=`
            key, value = set_keys[data.draw(st.integers(min_value=0, max_value=len(set_keys) - 1))], ""
        else:
            key, value = data.draw(st.sampled_from(["a", "b"])), data.draw(st.sampled_from(["1", "2"]))
        path = f"/v1/customers/{customer_id}/balance_transactions/{txn['id']}"
        reply = self._post(path, {"metadata": {key: value}})
        if customer.deleted:
            assert reply.status == 404 and reply.error["param"] == "customer"
            return
        assert reply.status == 200, reply.body
        if value:
            txn["metadata"][key] = value
        else:
            txn["metadata"].pop(key, None)
        assert reply.body["metadata"] == txn["metadata"] and reply.body["amount"] == txn["amount"]
        stored = self.api.get(path).body  # read back: the edit is stored, not only answered
        assert (stored["metadata"], stored["ending_balance"]) == (txn["metadata"], txn["ending_balance"])

    @rule(customer_id=customers)
    def delete(self, customer_id):
        customer = self.model[customer_id]
        reply = self.api.delete(f"/v1/customers/{customer_id}")
        assert reply.status == (404 if customer.deleted else 200)
        customer.deleted = True
        assert self.api.get(f"/v1/customers/{customer_id}").body == {
            "id": customer_id, "object": "customer", "deleted": True}

    @rule(customer_id=customers, limit=st.integers(min_value=1, max_value=4))
    def page_both_ways(self, customer_id, limit):
        customer = self.model[customer_id]
        path = f"/v1/customers/{customer_id}/balance_transactions"
        if customer.deleted:
            assert self.api.get(path).status == 404
            return
        expected = [t["id"] for t in reversed(customer.transactions) if "id" in t]
        if len(expected) != len(customer.transactions):
            return  # an initial transaction's id is learned from the list below
        assert self._walk(path, limit, "starting_after") == expected
        if expected:
            newer = self._walk(path, limit, "ending_before", start=expected[-1])
            assert newer == expected[:-1]

    def _walk(self, path, limit, cursor, start=None):
        seen, params = [], {"limit": limit}
        if start:
            params[cursor] = start
        while True:
            page = self.api.get(path, params).body
            ids = [t["id"] for t in page["data"]]
            seen = seen + ids if cursor == "starting_after" else ids + seen
            if not page["has_more"]:
                return seen
            params[cursor] = ids[-1] if cursor == "starting_after" else ids[0]

    @rule(customer_id=customers, data=st.data())
    def created_filter(self, customer_id, data):
        customer = self.model[customer_id]
        if customer.deleted or not customer.transactions or any("id" not in t for t in customer.transactions):
            return
        times = [t["created"] for t in customer.transactions]
        low, high = sorted((data.draw(st.sampled_from(times)), data.draw(st.sampled_from(times))))
        page = self.api.get(f"/v1/customers/{customer_id}/balance_transactions",
                            {"created": {"gte": low, "lte": high}, "limit": 100}).body
        assert [t["id"] for t in page["data"]] == [t["id"] for t in reversed(customer.transactions)
                                                   if low <= t["created"] <= high]

    @rule()
    def replay_last_post(self):
        if self.last_post is None:
            return
        path, params, key, first = self.last_post
        again = self.api.post(path, params, headers={"Idempotency-Key": key})
        if first.status == 200:
            assert again.status == 200 and again.body == first.body
            assert again.headers["Idempotent-Replayed"] == "true"

    @rule(amount=AMOUNTS)
    def reuse_key_with_other_parameters(self, amount):
        if self.last_post is None or self.last_post[3].status != 200:
            return
        path, params, key, _ = self.last_post
        field = next((f for f in ("amount", "balance") if f in params), None)
        if field is None or params[field] == amount:
            return  # only a valid request with other values is an idempotency mismatch
        changed = {**params, field: amount}
        reply = self.api.post(path, changed, headers={"Idempotency-Key": key})
        assert reply.status == 400 and reply.error["type"] == "idempotency_error"

    @invariant()
    def balances_match_the_model(self):
        for customer in self.model.values():
            if customer.deleted:
                continue
            body = self.api.get(f"/v1/customers/{customer.id}", {"expand": ["invoice_credit_balance"]}).body
            assert (body["balance"], body["currency"]) == (customer.balance, customer.currency)
            assert body["invoice_credit_balance"] == {c: -b for c, b in customer.balances.items()}

    @rule(customer_id=customers)
    def learn_initial_ids(self, customer_id):
        customer = self.model[customer_id]
        if customer.deleted or all("id" in t for t in customer.transactions):
            return
        listed = self.api.get(f"/v1/customers/{customer_id}/balance_transactions", {"limit": 100}).body["data"]
        for txn, body in zip(customer.transactions, reversed(listed), strict=True):
            assert (txn["amount"], txn["ending_balance"], txn["type"]) == (
                body["amount"], body["ending_balance"], body["type"])
            txn.setdefault("id", body["id"])
            txn["created"] = body["created"]


# Derandomized in `make test` (the same runs every time; a failure prints its steps and a blob to
# reproduce it); `make reliability` runs it longer with fresh randomness (MODEL_EXAMPLES, MODEL_STEPS,
# MODEL_RANDOM=1).
LedgerModel.TestCase.settings = settings(
    max_examples=int(os.environ.get("MODEL_EXAMPLES", "20")),
    stateful_step_count=int(os.environ.get("MODEL_STEPS", "25")),
    deadline=None, derandomize=os.environ.get("MODEL_RANDOM") != "1", print_blob=True)
TestLedgerModel = LedgerModel.TestCase
