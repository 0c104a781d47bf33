"""`make fuzz`: hostile requests against the whole request path, counting any 5xx.

Every route of template.yaml, through the local API (routing, authorizer, handler, the ledger on DynamoDB
Local with IAM and DynamoDB's limits enforced), with inputs meant to break it: JSON nested thousands deep,
lone surrogates and four-byte characters at and just past every length limit, huge and odd numbers,
duplicate JSON keys and form fields, form and JSON and query string mixed, and hostile values in every
header the API reads. Most requests name real customers and transactions, so the write paths past the
lookups are reached. An answer passes when it is not a 5xx and is a JSON object (a Stripe error with a
type and a message, when not a 2xx).

Header values reach the functions as text, as API Gateway passes them on (a four-byte character is one
character, a lone surrogate is what a JSON escape in the event decodes to), not as the latin-1 bytes a
plain WSGI server would hand over: so the Idempotency-Key's length limit is met in characters.

  python -m tools.fuzz [--cases N] [--seed S] [--output bench/fuzz.json]
      last line: fuzz: cases=N server_errors=M malformed=K; --output writes the tally as JSON
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import template

FOUR_BYTES = "\U0001f600"
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
# Every length limit the API has, in characters: a customer's description is longer than a
# transaction's; the Idempotency-Key is a header.
LIMITS = {"description": 350, "customer description": 5000, "name": 256, "email": 512, "phone": 20,
          "metadata key": 40, "metadata value": 500, "Idempotency-Key": 255}
TRICKY = ["\ud800", "\udfff", "\x00", "\u202e", "\n", "\\", '"', "é", FOUR_BYTES, "%", "[", "]", "#", "~"]
PROBLEMS_SHOWN_MAX = 20  # problems printed and kept in the JSON tally; the counts cover them all
HEADERS = ["Idempotency-Key", "Stripe-Version", "Content-Type", "Stripe-Account", "Authorization", "User-Agent"]


@dataclass
class Case:
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Deep:
    """Arrays nested `depth` deep: written out as text, since Python's own encoders would recurse."""

    depth: int


def _json(value: Any) -> str:
    if isinstance(value, Deep):
        return "[" * value.depth + "1" + "]" * value.depth
    return json.dumps(value)


