"""`make fuzz`: hostile requests against the whole request path, counting any 5xx.

Every route of template.yaml, through the local API (routing, authorizer, handler, the ledger on DynamoDB
Local with IAM and DynamoDB's limits enforced), with inputs meant to break it: JSON nested thousands deep,
lone surrogates and four-byte characters at and just past every length limit, huge and odd numbers,
duplicate JSON keys and form fields, form and JSON and query string mixed, and hostile values in every
header the API reads: drawn from the Hypothesis strategies of tools/hostile.py, which the Hypothesis tests
and Schemathesis draw from too. Most requests name real customers and transactions, and a third are what
their route takes but for one hostile value, so the write paths past the lookups are reached. An answer
passes when it is not a 5xx and is a JSON object (a Stripe error with a type and a message, when not a
2xx).

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

from tools import hostile
from tools.hostile import FOUR_BYTES as FOUR_BYTES  # the generator's facts, named here as before
from tools.hostile import LIMITS as LIMITS
from tools.hostile import SURROGATES as SURROGATES
from tools.hostile import Case as Case
from tools.hostile import Deep as Deep
from tools.hostile import limit_of as limit_of

PROBLEMS_SHOWN_MAX = 20  # problems printed and kept in the JSON tally; the counts cover them all
BATCH = 500  # requests drawn from the strategies at a time


class Hostile:
    """Hostile requests (and texts at a limit) one at a time, drawn from tools.hostile's strategies a batch
    at a time, each batch seeded from `rng`: a run is reproducible by its seed, a case by its number."""

    def __init__(self, rng: random.Random, customers: list[str], transactions: dict[str, list[str]],
                 key: str) -> None:
        self.rng = rng
        self.cases = hostile.cases(customers, transactions, key)
        self.batches: dict[Any, list[Any]] = {}

    def _next(self, name: Any, strategy: Any) -> Any:
        batch = self.batches.setdefault(name, [])
        while not batch:
            batch.extend(hostile.sample(strategy, BATCH, self.rng.getrandbits(64)))
            self.rng.shuffle(batch)
        return batch.pop()

    def at_limit(self, limit: int) -> str:
        return self._next(("at_limit", limit), hostile.at_limit(limit))

    def case(self) -> Case:
        return self._next("case", self.cases)


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

    client, drawer = Client(app), Hostile(random.Random(seed), customers, transactions, key)
    tally = Tally()
    for number in range(cases):
        case = drawer.case()
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
