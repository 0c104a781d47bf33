"""API Gateway's own answers, rendered from template.yaml as API Gateway renders them (tools.gateway):
every body is JSON in Stripe's error shape, whatever the caller sent."""

import json

import pytest

from ledger import wire
from tests.support.api import Api
from tools import gateway, lambda_local, template

HOSTILE = ['"}}x', "\\", '\\"', "\x00\x1f\x7f", "é€\U0001f600", "\u202e\ud800", "$context.requestId", "##x",
           "#set($x = 1)", "\n\r\t"]


def _request(headers: dict[str, str] | None = None, **authorizer: str) -> gateway.Request:
    return gateway.Request(method="GET", path="/v1/customers", request_id="c0ffee00-0000-4000-8000-000000000000",
                           stage="stripe", headers=headers or {}, authorizer=authorizer)


def _stripe_error(answer: gateway.Answer) -> dict:
    body = json.loads(answer.body)
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str)
    assert body["error"]["type"] in ("invalid_request_error", "api_error")
    assert answer.headers["Request-Id"] == "c0ffee00-0000-4000-8000-000000000000"
    return body["error"]


@pytest.mark.parametrize("response_type", sorted(gateway.DEFAULTS))
def test_every_gateway_answer_is_a_stripe_error(response_type):
    answer = gateway.answer(response_type, _request())
    error = _stripe_error(answer)
    assert answer.status in (401, 404, 413, 429, 500, 502, 504, 403)
    if answer.status >= 500 or response_type == "THROTTLED":
        assert answer.headers["Stripe-Should-Retry"] == "true"
    assert "$context" not in answer.body
    assert error["message"] or response_type == "ACCESS_DENIED"  # its message comes from the authorizer
    assert answer.headers["Stripe-Version"] == wire.API_VERSION


@pytest.mark.parametrize("response_type", sorted(gateway.DEFAULTS))
def test_every_gateway_answer_echoes_the_idempotency_key_sent_and_only_then(response_type):
    """As the functions' answers do: SDKs expose the key of the response, their automatic one included."""
    sent = gateway.answer(response_type, _request({"idempotency-key": "retry-me-7"}))
    assert sent.headers["Idempotency-Key"] == "retry-me-7"
    assert "Idempotency-Key" not in gateway.answer(response_type, _request()).headers


def test_every_gateway_response_of_the_template_maps_the_stripe_headers():
    """A static header mapping cannot fall back to the request's Stripe-Version: gateway answers carry the
    version the functions answer with when a request names none."""
    responses = template.load()["Resources"]["LedgerApi"]["Properties"]["GatewayResponses"]
    for name, response in responses.items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Stripe-Version"] == f"'{wire.API_VERSION}'", name
        assert headers["Idempotency-Key"] == "method.request.header.Idempotency-Key", name


def test_default_4xx_inserts_the_quoted_message():
    error = _stripe_error(gateway.answer("QUOTA_EXCEEDED", _request()))  # not customised: DEFAULT_4XX
    assert error["message"] == "Limit Exceeded"


def _denied_message(secret: str) -> str:
    """The message of the gateway's answer to `secret`, as the authorizer's context carries it."""
    authorizer = lambda_local.load_handler("AuthorizerFunction")
    event = {"type": "TOKEN", "authorizationToken": "Bearer " + secret,
             "methodArn": "arn:aws:execute-api:us-east-1:000000000000:api/stripe/GET/v1/customers"}
    context = authorizer(event, lambda_local.LambdaContext("AuthorizerFunction"))["context"]
    return _stripe_error(gateway.answer("ACCESS_DENIED", _request(**context)))["message"]


@pytest.mark.parametrize("token_tail", HOSTILE)
def test_a_denied_key_of_any_characters_gives_a_json_body(moto_table, token_tail):
    """The authorizer escapes what it puts in its context; the template inserts it unescaped."""
    secret = "sk_test_" + token_tail
    assert _denied_message(secret) == (f"Invalid API Key provided: sk_test_****{secret[-4:]}" if len(token_tail) > 4
                                       else "Invalid API Key provided: sk_test_****")


@pytest.mark.parametrize("token_tail", HOSTILE)
def test_a_restricted_key_of_any_characters_gives_a_json_body(moto_table, token_tail):
    secret = "rk_live_" + token_tail
    masked = f"rk_live_****{secret[-4:]}" if len(token_tail) > 4 else "rk_live_****"
    assert _denied_message(secret).startswith(f"The provided key '{masked}' is a restricted API key")


def test_keys_of_other_kinds_get_stripes_message_for_them(moto_table):
    publishable = Api(key="pk_test_TYooMQauvdEDq54NiTphI7jx").get("/v1/customers")
    assert publishable.status == 401
    assert publishable.error["message"].startswith("This API call cannot be made with a publishable API key.")
    restricted = Api(key="rk_test_51HqLyjWDarjtT1zdp7dcRestricted").get("/v1/customers")
    assert restricted.status == 401
    assert restricted.error["message"] == (
        "The provided key 'rk_test_****cted' is a restricted API key, which this API does not support. Please use "
        "a secret API key (one that starts with sk_test_ or sk_live_). You can find a list of your API keys at "
        "https://dashboard.stripe.com/account/apikeys.")
    live_restricted = Api(key="rk_live_51HqLyjWDarjtT1zdp7dcRestricted").get("/v1/customers")
    assert live_restricted.error["message"].startswith("The provided key 'rk_live_****cted' is a restricted API key")


@pytest.mark.parametrize("header", ['Bearer sk_test_x"}}x', "Bearer \\\\", 'Basic "', "Bearer é€"])
def test_hostile_tokens_through_the_local_api(moto_table, header):
    reply = Api(key=None).get("/v1/customers", headers={"Authorization": header})
    assert reply.status == 401 and reply.error["type"] == "invalid_request_error"


def test_unknown_routes_and_missing_keys(moto_table):
    anonymous = Api(key=None)
    unknown = anonymous.get('/v1/x"}}')
    assert unknown.status == 404 and unknown.error["message"].startswith("Unrecognized request URL (GET)")
    missing = anonymous.get("/v1/customers")
    assert missing.status == 401 and missing.headers["WWW-Authenticate"] == 'Basic realm="Stripe"'


def test_gateway_answers_through_the_local_api_carry_stripes_headers(moto_table):
    """A header name is matched whatever its case, as HTTP and API Gateway match it."""
    denied = Api(key="sk_test_" + "0" * 24).post("/v1/customers", headers={"idempotency-KEY": "denied-1"})
    assert denied.status == 401
    assert (denied.headers["Stripe-Version"], denied.headers["Idempotency-Key"]) == (wire.API_VERSION, "denied-1")
    unknown = Api().get("/v1/nowhere")
    assert unknown.status == 404 and unknown.headers["Stripe-Version"] == wire.API_VERSION
    assert "Idempotency-Key" not in unknown.headers
