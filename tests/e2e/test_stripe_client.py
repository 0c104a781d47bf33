"""End to end: the real `stripe` client and raw curl-style form requests against the local server."""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from ledger import balance_transactions, wire
from ledger.api.form import MAX_BODY_BYTES
from ledger.models import Caller
from ledger.params import CreateBalanceTransaction
from tests.support.budget import shorten_write_budget
from tests.support.chains import assert_intact
from tests.support.clock import FrozenClock
from tests.support.faults import failing_dynamodb, hide_idempotency_records
from tests.support.rivals import lose_to_rivals
from tests.support.schemas import validate
from tools.local_api import DEFAULT_KEY, MAX_REQUEST_BYTES, LocalApi

pytestmark = pytest.mark.dynamodb_local
UNKNOWN_KEY = "sk_test_" + "0" * 24
FLOOD_REQUESTS_MAX = 200  # more than test mode's burst: the flood meets its limit before this


def test_seed_example_with_the_stripe_client(stripe_client):
    stripe = stripe_client
    customer = stripe.Customer.create(name="Jenny Rosen", email="jenny.rosen@example.com")
    txn = stripe.Customer.create_balance_transaction(customer.id, amount=-500, currency="usd")
    assert (txn.amount, txn.currency, txn.ending_balance, txn.type) == (-500, "usd", -500, "adjustment")
    updated = stripe.Customer.modify_balance_transaction(customer.id, txn.id, metadata={"order_id": "6735"})
    assert updated.metadata.to_dict() == {"order_id": "6735"}
    fetched = stripe.Customer.retrieve_balance_transaction(customer.id, txn.id)
    assert fetched.id == txn.id and fetched.metadata["order_id"] == "6735" and fetched.ending_balance == -500
    validate(fetched.to_dict_recursive() if hasattr(fetched, "to_dict_recursive") else fetched.to_dict(),
             "customer_balance_transaction")
    assert stripe.Customer.retrieve(customer.id).balance == -500


def test_stripe_client_errors(stripe_client):
    stripe = stripe_client
    customer = stripe.Customer.create()
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.Customer.create_balance_transaction(customer.id, currency="usd")
    assert (missing.value.code, missing.value.param, missing.value.http_status) == ("parameter_missing", "amount",
                                                                                   400)
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.Customer.retrieve_balance_transaction("cus_nobody", "cbtxn_nothing")
    assert (unknown.value.code, unknown.value.http_status) == ("resource_missing", 404)
    deleted = stripe.Customer.delete(customer.id)
    assert deleted.deleted is True
    assert stripe.Customer.retrieve(customer.id).deleted is True


def test_auto_paging_walks_a_thousand_transactions_both_ways(stripe_client, server_table):
    stripe = stripe_client
    customer = stripe.Customer.create()
    params = CreateBalanceTransaction(amount=1, currency="usd")
    for i in range(1000):  # seeded through the domain layer: 1,000 HTTP posts would only add time
        balance_transactions.create(Caller(), customer.id, params.model_copy(update={"amount": i + 1}))
    _, chain = assert_intact(customer.id)
    newest_first = [t.id for t in reversed(chain)]

    forward = [t.id for t in stripe.Customer.list_balance_transactions(customer.id, limit=100).auto_paging_iter()]
    assert forward == newest_first

    oldest = newest_first[-1]
    backward_pages = stripe.Customer.list_balance_transactions(customer.id, limit=37, ending_before=oldest)
    backward = [t.id for t in backward_pages.auto_paging_iter()]
    assert backward == list(reversed(newest_first[:-1]))  # oldest-but-one up to the newest, no gap or repeat


