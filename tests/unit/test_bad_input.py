"""The error table: each bad input gets Stripe's status, type, code and param, and changes nothing."""

import pytest

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
    assert (reply.status, reply.error["param"]) == (400, "amount")
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