class Hostile:
    """Draws hostile requests from a seeded random source (reproducible by seed)."""

    def __init__(self, rng: random.Random, customers: list[str], transactions: dict[str, list[str]],
                 key: str) -> None:
        self.rng, self.customers, self.transactions, self.key = rng, customers, transactions, key

    def text(self, limit: int | None = None) -> str:
        if limit is not None and self.rng.random() < 0.5:
            return self.at_limit(limit)
        rng = self.rng
        return "".join(rng.choice([rng.choice(TRICKY), chr(rng.randint(32, 0x2FFF)), "a"])
                       for _ in range(rng.choice([0, 1, 3, 40, 41, 500, 501])))

    def at_limit(self, limit: int) -> str:
        """Text of exactly `limit` characters (now and then one fewer or one more), most often four-byte
        ones, with a lone surrogate at its first, middle or last place half of the time: where a check
        that counts bytes, or that stops at the first bad character, would go wrong."""
        rng = self.rng
        length = limit + rng.choice([-1, 0, 0, 0, 1])
        characters = list(rng.choice([FOUR_BYTES, FOUR_BYTES, "a", "é"]) * length)
        if characters and rng.random() < 0.5:
            characters[rng.choice([0, length // 2, length - 1])] = rng.choice(SURROGATES)
        return "".join(characters)

    def scalar(self) -> Any:
        rng = self.rng
        return rng.choice([
            lambda: rng.randint(-(10**30), 10**30), lambda: rng.choice([0, 1, -1, 99_999_999_999, 10**11]),
            lambda: rng.random() * 1e6, lambda: rng.choice([True, False, None]), lambda: self.text(),
            lambda: rng.choice(["1e3", "0x10", "-0", " 1", "1 ", "\uff11", "NaN", "Infinity", ""]),
        ])()

    def nested(self) -> Any:
        depth = self.rng.choice([1, 2, 5, 6, 50, 3000])
        if depth > 50:
            return Deep(depth)
        node: Any = self.scalar()
        for _ in range(depth):
            node = [node] if self.rng.random() < 0.5 else {self.text(): node}
        return node

    def value(self, name: str, route: template.Route) -> Any:
        rng = self.rng
        if name == "metadata" and rng.random() < 0.7:
            keys = [self.at_limit(LIMITS["metadata key"]), *(self.text() for _ in range(rng.choice([1, 50, 51])))]
            return {k: self.text(LIMITS["metadata value"]) for k in keys}
        if name == "expand":
            paths = ["customer", "data.customer", "invoice_credit_balance", self.text()]
            return rng.choices(paths, k=rng.randint(0, 4))
        if name == "created" and rng.random() < 0.6:
            bound = rng.choice(["gt", "gte", "lt", "lte", self.text()])
            return {bound: rng.choice([10**10, -1, 10**19, self.scalar()])}
        limit = limit_of(name, route)
        if limit is not None and rng.random() < 0.6:
            return self.text(limit)
        return self.nested() if rng.random() < 0.15 else self.scalar()

    def params(self, route: template.Route) -> list[tuple[str, Any]]:
        names = ["amount", "currency", "description", "metadata", "expand", "balance", "name", "email", "phone",
                 "limit", "starting_after", "ending_before", "created", "invoice", self.text()]
        pairs = [(name, self.value(name, route)) for name in self.rng.sample(names, self.rng.randint(0, 6))]
        if pairs and self.rng.random() < 0.2:
            pairs.append(self.rng.choice(pairs))  # a duplicate key
        if self.rng.random() < 0.7:
            pairs.append(("currency", self.rng.choice(["usd", "eur", "jpy", " usd", "USD", "xxx"])))
            pairs.append(("amount", self.rng.choice([1, -1, 5000, "7"])))
        return pairs

    def json_body(self, pairs: list[tuple[str, Any]]) -> bytes:
        """JSON text as any client could send it: duplicate keys kept, lone surrogates as \\u escapes."""
        members = ",".join(f"{json.dumps(k)}:{_json(v)}" for k, v in pairs)
        return ("{" + members + "}").encode("utf-8", "surrogatepass")

    def form(self, pairs: list[tuple[str, Any]]) -> list[tuple[str, str]]:
        flat: list[tuple[str, str]] = []

        def walk(prefix: str, value: Any, depth: int) -> None:
            if isinstance(value, dict) and depth < 8:
                for k, v in value.items():
                    walk(f"{prefix}[{k}]", v, depth + 1)
            elif isinstance(value, list) and depth < 8:
                for v in value:
                    walk(f"{prefix}[]", v, depth + 1)
            elif isinstance(value, Deep):  # a form nests by brackets in the name
                flat.append((prefix + "[a]" * min(value.depth, 64), "1"))
            else:
                flat.append((prefix, "" if value is None else str(value)))

        for name, value in pairs:
            walk(name, value, 0)
        return flat

    def path(self, route: template.Route) -> str:
        rng = self.rng
        customer = rng.choice(self.customers) if rng.random() < 0.8 else rng.choice(
            ["cus_nobody", "cus_" + "A" * 2100, "x", "cus_é", "cus_%ED%A0%80", "cus_" + FOUR_BYTES])
        txns = self.transactions.get(customer) or ["cbtxn_none"]
        transaction = rng.choice(txns) if rng.random() < 0.8 else rng.choice(["cbtxn_x", "cbtxn_" + "0" * 24])
        quoted = {"customer": urllib.parse.quote(customer, safe="%_"),
                  "transaction": urllib.parse.quote(transaction, safe="%_")}
        return route.path.format(**quoted)

    def headers(self) -> dict[str, str]:
        rng = self.rng
        headers = {"Authorization": f"Bearer {self.key}"}
        for name in rng.sample(HEADERS, rng.randint(0, 3)):
            value = rng.choice([self.text(LIMITS.get(name)), "x" * 300, "", "application/json; charset=utf-8",
                                "text/plain", f"Basic {self.key}", "Bearer sk_live_" + "a" * 40, "acct_1"])
            headers[name] = value.replace("\n", " ").replace("\r", " ")  # a line break would end the header
        return headers

    def case(self) -> Case:
        rng = self.rng
        route = rng.choice(template.routes())
        pairs = self.params(route)
        case = Case(method=route.method if rng.random() < 0.95 else rng.choice(["PUT", "PATCH", "GET"]),
                    path=self.path(route), headers=self.headers())
        as_json = route.method == "POST" and rng.random() < 0.5
        if route.method != "POST" or rng.random() < 0.2:  # query string, also mixed with a body
            case.query = self.form(self.params(route) if route.method == "POST" else pairs)
        if route.method == "POST":
            if as_json:
                case.body = self.json_body(pairs)
                case.headers.setdefault("Content-Type", "application/json")
            else:
                case.body = urllib.parse.urlencode(self.form(pairs), errors="surrogatepass").encode()
        return case


def limit_of(name: str, route: template.Route) -> int | None:
    """The length limit of field `name` on `route`, if it has one."""
    if name == "description" and "balance_transactions" not in route.path:
        return LIMITS["customer description"]
    return LIMITS.get(name)


@dataclass
class Tally:
    """What a run found: problems are described one a line, with the case's number (reproducible by seed)."""

    cases: int = 0
    server_errors: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def record(self, number: int, case: Case, status: int, problem: str | None) -> None:
        self.cases += 1
        self.statuses[status] += 1
        if problem:
            (self.server_errors if status >= 500 else self.malformed).append(
                f"#{number} {case.method} {case.path[:80]}: {problem}")


def judge(status: int, text: str, content_type: str = "application/json") -> str | None:
    """What is wrong with an answer, or None. A success in another media type (an export) is its own."""
    if status >= 500:
        return f"server error {status}: {text[:300]}"
    if status < 300 and not content_type.startswith("application/json"):
        return None if text else f"an empty {content_type} answer"
    try:
        body = json.loads(text)
    except ValueError:
        return f"not JSON ({status}): {text[:300]}"
    if not isinstance(body, dict) or (status >= 400 and not (body.get("error", {}).get("type")
                                                             and body["error"].get("message") is not None)):
        return f"not a Stripe answer ({status}): {text[:300]}"
    if "Traceback" in text:
        return "a traceback in the body"
    return None


def run(app: Any, cases: int, seed: int, customers: list[str], transactions: dict[str, list[str]],
        key: str) -> Tally:
    """The tally of `cases` hostile requests against a WSGI app."""
    from werkzeug.test import Client

    client, hostile = Client(app), Hostile(random.Random(seed), customers, transactions, key)
    tally = Tally()
    for number in range(cases):
        case = hostile.case()
        response = client.open(case.path, method=case.method, query_string=urllib.parse.urlencode(
            case.query, errors="surrogatepass"), data=case.body, headers=case.headers)
        tally.record(number, case, response.status_code,
                     judge(response.status_code, response.get_data(as_text=True), response.content_type or ""))
    return tally


def outcome(tally: Tally, seed: int, seconds: float) -> dict[str, Any]:
    """The run as bench/fuzz.json keeps it, for the documents' figures: counts, and the problems found
    (the first few, each reproducible by seed and case number)."""
    return {"seed": seed, "cases": tally.cases, "server_errors": len(tally.server_errors),
            "malformed": len(tally.malformed), "seconds": round(seconds, 1),
            "statuses": {str(status): n for status, n in sorted(tally.statuses.items())},
            "problems": (tally.server_errors + tally.malformed)[:PROBLEMS_SHOWN_MAX]}


def write(document: dict[str, Any], path: Path) -> None:
    """Replace `path` whole (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    temporary.replace(path)


def seed_ledger(app: Any, key: str, customers_count: int = 5) -> tuple[list[str], dict[str, list[str]]]:
    """A few customers with transactions for the fuzzer to aim at."""
    from werkzeug.test import Client

    client, headers = Client(app), {"Authorization": f"Bearer {key}"}

    def post(path: str, data: dict[str, Any]) -> str:
        response = client.post(path, data=data, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return json.loads(response.get_data(as_text=True))["id"]

    customers, transactions = [], {}
    for i in range(customers_count):
        customer = post("/v1/customers", {"email": f"fuzz{i}@example.com", "balance": 100 * i})
        customers.append(customer)
        transactions[customer] = [post(f"/v1/customers/{customer}/balance_transactions",
                                       {"amount": -10 * (j + 1), "currency": "usd"}) for j in range(3)]
    return customers, transactions


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--output", type=Path, help="write the tally there as JSON (make fuzz: bench/fuzz.json)")
    args = parser.parse_args(argv)
    from tools import dynamodb_local, lambda_local
    from tools.local_api import DEFAULT_KEY, LocalApi

    with dynamodb_local.ledger_table(name=f"fuzz-{args.seed}"):
        lambda_local.use_layer()
        from ledger import api_keys
        from ledger.observability import logger

        app = LocalApi(table_name=None, rate_limits=False)
        logger.setLevel("CRITICAL")  # thousands of refusals: the tally is what matters
        api_keys.register(DEFAULT_KEY)
        customers, transactions = seed_ledger(app, DEFAULT_KEY)
        started = time.perf_counter()
        tally = run(app, args.cases, args.seed, customers, transactions, DEFAULT_KEY)
        seconds = time.perf_counter() - started
    result = outcome(tally, args.seed, seconds)
    for problem in result["problems"]:
        print(problem)
    if args.output:
        write(result, args.output)
    print(f"fuzz: cases={tally.cases} server_errors={result['server_errors']} malformed={result['malformed']}")
    return 1 if tally.server_errors or tally.malformed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
