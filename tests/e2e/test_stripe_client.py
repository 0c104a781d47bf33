"""End to end: the real `stripe` client and raw curl-style form requests against the local server."""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from ledger import balance_transactions, wire
from ledger.models import Caller
from ledger.params import CreateBalanceTransaction
from tests.support.chains import assert_intact
from tests.support.clock import FrozenClock
from tests.support.schemas import validate
from tools.local_api import DEFAULT_KEY, LocalApi

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
    assert done.stdout.count("ok   ") == 10


def test_wire_details_the_sdk_exposes_on_every_response_kind(server):
    """What stripe-python reads from a response: the idempotency key it sent (its own automatic one
    included), the request id and the API version; on errors also the code, param and doc_url."""
    import stripe

    client = stripe.StripeClient(DEFAULT_KEY, base_addresses={"api": server})
    customer = client.v1.customers.create()
    response = customer.last_response
    assert response.idempotency_key and response.request_id.startswith("req_")  # the SDK's automatic key
    assert response.headers["Stripe-Version"] == stripe.api_version  # the version the SDK asked for
    txns = client.v1.customers.balance_transactions
    params, options = {"amount": 5, "currency": "usd"}, {"idempotency_key": "wire-1"}
    first = txns.create(customer.id, params=params, options=options)
    replay = txns.create(customer.id, params=params, options=options)
    assert first.id == replay.id
    assert first.last_response.idempotency_key == replay.last_response.idempotency_key == "wire-1"
    assert replay.last_response.headers["Idempotent-Replayed"] == "true"
    assert replay.last_response.headers["Stripe-Version"] == stripe.api_version
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_nobody")
    error = missing.value
    assert (error.http_status, error.code, error.param) == (404, "resource_missing", "id")
    assert error.error.doc_url == "https://stripe.com/docs/error-codes/resource-missing"
    assert error.headers["Stripe-Version"] == stripe.api_version and error.request_id.startswith("req_")
    with pytest.raises(stripe.InvalidRequestError) as invalid:
        txns.create(customer.id, params={"amount": 5, "currency": " usd"}, options={"idempotency_key": "wire-2"})
    assert (invalid.value.code, invalid.value.param) == ("invalid_currency", "currency")
    assert invalid.value.headers["Idempotency-Key"] == "wire-2"
    with pytest.raises(stripe.IdempotencyError) as reused:
        txns.create(customer.id, params={"amount": 6, "currency": "usd"}, options=options)
    assert (reused.value.http_status, reused.value.error.type) == (400, "idempotency_error")
    assert reused.value.headers["Idempotency-Key"] == "wire-1"
    assert reused.value.headers["Stripe-Version"] == stripe.api_version
    _assert_gateway_wire_details(_denied(server), "wire-3")


def _denied(server: str) -> Any:
    """API Gateway's own 401 for a key the authorizer does not know."""
    import stripe

    stranger = stripe.StripeClient(UNKNOWN_KEY, base_addresses={"api": server}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as denied:
        stranger.v1.customers.create(options={"idempotency_key": "wire-3"})
    assert denied.value.http_status == 401
    assert denied.value.user_message == "Invalid API Key provided: sk_test_****0000"
    return denied.value


def _assert_gateway_wire_details(error: Any, idempotency_key: str) -> None:
    """An answer API Gateway gives itself: the version the functions answer with when a request names
    none (a header mapping cannot fall back to the request's), the key echoed, and API Gateway's own
    request id (a mapping cannot add the `req_` prefix)."""
    assert error.headers["Stripe-Version"] == wire.API_VERSION
    assert error.headers["Idempotency-Key"] == idempotency_key
    assert error.request_id == error.headers["Request-Id"] and error.request_id


@pytest.fixture
def throttled_server(ledger_table: str):
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


def test_wire_details_of_a_throttled_request(throttled_server):
    """A 429 is API Gateway's: rate_limit in Stripe's shape, worth a retry, with the wire details."""
    import stripe

    client = stripe.StripeClient(DEFAULT_KEY, base_addresses={"api": throttled_server}, max_network_retries=0)
    with pytest.raises(stripe.RateLimitError) as throttled:
        for n in range(FLOOD_REQUESTS_MAX):
            client.v1.customers.create(options={"idempotency_key": f"flood-{n}"})
    error = throttled.value
    assert (error.http_status, error.error.code) == (429, "rate_limit")  # the SDK keeps the code on .error
    assert error.headers["Stripe-Should-Retry"] == "true"
    _assert_gateway_wire_details(error, f"flood-{n}")  # the request that was throttled