def _raw(server, method, path, fields=None, key=DEFAULT_KEY):
    data = urllib.parse.urlencode(fields or []).encode() if method == "POST" else None
    url = f"{server}{path}" + (f"?{urllib.parse.urlencode(fields or [])}" if method == "GET" and fields else "")
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{key}:".encode()).decode())
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_curl_style_form_requests(server):
    status, customer, headers = _raw(server, "POST", "/v1/customers", [("email", "curl@example.com")])
    assert status == 200 and headers["Request-Id"].startswith("req_")
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    status, txn, _ = _raw(server, "POST", path, [("amount", "-500"), ("currency", "usd"),
                                                 ("metadata[order_id]", "6735"), ("expand[]", "customer")])
    assert status == 200 and txn["customer"]["balance"] == -500 and txn["metadata"] == {"order_id": "6735"}
    status, page, _ = _raw(server, "GET", path, [("limit", "1"), ("created[gte]", str(txn["created"]))])
    assert status == 200 and [t["id"] for t in page["data"]] == [txn["id"]]
    assert page["url"] == path
    status, error, _ = _raw(server, "POST", path, [("amount", "1.5"), ("currency", "usd")])
    assert status == 400 and error["error"]["code"] == "parameter_invalid_integer"
    status, error, _ = _raw(server, "GET", "/v1/unknown")
    assert status == 404 and error["error"]["message"].startswith("Unrecognized request URL (GET)")


def test_the_post_deploy_smoke_check_passes_against_the_local_run(server):
    """`make smoke` is what a user runs after `sam deploy`; here against `make run`'s server."""
    import subprocess
    import sys

    from tools.template import ROOT

    done = subprocess.run([sys.executable, "-m", "tools.smoke", "--base", server, "--key", DEFAULT_KEY],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "smoke: checks failed=0"
    assert done.stdout.count("ok   ") == 12


def test_wire_details_the_sdk_exposes_on_every_response_kind(server):
    """What stripe-python reads from a response: the idempotency key it sent (its own automatic one
    included), the request id and the API version; on errors also the code, param and doc_url."""
    import stripe

    client = _client(server)
    customer = client.v1.customers.create()
    response = customer.last_response
    assert response.idempotency_key  # the SDK's automatic key, echoed
    _assert_function_wire_details(response, response.idempotency_key)
    txns = client.v1.customers.balance_transactions
    params, options = {"amount": 5, "currency": "usd"}, {"idempotency_key": "wire-1"}
    first = txns.create(customer.id, params=params, options=options)
    replay = txns.create(customer.id, params=params, options=options)
    assert first.id == replay.id
    assert first.last_response.idempotency_key == replay.last_response.idempotency_key == "wire-1"
    assert replay.last_response.headers["Idempotent-Replayed"] == "true"
    for answer in (first.last_response, replay.last_response):
        _assert_function_wire_details(answer, "wire-1")
    missing = _refused(stripe.InvalidRequestError, lambda: client.v1.customers.retrieve("cus_nobody"))
    _assert_stripe_error(missing, 404, "invalid_request_error", "resource_missing", "id")
    assert (missing.code, missing.param) == ("resource_missing", "id")  # InvalidRequestError has them too
    _assert_function_wire_details(missing, None)  # a GET: no key sent, none echoed
    invalid = _refused(stripe.InvalidRequestError, lambda: txns.create(
        customer.id, params={"amount": 5, "currency": " usd"}, options={"idempotency_key": "wire-2"}))
    _assert_stripe_error(invalid, 400, "invalid_request_error", "invalid_currency", "currency")
    _assert_function_wire_details(invalid, "wire-2")
    reused = _refused(stripe.IdempotencyError, lambda: txns.create(
        customer.id, params={"amount": 6, "currency": "usd"}, options=options))
    _assert_stripe_error(reused, 400, "idempotency_error")
    _assert_function_wire_details(reused, "wire-1")
    _assert_gateway_wire_details(_denied(server), "wire-3")


def _client(base: str, key: str = DEFAULT_KEY) -> Any:
    """stripe-python as an integration uses it, without its automatic retries: each test sees the
    first answer."""
    import stripe

    return stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)


def _refused(kind: type[Exception], call: Callable[[], Any]) -> Any:
    """The error `call` raises: exactly `kind`, the class stripe-python picks from the status (a
    subclass would hide a wrong status: IdempotencyError for a 400, APIError for any status it does not
    name, such as 409, 413 and 5xx)."""
    with pytest.raises(kind) as raised:
        call()
    assert type(raised.value) is kind, type(raised.value)
    return raised.value


