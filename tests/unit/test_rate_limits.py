"""Limits per mode, as Stripe has them and as API Gateway enforces them from template.yaml: each mode's
usage plan has its own bucket, so test traffic cannot take live traffic's share; a header of no key's
shape is refused before the authorizer runs."""

import pytest
from werkzeug.test import Client

from tests.support.api import LIVE_KEY, TEST_KEY, Api, Reply
from tests.support.clock import FrozenClock
from tools import template, throttle
from tools.local_api import LocalApi

FLOOD_REQUESTS = 300  # more than a method's burst: counted against the method, it would leave live nothing


@pytest.fixture
def limited(moto_table):
    clock = FrozenClock()
    app = LocalApi(table_name=None, rate_limits=True, clock=clock)

    def api(key: str) -> Api:
        client = Api(key=key)
        client.client = Client(app)
        return client

    return api, clock


def _burst(mode: str) -> int:
    (burst,) = [b for key, (_, b) in template.throttles().plans.items() if f"-{mode}-mode-" in key]
    return burst


def test_test_mode_cannot_starve_live_mode(limited):
    api, clock = limited
    test, live = api(TEST_KEY), api(LIVE_KEY)
    replies = [test.get("/v1/customers") for _ in range(_burst("test") + 5)]
    assert [r.status for r in replies].count(200) == _burst("test")
    throttled: Reply = replies[-1]
    assert throttled.status == 429
    assert throttled.error == {"type": "invalid_request_error", "code": "rate_limit", "message": (
        "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits."),
        "doc_url": "https://stripe.com/docs/error-codes/rate-limit"}
    assert throttled.headers["Stripe-Should-Retry"] == "true"
    assert all(live.get("/v1/customers").status == 200 for _ in range(20))  # live is untouched
    clock.now += 1.0  # a second later, test mode has its rate's worth of tokens again
    assert [test.get("/v1/customers").status for _ in range(26)].count(200) == 25


def test_a_flood_of_test_requests_leaves_live_its_whole_burst(limited):
    """The usage plan's limit applies first, as on AWS: what test mode's plan refuses takes nothing from
    the stage's limits, so live mode keeps its own burst however many test requests arrive."""
    api, _ = limited
    test, live = api(TEST_KEY), api(LIVE_KEY)
    flood = [test.get("/v1/customers").status for _ in range(FLOOD_REQUESTS)]
    assert flood.count(200) == _burst("test")
    assert [live.get("/v1/customers").status for _ in range(_burst("live"))] == [200] * _burst("live")


def test_a_flood_of_refused_keys_takes_nothing_from_either_mode(limited):
    """A request the authorizer refuses has no usage plan and reaches no method: it is never counted."""
    api, _ = limited
    stranger, live = api("sk_test_" + "0" * 24), api(LIVE_KEY)
    assert {stranger.get("/v1/customers").status for _ in range(FLOOD_REQUESTS)} == {401}
    assert [live.get("/v1/customers").status for _ in range(_burst("live"))] == [200] * _burst("live")


def test_the_stage_limit_applies_to_each_method_apart():
    """AWS applies a stage's throttle ("/*" in MethodSettings) to each method on its own."""
    buckets = throttle.from_template(FrozenClock())
    stage = template.throttles().stage
    assert stage is not None
    listing, creation = throttle.method_bucket("GET", "/v1/customers"), throttle.method_bucket("POST", "/v1/customers")
    assert all(buckets.take(listing) for _ in range(stage[1]))
    assert not buckets.take(listing)
    assert buckets.take(creation)


def test_live_mode_has_its_own_larger_limit(limited):
    api, _ = limited
    live = api(LIVE_KEY)
    statuses = [live.get("/v1/customers").status for _ in range(_burst("live") + 1)]
    assert statuses.count(200) == _burst("live") and statuses[-1] == 429


@pytest.mark.parametrize("header", ["Token sk_test_x", "Bearer sk_test_has space", "Bearer sk_test_" + "a" * 300,
                                    "Basic !!!", "bearer"])
def test_a_header_of_no_keys_shape_is_refused_without_calling_the_authorizer(limited, monkeypatch, header):
    from tools import lambda_local

    api, _ = limited
    calls = []
    real = lambda_local.load_handler("AuthorizerFunction")
    monkeypatch.setattr(lambda_local, "load_handler", lambda f: calls.append(f) or real)
    reply = api(None).get("/v1/customers", headers={"Authorization": header})
    assert reply.status == 401 and reply.error["message"].startswith("You did not provide an API key.")
    assert calls == []
