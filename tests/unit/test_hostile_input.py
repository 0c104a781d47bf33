"""Hostile input gets a Stripe-shaped 4xx naming the parameter and changes nothing; never a 5xx.
Each case here answered 500 or a wrong result before its fix (issue: no client can cause a 5xx)."""

import json
from typing import Any

import pytest

from ledger import params
from ledger.errors import StripeError
from tests.support.waiting import eventually
from tools.local_api import DEFAULT_KEY

JSON = "application/json"


@pytest.fixture
def customer(api_on_moto):
    return api_on_moto.customer()["id"]


def _assert_refused(reply, status=400, param=None):
    assert reply.status == status, reply.body
    assert reply.error["type"] == "invalid_request_error" and reply.error["message"]
    if param is not None:
        assert reply.error.get("param") == param
    return reply.error


@pytest.mark.parametrize("depth", [6, 50, 5000])
def test_deeply_nested_json_is_refused(api_on_moto, customer, depth):
    body = '{"metadata":' + "[" * depth + "]" * depth + "}"
    _assert_refused(api_on_moto.post(f"/v1/customers/{customer}/balance_transactions", raw_body=body,
                                     content_type=JSON))


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/customers/{c}", "/v1/customers/{c}/balance_transactions"])
def test_a_lone_surrogate_in_a_metadata_key_is_refused(api_on_moto, customer, path):
    body = '{"amount":1,"currency":"usd","metadata":{"\\ud800":"x"}}' if "balance" in path else (
        '{"metadata":{"\\ud800":"x"}}')
    _assert_refused(api_on_moto.post(path.format(c=customer), raw_body=body, content_type=JSON), param="metadata")
    assert api_on_moto.get(f"/v1/customers/{customer}/balance_transactions").body["data"] == []


def test_a_lone_surrogate_in_an_unknown_key_or_a_value_is_refused(api_on_moto, customer):
    path = f"/v1/customers/{customer}/balance_transactions"
    _assert_refused(api_on_moto.post(path, raw_body='{"\\udfff":1}', content_type=JSON), param="\\udfff")
    _assert_refused(api_on_moto.post(path, raw_body='{"amount":1,"currency":"usd","description":"\\ud800"}',
                                     content_type=JSON), param="description")


def test_duplicate_json_keys_are_refused_as_duplicate_form_fields_are(api_on_moto, customer):
    path = f"/v1/customers/{customer}/balance_transactions"
    _assert_refused(api_on_moto.post(path, raw_body='{"amount":1,"amount":2,"currency":"usd"}', content_type=JSON),
                    param="amount")
    _assert_refused(api_on_moto.post(path, raw_body="amount=1&amount=2&currency=usd"), param="amount")
    _assert_refused(api_on_moto.post(path, raw_body='{"amount":1,"currency":"usd","metadata":{"a":"1","a":"2"}}',
                                     content_type=JSON))
    assert api_on_moto.get(f"/v1/customers/{customer}").body["balance"] == 0