def _assert_stripe_error(error: Any, status: int, type_: str, code: str | None = None, param: str | None = None,
                         should_retry: str | None = None) -> None:
    """The error as stripe-python reads it (its `.error` holds the body, whatever the class): status,
    type, code, param, the code's doc_url (Stripe's page, with hyphens), and Stripe-Should-Retry, which
    the SDK obeys before its own rules (absent where the README sets none)."""
    assert error.http_status == status
    body = error.error
    assert (body.type, body.code, body.param) == (type_, code, param)
    assert body.doc_url == (f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}" if code else None)
    assert error.headers.get("Stripe-Should-Retry") == should_retry


def _assert_function_wire_details(answer: Any, idempotency_key: str | None) -> None:
    """An answer of the functions (a response or an error): the function's `req_` request id, the
    version the SDK asked for (not the deployment's: they differ), and the key sent, echoed (none on a
    request that sent none)."""
    import stripe

    assert stripe.api_version != wire.API_VERSION  # else the echo could not be told from the default
    assert answer.request_id == answer.headers["Request-Id"] and answer.request_id.startswith("req_")
    assert answer.headers["Stripe-Version"] == stripe.api_version
    assert answer.headers.get("Idempotency-Key") == idempotency_key


def _denied(server: str) -> Any:
    """API Gateway's own 401 for a key the authorizer does not know."""
    import stripe

    denied = _refused(stripe.AuthenticationError, lambda: _client(server, UNKNOWN_KEY).v1.customers.create(
        options={"idempotency_key": "wire-3"}))
    _assert_stripe_error(denied, 401, "invalid_request_error")
    assert denied.user_message == "Invalid API Key provided: sk_test_****0000"
    return denied


def _assert_gateway_wire_details(error: Any, idempotency_key: str) -> None:
    """An answer API Gateway gives itself: the version the functions answer with when a request names
    none (a header mapping cannot fall back to the request's), the key echoed, and API Gateway's own
    request id (a mapping cannot add the `req_` prefix)."""
    assert error.headers["Stripe-Version"] == wire.API_VERSION
    assert error.headers["Idempotency-Key"] == idempotency_key
    assert error.request_id == error.headers["Request-Id"] and error.request_id


