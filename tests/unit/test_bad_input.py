"""The error table: each bad input gets Stripe's status, type, code and param, and changes nothing."""

from typing import Any

import pytest

from ledger import currencies
from tests.support.api import Api
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("moto_table")

BIG = 99_999_999_999

CREATE_CASES = [
    # (params, status, code, param)
    ({"currency": "usd"}, 400, "parameter_missing", "amount"),
    ({"amount": 5}, 400, "parameter_missing", "currency"),
    ({"amount": "abc", "currency": "usd"}, 400, "parameter_invalid_integer", "amount"),
    ({"amount": "12.5", "currency": "usd"}, 400, "parameter_invalid_integer", "amount"),
    ({"amount": "1e3", "currency": "usd"}, 400, "parameter_invalid_integer", "amount"),
    ({"amount": "", "currency": "usd"}, 400, "parameter_invalid_integer", "amount"),
    ({"amount": "0", "currency": "usd"}, 400, "parameter_invalid_integer", "amount"),
    ({"amount": str(BIG + 1), "currency": "usd"}, 400, "parameter_invalid_integer", "amount"),
    ({"amount": str(-BIG - 1), "currency": "usd"}, 400, "parameter_invalid_integer", "amount"),
    ({"amount": "9" * 40, "currency": "usd"}, 400, "parameter_invalid_integer", "amount"),
    ({"amount": 5, "currency": "xyz"}, 400, "invalid_currency", "currency"),
    ({"amount": 5, "currency": "us"}, 400, "invalid_currency", "currency"),
    ({"amount": 5, "currency": "usd", "foo": "1"}, 400, "parameter_unknown", "foo"),
    ({"amount": 5, "currency": "usd", "description": "x" * 351}, 400, None, "description"),
    ({"amount": 5, "currency": "usd", "metadata": {f"k{i}": "v" for i in range(51)}}, 400, None, "metadata"),
    ({"amount": 5, "currency": "usd", "metadata": {"k" * 41: "v"}}, 400, None, "metadata[" + "k" * 41 + "]"),
    ({"amount": 5, "currency": "usd", "metadata": {"k": "v" * 501}}, 400, None, "metadata[k]"),
    ({"amount": 5, "currency": "usd", "expand": ["nope"]}, 400, None, "expand"),
]


def _transactions(api, customer_id):
    return api.get(f"/v1/customers/{customer_id}/balance_transactions", {"limit": 100}).body["data"]


@pytest.mark.parametrize(("params", "status", "code", "param"), CREATE_CASES)
def test_create_transaction_bad_input(api_on_moto, params, status, code, param):
    api = api_on_moto
    customer = api.customer(balance=10)
    before = (api.get(f"/v1/customers/{customer['id']}").body, _transactions(api, customer["id"]))
    reply = api.post(f"/v1/customers/{customer['id']}/balance_transactions", params)
    assert reply.status == status, reply.body
    assert reply.error["type"] == "invalid_request_error"
    assert reply.error.get("code") == code and reply.error["param"] == param
    assert reply.error["message"] and reply.headers["Request-Id"].startswith("req_")
    assert (api.get(f"/v1/customers/{customer['id']}").body, _transactions(api, customer["id"])) == before


def test_balance_that_would_overflow_is_refused(api_on_moto):
    api = api_on_moto
    customer = api.customer(balance=BIG)
    reply = api.post(f"/v1/customers/{customer['id']}/balance_transactions", {"amount": 1, "currency": "usd"})
    assert (reply.status, reply.error["code"], reply.error["param"]) == (400, "parameter_invalid_integer", "amount")
    over = api.post(f"/v1/customers/{customer['id']}", {"balance": -BIG})
    assert (over.status, over.error["code"], over.error["param"]) == (400, "parameter_invalid_integer", "balance")
    assert api.get(f"/v1/customers/{customer['id']}").body["balance"] == BIG