def test_query_string_fields_count_against_the_field_limit(api_on_moto, customer):
    path = f"/v1/customers/{customer}/balance_transactions"
    _assert_refused(api_on_moto.get(path, [("expand[]", "data.customer")] * 1500))
    response = api_on_moto.client.open(
        path, method="POST", query_string="&".join(["expand[]=customer"] * 600),
        data="&".join(f"metadata[k{i}]=v" for i in range(600)) + "&amount=1&currency=usd",
        headers={"Authorization": f"Bearer {DEFAULT_KEY}"}, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "Too many parameters" in json.loads(response.get_data(as_text=True))["error"]["message"]


@pytest.mark.parametrize("currency", [" usd", "usd ", "USD\n", "\tusd", "u sd"])
def test_currency_is_never_trimmed(api_on_moto, customer, currency):
    reply = api_on_moto.post(f"/v1/customers/{customer}/balance_transactions", {"amount": 1, "currency": currency})
    assert _assert_refused(reply, param="currency")["code"] == "invalid_currency"


def test_currency_is_case_insensitive(api_on_moto, customer):
    reply = api_on_moto.post(f"/v1/customers/{customer}/balance_transactions", {"amount": 1, "currency": "USD"})
    assert reply.status == 200 and reply.body["currency"] == "usd"


@pytest.mark.parametrize("path", ["/v1/customers/{c}/balance_transactions", "/v1/customers"])
def test_created_bounds_beyond_ten_digits_compare_as_numbers(api_on_moto, customer, path):
    api_on_moto.transaction(customer, 5)
    url = path.format(c=customer)
    eventually(lambda: api_on_moto.get(url).body, lambda page: bool(page["data"]))  # the index lags writes

    def ids(**created):
        reply = api_on_moto.get(url, {"created": created})
        assert reply.status == 200, reply.body
        return reply.body["data"]

    assert ids(gte=10_000_000_000) == [] and ids(gt=9_999_999_999_999) == []
    assert len(ids(lte=10_000_000_000)) == 1 and len(ids(lt=9_999_999_999_999_999)) == 1
    assert ids(lte=-5) == [] and len(ids(gte=-10_000_000_000)) == 1


def test_errors_carry_stripes_wire_details(api_on_moto, customer):
    missing = _assert_refused(api_on_moto.get("/v1/customers/cus_nobody"), status=404, param="id")
    assert missing["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing"
    on_parent = api_on_moto.get("/v1/customers/cus_nobody/balance_transactions")
    _assert_refused(on_parent, status=404, param="customer")
    no_txn = api_on_moto.get(f"/v1/customers/{customer}/balance_transactions/cbtxn_1xNObo0000001JnY6kYZpT8a")
    _assert_refused(no_txn, status=404, param="id")
    bad = api_on_moto.post(f"/v1/customers/{customer}/balance_transactions", {"amount": "x", "currency": "usd"})
    assert _assert_refused(bad, param="amount")["doc_url"].endswith("/error-codes/parameter-invalid-integer")


@pytest.mark.parametrize("kind", ["success", "error", "replay"])
def test_every_response_echoes_the_idempotency_key_and_the_api_version(api_on_moto, customer, kind):
    path = f"/v1/customers/{customer}/balance_transactions"
    params = {"amount": 1, "currency": "usd"} if kind != "error" else {"amount": "x", "currency": "usd"}
    headers = {"Idempotency-Key": f"echo-{kind}", "Stripe-Version": "2024-06-20"}
    if kind == "replay":
        api_on_moto.post(path, params, headers=headers)
    reply = api_on_moto.post(path, params, headers=headers)
    assert reply.headers["Idempotency-Key"] == f"echo-{kind}"
    assert reply.headers["Stripe-Version"] == "2024-06-20"
    assert reply.headers.get("Idempotent-Replayed") == ("true" if kind == "replay" else None)
    plain = api_on_moto.get(path)
    assert plain.headers["Stripe-Version"] == "2026-09-30.endive" and "Idempotency-Key" not in plain.headers


def test_responses_are_utf8_json_that_any_client_parses(api_on_moto):
    created = api_on_moto.post("/v1/customers", {"name": "Zoë \U0001f600", "metadata": {"k": "\u202ev"}})
    assert created.status == 200 and created.body["name"] == "Zoë \U0001f600"


# Text that is not valid Unicode never gets past the wire parser (ledger.api.form refuses it first, as the
# lone-surrogate tests above show); handed to ledger.params.parse all the same, it is still a Stripe 400,
# never a pydantic error or a crash, and pydantic's own wording is never shown.
@pytest.mark.parametrize(("model", "raw", "message", "param"), [
    (params.CreateCustomer, {"metadata": {"\ud800": "x"}},  # pydantic cannot even render this failure
     "Invalid parameters: every name and value must be valid Unicode.", None),
    (params.CreateBalanceTransaction, {"amount": 1, "currency": "usd", "metadata": {"k": "v", "\udfff": "x"}},
     "Invalid parameters: every name and value must be valid Unicode.", None),
    (params.CreateCustomer, {"balance": "\ud800"}, "Invalid value for balance.", "balance"),
    (params.CreateBalanceTransaction, {"amount": 1, "currency": "\ud800"}, "Invalid value for currency.", "currency"),
])
def test_parse_refuses_what_the_wire_parser_would_have(model: type[params.Params], raw: dict[str, Any], message: str,
                                                       param: str | None) -> None:
    with pytest.raises(StripeError) as refused:
        params.parse(model, raw)
    assert refused.value.body() == {"error": {"type": "invalid_request_error", "message": message,
                                              **({"param": param} if param else {})}}
    assert refused.value.status == 400


@pytest.mark.parametrize("raw", [{"\ud800": "x"}, {"expand": ["\ud800"]}])
def test_parse_names_no_parameter_when_the_failure_is_the_whole_request(raw: dict[str, Any]) -> None:
    with pytest.raises(StripeError) as refused:
        params.parse(params.CreateCustomer, raw)
    assert (refused.value.status, refused.value.type, refused.value.code, refused.value.param) == (
        400, "invalid_request_error", None, None)
    assert refused.value.body()["error"]["message"] == "The request's parameters could not be read."