@pytest.fixture
def throttled_server(ledger_table: str) -> Iterator[str]:
    """The local API with its rate limits on and a clock that never moves, served from a thread: test
    mode has its burst and nothing more."""
    import threading

    from werkzeug.serving import make_server

    from tools import dynamodb_local

    app = LocalApi(table_name=None, rate_limits=True, clock=FrozenClock(), authorizer_cache=False)
    server = make_server("127.0.0.1", dynamodb_local.free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_wire_details_of_a_throttled_request(throttled_server: str) -> None:
    """A 429 is API Gateway's: rate_limit in Stripe's shape, worth a retry, with the wire details."""
    import stripe

    client = _client(throttled_server)
    sent: list[str] = []

    def flood() -> None:
        for n in range(FLOOD_REQUESTS_MAX):
            sent.append(f"flood-{n}")
            client.v1.customers.create(options={"idempotency_key": sent[-1]})

    error = _refused(stripe.RateLimitError, flood)
    _assert_stripe_error(error, 429, "invalid_request_error", "rate_limit", should_retry="true")
    _assert_gateway_wire_details(error, sent[-1])  # the request that was throttled


@pytest.mark.parametrize(("size", "assert_wire_details"), [
    (MAX_BODY_BYTES, _assert_function_wire_details),  # past 1 MB: the function refuses the body
    (MAX_REQUEST_BYTES, _assert_gateway_wire_details),  # past 10 MB: API Gateway, before any function runs
], ids=["function", "gateway"])
def test_wire_details_of_a_body_too_large(server: str, size: int,
                                          assert_wire_details: Callable[[Any, str], None]) -> None:
    """A body over the limit is a 413 whoever refuses it, with that one's wire details, not worth a retry
    (the README sets no Stripe-Should-Retry)."""
    import stripe

    key = f"wire-413-{size}"
    error = _refused(stripe.APIError, lambda: _client(server).v1.customers.create(
        params={"description": "x" * size}, options={"idempotency_key": key}))
    _assert_stripe_error(error, 413, "invalid_request_error")
    assert error.user_message == f"Request bodies are limited to {MAX_BODY_BYTES} bytes."
    assert_wire_details(error, key)


def test_wire_details_of_a_key_held_by_another_request(in_process_server: str) -> None:
    """The key's record is in the table (another request committed with it), yet not found when read,
    before the write and after it lost the key: Stripe's 409, worth a retry (which then replays)."""
    import stripe

    client = _client(in_process_server)
    customer = client.v1.customers.create()
    txns = client.v1.customers.balance_transactions
    params, options = {"amount": 5, "currency": "usd"}, {"idempotency_key": "wire-409"}
    first = txns.create(customer.id, params=params, options=options)
    with hide_idempotency_records() as hidden:
        busy = _refused(stripe.APIError, lambda: txns.create(customer.id, params=params, options=options))
    assert hidden  # the fault acted
    _assert_stripe_error(busy, 409, "invalid_request_error", "idempotency_key_in_use", should_retry="true")
    _assert_function_wire_details(busy, "wire-409")
    assert txns.create(customer.id, params=params, options=options).id == first.id  # the retry replays


def test_wire_details_of_a_lock_timeout(in_process_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every commit of the customer loses a real race to a rival writer until the write budget is spent:
    429 lock_timeout, worth a retry."""
    import stripe

    client = _client(in_process_server)
    customer = client.v1.customers.create()
    shorten_write_budget(monkeypatch, 50)
    lose_to_rivals(monkeypatch, times=1_000)
    locked = _refused(stripe.RateLimitError, lambda: client.v1.customers.balance_transactions.create(
        customer.id, params={"amount": 5, "currency": "usd"}, options={"idempotency_key": "wire-lock"}))
    _assert_stripe_error(locked, 429, "invalid_request_error", "lock_timeout", should_retry="true")
    _assert_function_wire_details(locked, "wire-lock")


@pytest.mark.parametrize(("failure", "status", "should_retry"), [
    ((400, "ProvisionedThroughputExceededException"), 503, "true"),
    ((500, "InternalServerError"), 503, "true"),
    (EndpointConnectionError(endpoint_url="http://dynamodb"), 503, "true"),
    ((400, "AccessDeniedException"), 500, "false"),  # as deployed: a retry would fail the same way
], ids=["throttled", "dynamodb-5xx", "unreachable", "refused"])
def test_wire_details_when_the_database_fails(in_process_server: str, failure: tuple[int, str] | Exception,
                                              status: int, should_retry: str) -> None:
    """The commit fails at DynamoDB: Stripe's api_error, with the retry advice the README gives."""
    import stripe

    client = _client(in_process_server)
    customer = client.v1.customers.create()
    with failing_dynamodb("TransactWriteItems", failure) as failed:
        error = _refused(stripe.APIError, lambda: client.v1.customers.balance_transactions.create(
            customer.id, params={"amount": 5, "currency": "usd"}, options={"idempotency_key": "wire-5xx"}))
    assert failed  # the fault acted
    _assert_stripe_error(error, status, "api_error", should_retry=should_retry)
    _assert_function_wire_details(error, "wire-5xx")


def test_wire_details_of_a_function_that_dies(in_process_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The function never answers (it timed out, ran out of memory or crashed): API Gateway's own 502,
    an api_error worth a retry (nothing was committed, or the key replays what was)."""
    import stripe

    from tests.support.api import _app
    from tools.lambda_local import FunctionError

    class Dying:
        def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
            raise FunctionError("Sandbox.Timedout", f"{function} timed out")

    monkeypatch.setattr(_app(), "invoker", Dying())  # the route's functions; the authorizer still answers
    error = _refused(stripe.APIError, lambda: _client(in_process_server).v1.customers.create(
        options={"idempotency_key": "wire-502"}))
    _assert_stripe_error(error, 502, "api_error", should_retry="true")
    _assert_gateway_wire_details(error, "wire-502")