@pytest.mark.parametrize(("query", "code", "param"), [
    ({"limit": 0}, "parameter_invalid_integer", "limit"),
    ({"limit": 101}, "parameter_invalid_integer", "limit"),
    ({"limit": "ten"}, "parameter_invalid_integer", "limit"),
    ({"starting_after": "cbtxn_x", "ending_before": "cbtxn_y"}, None, "ending_before"),
    ({"starting_after": "cbtxn_unknown"}, "resource_missing", "starting_after"),
    ({"ending_before": "cus_nope"}, "resource_missing", "ending_before"),
    ({"created": {"gte": "x"}}, "parameter_invalid_integer", "created[gte]"),
    ({"created": {"after": 1}}, "parameter_unknown", "created[after]"),
    ({"expand": ["customer"]}, None, "expand"),
    ({"bogus": 1}, "parameter_unknown", "bogus"),
])
def test_list_bad_input(api_on_moto, query, code, param):
    api = api_on_moto
    customer = api.customer(balance=10)
    reply = api.get(f"/v1/customers/{customer['id']}/balance_transactions", query)
    assert reply.status == 400, reply.body
    assert reply.error.get("code") == code and reply.error["param"] == param


def test_cursor_of_another_customer_is_refused(api_on_moto):
    api = api_on_moto
    mine, theirs = api.customer(balance=1), api.customer(balance=2)
    their_txn = api.get(f"/v1/customers/{theirs['id']}/balance_transactions").body["data"][0]["id"]
    reply = api.get(f"/v1/customers/{mine['id']}/balance_transactions", {"starting_after": their_txn})
    assert (reply.status, reply.error["code"], reply.error["param"]) == (400, "resource_missing", "starting_after")
    wrong_owner = api.get(f"/v1/customers/{mine['id']}/balance_transactions/{their_txn}")
    assert (wrong_owner.status, wrong_owner.error["code"]) == (404, "resource_missing")


@pytest.mark.parametrize("path", [
    "/v1/customers/cus_missing", "/v1/customers/cus_missing/balance_transactions",
    "/v1/customers/cus_missing/balance_transactions/cbtxn_missing",
])
def test_unknown_objects_are_404(api_on_moto, path):
    reply = api_on_moto.get(path)
    assert (reply.status, reply.error["code"], reply.error["type"]) == (404, "resource_missing",
                                                                        "invalid_request_error")
    assert "No such" in reply.error["message"]


def test_forged_transaction_id_is_404(api_on_moto):
    api = api_on_moto
    customer = api.customer()
    txn = api.transaction(customer["id"], 5)
    forged = txn["id"][:-1] + ("A" if txn["id"][-1] != "A" else "B")  # same position, other random part
    reply = api.get(f"/v1/customers/{customer['id']}/balance_transactions/{forged}")
    assert (reply.status, reply.error["code"]) == (404, "resource_missing")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/nope"), ("PUT", "/v1/customers"), ("GET", "/v1/customers/"), ("PATCH", "/v1/customers/cus_1"),
    ("GET", "/v1/customers/cus_1/balance_transactions/cbtxn_1/extra"),
])
def test_unknown_route_is_404_unrecognized(api_on_moto, method, path):
    reply = api_on_moto.request(method, path)
    assert reply.status == 404 and reply.headers["Request-Id"]  # API Gateway's own request id
    assert reply.error["message"].startswith(f"Unrecognized request URL ({method})")


