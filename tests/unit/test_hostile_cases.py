"""The hostile fuzzer's generator (tools/fuzz.py): its length limits are the API's, it meets each of them
exactly with four-byte characters and lone surrogates, in bodies and in the Idempotency-Key header, and
`make fuzz` keeps its tally in bench/fuzz.json for the documents."""

import json
import random

import pytest

from tests.support.api import Api
from tools import fuzz, template
from tools.local_api import DEFAULT_KEY

DRAWS = 400  # texts drawn per limit: enough to meet every shape `at_limit` draws
CASES = 3000  # whole cases drawn: enough to send the Idempotency-Key at its limit in each shape


def _hostile() -> fuzz.Hostile:
    return fuzz.Hostile(random.Random(7), ["cus_fuzz"], {"cus_fuzz": ["cbtxn_fuzz"]}, DEFAULT_KEY)


@pytest.mark.parametrize("name", sorted(fuzz.LIMITS))
def test_each_limit_is_met_exactly_with_four_byte_characters_and_lone_surrogates(name):
    limit, hostile = fuzz.LIMITS[name], _hostile()
    exact = [t for t in (hostile.at_limit(limit) for _ in range(DRAWS)) if len(t) == limit]
    assert any(set(t) == {fuzz.FOUR_BYTES} for t in exact)
    places = {i for t in exact for i, c in enumerate(t) if c in fuzz.SURROGATES}
    assert {0, limit // 2, limit - 1} <= places  # first, middle and last character


def test_the_idempotency_key_header_meets_its_limit_as_text():
    hostile, limit = _hostile(), fuzz.LIMITS["Idempotency-Key"]
    keys = [case.headers.get("Idempotency-Key", "") for case in (hostile.case() for _ in range(CASES))]
    exact = [k for k in keys if len(k) == limit]
    assert any(fuzz.FOUR_BYTES in k for k in exact)
    assert any(set(k) & set(fuzz.SURROGATES) for k in exact)


def test_the_fuzzers_limits_are_the_apis(moto_table):
    """At its limit a value is taken, one character more is refused: so `at_limit` aims where the
    checks are, on the route it aims at."""
    api = Api()
    customer = api.customer()["id"]
    routes = {r.path: r for r in template.routes() if r.method == "POST"}
    creations = {"/v1/customers": {}, "/v1/customers/{customer}/balance_transactions": {"amount": 1, "currency": "usd"}}
    for path, required in creations.items():
        for name in ("description", "name", "email", "phone"):
            limit = fuzz.limit_of(name, routes[path])
            if limit is None or (name != "description" and "balance_transactions" in path):
                continue
            url = path.format(customer=customer)
            assert api.post(url, {**required, name: "a" * limit}).status == 200, (path, name)
            assert api.post(url, {**required, name: "a" * (limit + 1)}).status == 400, (path, name)
    key_limit, value_limit = fuzz.LIMITS["metadata key"], fuzz.LIMITS["metadata value"]
    assert api.post("/v1/customers", {"metadata": {"k" * key_limit: "v" * value_limit}}).status == 200
    assert api.post("/v1/customers", {"metadata": {"k" * (key_limit + 1): "v"}}).status == 400
    assert api.post("/v1/customers", {"metadata": {"k": "v" * (value_limit + 1)}}).status == 400
    idempotency_limit = fuzz.LIMITS["Idempotency-Key"]
    assert api.post("/v1/customers", {}, headers={"Idempotency-Key": "i" * idempotency_limit}).status == 200
    assert api.post("/v1/customers", {}, headers={"Idempotency-Key": "i" * (idempotency_limit + 1)}).status == 400


def test_the_tally_is_kept_as_json_for_the_documents(tmp_path):
    tally, case = fuzz.Tally(), fuzz.Case("POST", "/v1/customers")
    tally.record(0, case, 200, None)
    tally.record(1, case, 500, "server error 500: boom")
    tally.record(2, case, 400, "not JSON (400): x")
    written = tmp_path / "fuzz.json"
    fuzz.write(fuzz.outcome(tally, 20261128, 12.34), written)
    document = json.loads(written.read_text())
    assert {k: document[k] for k in ("seed", "cases", "server_errors", "malformed", "seconds")} == {
        "seed": 20261128, "cases": 3, "server_errors": 1, "malformed": 1, "seconds": 12.3}
    assert document["statuses"] == {"200": 1, "400": 1, "500": 1}
    assert document["problems"] == ["#1 POST /v1/customers: server error 500: boom",
                                    "#2 POST /v1/customers: not JSON (400): x"]


def test_make_fuzz_writes_bench_fuzz_json():
    makefile = (template.ROOT / "Makefile").read_text()
    recipe = makefile.split("\nfuzz:", 1)[1].split("\n\n", 1)[0]
    assert "--output bench/fuzz.json" in recipe
