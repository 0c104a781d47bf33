"""API Gateway's authorizer result cache (tools.authorizer): per token, for the template's TTL, the
cached policy judged against every route; refusals and failures of the function are not cached."""

from typing import Any

import pytest

from tests.support.clock import FrozenClock
from tools import authorizer, template
from tools.lambda_local import FunctionError

SPEC = template.default_authorizer()
TOKEN = "Bearer sk_test_" + "a" * 24
OTHER = "Bearer sk_test_" + "b" * 24


class FakeAuthorizer:
    def __init__(self, effect: str = "Allow", failure: FunctionError | None = None) -> None:
        self.calls: list[str] = []
        self.effect, self.failure = effect, failure

    def __call__(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        assert function == SPEC.function and event["type"] == "TOKEN"
        self.calls.append(event["authorizationToken"])
        if self.failure:
            raise self.failure
        stage = "/".join(event["methodArn"].split("/")[:2])
        return {"principalId": "key_1", "usageIdentifierKey": "plan-key", "context": {"mode": "test"},
                "policyDocument": {"Statement": [{"Effect": self.effect, "Action": "execute-api:Invoke",
                                                  "Resource": f"{stage}/*/*"}]}}


def _gateway(fake: FakeAuthorizer, cache: bool = True) -> tuple[authorizer.TokenAuthorizer, FrozenClock]:
    clock = FrozenClock()
    return authorizer.TokenAuthorizer(SPEC, fake, cache=cache, clock=clock), clock


def _ask(gateway: authorizer.TokenAuthorizer, token: str = TOKEN, method: str = "GET",
         path: str = "/v1/customers") -> authorizer.Outcome:
    return gateway.authorize({SPEC.header.lower(): token}, method, path)


def test_a_token_is_authorized_once_per_ttl_for_every_route():
    fake = FakeAuthorizer()
    gateway, clock = _gateway(fake)
    first = _ask(gateway)
    assert first.refusal is None and first.decision is not None
    assert (first.decision.principal, first.decision.context, first.decision.usage_key) == (
        "key_1", {"mode": "test"}, "plan-key")
    clock.now += SPEC.ttl_seconds - 0.001
    assert _ask(gateway, method="POST", path="/v1/customers/cus_1/balance_transactions").refusal is None
    assert fake.calls == [TOKEN]
    assert _ask(gateway, OTHER).refusal is None and fake.calls == [TOKEN, OTHER]  # per token
    clock.now += 0.001
    assert _ask(gateway).refusal is None and fake.calls == [TOKEN, OTHER, TOKEN]  # expired: asked again


def test_a_deny_is_cached_like_an_allow():
    fake = FakeAuthorizer(effect="Deny")
    gateway, _ = _gateway(fake)
    assert _ask(gateway).refusal == "ACCESS_DENIED"
    assert _ask(gateway, method="DELETE", path="/v1/customers/cus_1").refusal == "ACCESS_DENIED"
    assert fake.calls == [TOKEN]


@pytest.mark.parametrize(("failure", "refusal"), [
    (FunctionError("Exception", "Unauthorized"), "UNAUTHORIZED"),
    (FunctionError("KeyError", "'methodArn'"), "AUTHORIZER_CONFIGURATION_ERROR"),
    (FunctionError("Sandbox.Timedout", "Task timed out after 10.00 seconds"), "AUTHORIZER_CONFIGURATION_ERROR"),
])
def test_refusals_and_failures_of_the_function_are_not_cached(failure, refusal):
    fake = FakeAuthorizer(failure=failure)
    gateway, _ = _gateway(fake)
    assert _ask(gateway).refusal == refusal and _ask(gateway).refusal == refusal
    assert fake.calls == [TOKEN, TOKEN]


def test_a_malformed_answer_is_a_configuration_error():
    gateway, _ = _gateway(lambda function, event: {"principalId": "x", "policyDocument": {}})
    assert _ask(gateway).refusal == "AUTHORIZER_CONFIGURATION_ERROR"
    nested = FakeAuthorizer()
    gateway, _ = _gateway(lambda function, event: {**nested(function, event), "context": {"a": {"b": 1}}})
    assert _ask(gateway).refusal == "AUTHORIZER_CONFIGURATION_ERROR"


def test_a_token_of_no_key_shape_never_reaches_the_function():
    fake = FakeAuthorizer()
    gateway, _ = _gateway(fake)
    assert _ask(gateway, "Token nonsense").refusal == "UNAUTHORIZED"
    assert gateway.authorize({}, "GET", "/v1/customers").refusal == "UNAUTHORIZED"
    assert fake.calls == []


def test_without_a_cache_every_request_asks(monkeypatch):
    fake = FakeAuthorizer()
    gateway, _ = _gateway(fake, cache=False)
    _ask(gateway)
    _ask(gateway)
    assert fake.calls == [TOKEN, TOKEN]


def test_the_cache_is_bounded_least_recently_used_first(monkeypatch):
    monkeypatch.setattr(authorizer, "ENTRIES_MAX", 2)
    fake = FakeAuthorizer()
    gateway, _ = _gateway(fake)
    third = "Bearer sk_test_" + "c" * 24
    for token in (TOKEN, OTHER, TOKEN, third, TOKEN, OTHER):
        _ask(gateway, token)
    # TOKEN was used last before `third` arrived, so OTHER was the one forgotten.
    assert fake.calls == [TOKEN, OTHER, third, OTHER]


def _policy(*statements: dict[str, Any]) -> Any:
    return lambda function, event: {"principalId": "k", "policyDocument": {"Statement": list(statements)}}


ARN = "arn:aws:execute-api:us-east-1:000000000000:local/stripe"


def test_the_policy_is_judged_as_iam_judges_it():
    allow_customers = {"Effect": "Allow", "Action": ["execute-api:*"],
                       "Resource": [f"{ARN}/GET/v1/customers", f"{ARN}/POST/v1/customers"]}
    gateway, _ = _gateway(_policy(allow_customers))
    assert _ask(gateway).refusal is None and _ask(gateway, method="POST").refusal is None
    assert _ask(gateway, method="DELETE", path="/v1/customers/cus_1").refusal == "ACCESS_DENIED"
    deny_post = {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": f"{ARN}/POST/*"}
    gateway, _ = _gateway(_policy(allow_customers, deny_post))
    assert _ask(gateway).refusal is None
    assert _ask(gateway, method="POST").refusal == "ACCESS_DENIED"  # an explicit deny wins
    other_action = {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": f"{ARN}/*/*"}
    gateway, _ = _gateway(_policy(other_action))
    assert _ask(gateway).refusal == "ACCESS_DENIED"


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [1]},
    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": []},
    {"Effect": "Maybe", "Action": "execute-api:Invoke", "Resource": "*"},
    {"Effect": "Allow", "Resource": "*"},
])
def test_a_malformed_statement_is_a_configuration_error(statement):
    gateway, _ = _gateway(_policy(statement))
    assert _ask(gateway).refusal == "AUTHORIZER_CONFIGURATION_ERROR"