@pytest.mark.parametrize(("body", "content_type"), [
    (b"amount=%FF%FE&currency=usd", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
    (b"{not json", "application/json"),
    (b"[1,2]", "application/json"),
    (b"amount=1&amount=2&currency=usd", "application/x-www-form-urlencoded"),
    (b"metadata=x&metadata[a]=b&amount=1&currency=usd", "application/x-www-form-urlencoded"),
    (b"a[b][c][d][e][f]=1&amount=1&currency=usd", "application/x-www-form-urlencoded"),
    (b"amount=1&currency=usd&" + b"&".join(b"x%d=1" % i for i in range(1001)), "application/x-www-form-urlencoded"),
    (b"amount=1&currency=usd&description=" + b"x" * 1_000_001, "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_are_stripe_errors(api_on_moto, body, content_type):
    api = api_on_moto
    customer = api.customer()
    reply = api.post(f"/v1/customers/{customer['id']}/balance_transactions", raw_body=body,
                     content_type=content_type)
    assert reply.status in (400, 413), reply.body
    assert reply.error["type"] == "invalid_request_error" and reply.error["message"]
    assert api.get(f"/v1/customers/{customer['id']}").body["balance"] == 0


@pytest.mark.parametrize(("params", "code", "param"), [
    ({"balance": "1.5"}, "parameter_invalid_integer", "balance"),
    ({"balance": str(BIG + 1)}, "parameter_invalid_integer", "balance"),
    ({"email": "x" * 513}, None, "email"),
    ({"name": "x" * 257}, None, "name"),
    ({"phone": "1" * 21}, None, "phone"),
    ({"currency": "usd"}, "parameter_unknown", "currency"),
    ({"expand": ["customer"]}, None, "expand"),
])
def test_customer_bad_input(api_on_moto, params, code, param):
    api = api_on_moto
    reply = api.post("/v1/customers", params)
    assert reply.status == 400 and reply.error.get("code") == code and reply.error["param"] == param
    assert api.get("/v1/customers").body["data"] == []


def _stripe_error(message: str, param: str | None, code: str | None = None) -> dict[str, Any]:
    """The whole `error` object Stripe answers: doc_url only with a code, param only when one is named."""
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if code:
        error |= {"code": code, "doc_url": "https://stripe.com/docs/error-codes/" + code.replace("_", "-")}
    if param:
        error["param"] = param
    return error


TXN = "/v1/customers/{c}/balance_transactions"
CURRENCIES = ", ".join(sorted(currencies.SUPPORTED))


@pytest.mark.parametrize(("path", "method", "params", "error"), [
    # Several problems at once: Stripe names one, an unknown parameter before a missing one before the rest.
    (TXN, "POST", {"currency": "usd", "foo": "1"},
     _stripe_error("Received unknown parameter: foo", "foo", "parameter_unknown")),
    (TXN, "POST", {"amount": "abc", "currency": "usd", "foo": "1"},
     _stripe_error("Received unknown parameter: foo", "foo", "parameter_unknown")),
    (TXN, "POST", {"amount": "abc"},
     _stripe_error("Missing required param: currency.", "currency", "parameter_missing")),
    (TXN, "POST", {"amount": "abc", "description": "x" * 351},
     _stripe_error("Missing required param: currency.", "currency", "parameter_missing")),
    (TXN, "GET", {"created": {"gte": "x"}, "bogus": "1"},
     _stripe_error("Received unknown parameter: bogus", "bogus", "parameter_unknown")),
    # One problem: a coded error keeps the rule's own message, as does one Stripe sends without a code.
    (TXN, "POST", {"currency": "usd"}, _stripe_error("Missing required param: amount.", "amount", "parameter_missing")),
    (TXN, "POST", {"amount": "abc", "currency": "usd"},
     _stripe_error("Invalid integer: abc", "amount", "parameter_invalid_integer")),
    (TXN, "POST", {"amount": "0", "currency": "usd"},
     _stripe_error("Invalid integer: 0; the amount must not be zero", "amount", "parameter_invalid_integer")),
    (TXN, "POST", {"amount": 5, "currency": "xyz"},
     _stripe_error(f"Invalid currency: xyz. Stripe currently supports these currencies: {CURRENCIES}", "currency",
                   "invalid_currency")),
    (TXN, "POST", {"amount": 5, "currency": "usd", "description": "x" * 351},
     _stripe_error("Invalid string: must be at most 350 characters", "description")),
    (TXN, "POST", {"amount": 5, "currency": "usd", "metadata": {"k": "v" * 501}},
     _stripe_error("Metadata values can have up to 500 characters", "metadata[k]")),
    (TXN, "POST", {"amount": 5, "currency": "usd", "metadata": {"k" * 41: "v"}},
     _stripe_error("Metadata keys must be 1 to 40 characters without square brackets", f"metadata[{'k' * 41}]")),
    (TXN, "POST", [("amount", "5"), ("currency", "usd"), ("expand[0]", "nope")],
     _stripe_error("This property cannot be expanded (nope).", "expand")),
    (TXN, "GET", {"created": {"gte": "x"}},
     _stripe_error("Invalid integer: x", "created[gte]", "parameter_invalid_integer")),
    (TXN, "GET", {"created": {"after": "1"}},
     _stripe_error("Received unknown parameter: created[after]", "created[after]", "parameter_unknown")),
    (TXN, "GET", {"limit": "101"},
     _stripe_error("Invalid limit: 101. The limit must be between 1 and 100.", "limit", "parameter_invalid_integer")),
    (TXN, "GET", {"starting_after": "cbtxn_x", "ending_before": "cbtxn_y"},
     _stripe_error("Received both starting_after and ending_before parameters. Please pass in only one.",
                   "ending_before")),
    ("/v1/customers", "POST", {"balance": "1.5"},
     _stripe_error("Invalid integer: 1.5", "balance", "parameter_invalid_integer")),
    ("/v1/customers", "POST", {"phone": "1" * 21},
     _stripe_error("Invalid string: must be at most 20 characters", "phone")),
])
def test_the_error_names_one_problem_as_stripe_words_it(api_on_moto: Api, path: str, method: str, params: Any,
                                                         error: dict[str, Any]) -> None:
    customer = api_on_moto.customer(balance=10)
    reply = api_on_moto.request(method, path.format(c=customer["id"]), params)
    assert (reply.status, reply.error) == (400, error)
    assert api_on_moto.get(f"/v1/customers/{customer['id']}").body["balance"] == 10
    assert len(api_on_moto.get(TXN.format(c=customer["id"])).body["data"]) == 1


@pytest.mark.parametrize(("path", "expansion", "expanded"), [
    (TXN, "data.customer", "customer"),
    ("/v1/customers", "data.invoice_credit_balance", "invoice_credit_balance"),
])
def test_a_list_expands_its_objects_fields_under_data(api_on_moto: Api, path: str, expansion: str,
                                                       expanded: str) -> None:
    customer = api_on_moto.customer(balance=10)
    url = path.format(c=customer["id"])
    listed = eventually(lambda: api_on_moto.get(url, {"expand": [expansion]}), lambda r: bool(r.body.get("data")))
    assert listed.status == 200 and isinstance(listed.body["data"][0][expanded], dict)
    bare = api_on_moto.get(url, {"expand": [expanded]})
    refused = _stripe_error(f"This property cannot be expanded ({expanded}).", "expand")
    assert (bare.status, bare.error) == (400, refused)


@pytest.mark.parametrize(("size", "status", "kind"), [
    (2 * 1024 * 1024, 413, "invalid_request_error"),  # the function's own limit answers
    (7 * 1024 * 1024, 502, "api_error"),  # past Lambda's invocation limit: API Gateway's DEFAULT_5XX
    (11 * 1024 * 1024, 413, None),  # past API Gateway's payload limit
])
def test_a_body_too_large_for_each_layer_is_refused_by_that_layer(api_on_moto, size, status, kind):
    """A body the function can take gets its Stripe 413; one whose event Lambda refuses to carry never
    reaches the function (API Gateway answers, as on AWS); one past API Gateway's limit is refused first."""
    customer = api_on_moto.customer()
    body = b"amount=1&currency=usd&description=" + b"x" * size
    reply = api_on_moto.post(f"/v1/customers/{customer['id']}/balance_transactions", raw_body=body)
    assert reply.status == status, reply.body
    if kind is not None:
        assert reply.error["type"] == kind
    assert api_on_moto.get(f"/v1/customers/{customer['id']}").body["balance"] == 0


def test_an_error_quoting_a_huge_parameter_name_stays_inside_stripe_s_error_schema(api_on_moto):
    """A JSON body sent as a form is one field named by the whole body: the error quotes it, cut to
    the lengths Stripe's error schema allows."""
    from tests.support.schemas import validate

    customer = api_on_moto.customer()["id"]
    body = '{"amount": 5, "currency": "usd", "description": "' + "x" * 60_000 + '"}'
    reply = api_on_moto.post(f"/v1/customers/{customer}/balance_transactions", raw_body=body)
    assert reply.status == 400 and reply.error["code"] == "parameter_unknown"
    assert len(reply.error["param"]) == 5_000 and reply.error["param"].endswith("…")
    validate(reply.body, "error")
