"""API Gateway's own answers, rendered from template.yaml as API Gateway renders them (tools.gateway):
every body is JSON in Stripe's error shape, whatever the caller sent."""

import json

import pytest

from tests.support.api import Api
from tools import gateway, lambda_local

HOSTILE = ['"}}x', "\\", '\\"', "\x00\x1f\x7f", "é€\U0001f600", "\u202e\ud800", "$context.requestId", "##x",
           "#set($x = 1)", "\n\r\t"]


def _request(**authorizer: str) -> gateway.Request:
    return gateway.Request(method="GET", path="/v1/customers", request_id="c0ffee00-0000-4000-8000-000000000000",
                           stage="stripe", authorizer=authorizer)


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


def test_default_4xx_inserts_the_quoted_message():
    error = _stripe_error(gateway.answer("QUOTA_EXCEEDED", _request()))  # not customised: DEFAULT_4XX
    assert error["message"] == "Limit Exceeded"


@pytest.mark.parametrize("token_tail", HOSTILE)
def test_a_denied_key_of_any_characters_gives_a_json_body(moto_table, token_tail):
    """The authorizer escapes what it puts in its context; the template inserts it unescaped."""
    authorizer = lambda_local.load_handler("AuthorizerFunction")
    event = {"type": "TOKEN", "authorizationToken": "Bearer sk_test_" + token_tail,
             "methodArn": "arn:aws:execute-api:us-east-1:000000000000:api/stripe/GET/v1/customers"}
    context = authorizer(event, lambda_local.LambdaContext("AuthorizerFunction"))["context"]
    error = _stripe_error(gateway.answer("ACCESS_DENIED", _request(**context)))
    secret = "sk_test_" + token_tail
    assert error["message"] == (f"Invalid API Key provided: sk_test_****{secret[-4:]}" if len(token_tail) > 4
                                else "Invalid API Key provided: sk_test_****")


def test_keys_of_other_kinds_get_stripes_message_for_them(moto_table):
    publishable = Api(key="pk_test_TYooMQauvdEDq54NiTphI7jx").get("/v1/customers")
    assert publishable.status == 401
    assert publishable.error["message"].startswith("This API call cannot be made with a publishable API key.")
    restricted = Api(key="rk_test_51HqLyjWDarjtT1zdp7dcRestricted").get("/v1/customers")
    assert restricted.error["message"] == "Invalid API Key provided: rk_test_****cted"


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
