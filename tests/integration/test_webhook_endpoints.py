"""The Webhook Endpoints API on DynamoDB Local: Stripe's objects, the secret shown once, the URL and
event-type rules, 16 endpoints per mode, modes isolated, edits merged and retried after a lost race,
deletion, cursors, and Idempotency-Key on every write."""

from typing import Any

import pytest

from tests.support.api import LIVE_KEY, Api
from tests.support.schemas import validate

pytestmark = pytest.mark.dynamodb_local
PATH = "/v1/webhook_endpoints"
EVENTS = ["customer.created", "customer.updated"]


def _create(api: Api, url: str = "https://example.com/hooks", **params: Any) -> dict[str, Any]:
    reply = api.post(PATH, {"url": url, "enabled_events": EVENTS, **params})
    assert reply.status == 200, reply.body
    validate(reply.body, "webhook_endpoint")
    return reply.body


def _without_secret(endpoint: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in endpoint.items() if k != "secret"}


def test_the_secret_is_shown_at_creation_only(api: Api) -> None:
    created = _create(api, description="orders", metadata={"team": "billing"}, api_version="2026-09-30.endive")
    assert created["id"].startswith("we_") and len(created["id"]) == 27
    assert created["secret"].startswith("whsec_") and len(created["secret"]) >= len("whsec_") + 32
    assert created["object"] == "webhook_endpoint" and created["status"] == "enabled"
    assert created["livemode"] is False and created["enabled_events"] == EVENTS
    assert (created["description"], created["metadata"], created["api_version"]) == (
        "orders", {"team": "billing"}, "2026-09-30.endive")
    assert list(created) == ["id", "object", "api_version", "application", "created", "description",
                             "enabled_events", "livemode", "metadata", "secret", "status", "url"]
    other = _create(api)
    assert other["secret"] != created["secret"] and other["api_version"] is None

    retrieved = api.get(f"{PATH}/{created['id']}")
    assert retrieved.status == 200 and retrieved.body == _without_secret(created)
    validate(retrieved.body, "webhook_endpoint")
    listed = api.get(PATH).body
    validate(listed, "_webhook_endpoint_list")
    assert listed["url"] == PATH and all("secret" not in e for e in listed["data"])
    assert _without_secret(created) in listed["data"]
    updated = api.post(f"{PATH}/{created['id']}", {"description": "renamed"})
    assert updated.status == 200 and "secret" not in updated.body
    validate(updated.body, "webhook_endpoint")


@pytest.mark.parametrize("url", [
    "not a url", "example.com/hooks", "/hooks", "ftp://example.com/hooks", "https://", "https:///hooks",
    "http://exa mple.com", "https://example.com:99999/", "https://example.com:x/", "http://[::1", "mailto:a@b.c",
    "https://example.com/\u00e9", "https://example.com/" + "a" * 2030, "",
])
def test_a_url_that_is_no_absolute_http_url_is_refused(api: Api, url: str) -> None:
    refused = api.post(PATH, {"url": url, "enabled_events": EVENTS})
    assert refused.status == 400, refused.body
    assert (refused.error["type"], refused.error["code"], refused.error["param"]) == (
        "invalid_request_error", "url_invalid", "url")
    assert api.get(PATH).body["data"] == []


def test_the_url_limit_is_2048_characters(api: Api) -> None:
    url = "https://example.com/"
    assert api.post(PATH, {"url": url + "a" * (2048 - len(url)), "enabled_events": EVENTS}).status == 200
    too_long = api.post(PATH, {"url": url + "a" * (2049 - len(url)), "enabled_events": EVENTS})
    assert too_long.status == 400 and "2048" in too_long.error["message"] and too_long.error["param"] == "url"


def test_live_mode_requires_https_test_mode_takes_http(api: Api) -> None:
    live = Api(LIVE_KEY)
    refused = live.post(PATH, {"url": "http://example.com/hooks", "enabled_events": EVENTS})
    assert refused.status == 400 and refused.error["code"] == "url_invalid" and refused.error["param"] == "url"
    assert "https" in refused.error["message"]
    endpoint = _create(live)
    assert endpoint["livemode"] is True
    moved = live.post(f"{PATH}/{endpoint['id']}", {"url": "http://example.com/other"})
    assert moved.status == 400 and moved.error["param"] == "url"
    assert live.get(f"{PATH}/{endpoint['id']}").body["url"] == "https://example.com/hooks"
    local = _create(api, url="http://localhost:4242/webhooks")
    assert local["url"] == "http://localhost:4242/webhooks"


def test_missing_and_invalid_parameters(api: Api) -> None:
    missing_url = api.post(PATH, {"enabled_events": EVENTS})
    assert (missing_url.status, missing_url.error["code"], missing_url.error["param"]) == (
        400, "parameter_missing", "url")
    missing_events = api.post(PATH, {"url": "https://example.com"})
    assert (missing_events.status, missing_events.error["code"], missing_events.error["param"]) == (
        400, "parameter_missing", "enabled_events")
    unknown = api.post(PATH, {"url": "https://example.com", "enabled_events": ["customer.created", "charge.failed"]})
    assert unknown.status == 400 and unknown.error["param"] == "enabled_events[1]"
    assert unknown.error["message"].startswith("Invalid enabled_events[1]: must be one of *, customer.created")
    for events in ("", "customer.created"):  # not an array
        refused = api.post(PATH, {"url": "https://example.com", "enabled_events": events})
        assert refused.status == 400 and refused.error["param"] == "enabled_events", refused.body
    bad_version = api.post(PATH, {"url": "https://example.com", "enabled_events": EVENTS, "api_version": "latest"})
    assert bad_version.status == 400 and bad_version.error["param"] == "api_version"
    unknown_param = api.post(PATH, {"url": "https://example.com", "enabled_events": EVENTS, "connect": "true"})
    assert unknown_param.status == 400 and unknown_param.error["code"] == "parameter_unknown"
    assert api.get(PATH).body["data"] == []
    endpoint = _create(api, enabled_events=["*"])
    assert endpoint["enabled_events"] == ["*"]
    twice = _create(api, enabled_events=["customer.created", "customer.created", "customer.deleted"])
    assert twice["enabled_events"] == ["customer.created", "customer.deleted"]
    for params, param in (({"disabled": "maybe"}, "disabled"), ({"enabled_events": ["nope"]}, "enabled_events[0]"),
                          ({"url": "nope"}, "url"), ({"limit": 3}, "limit")):
        refused = api.post(f"{PATH}/{endpoint['id']}", params)
        assert refused.status == 400 and refused.error["param"] == param, refused.body


def test_at_most_16_endpoints_per_mode_and_the_modes_are_apart(api: Api) -> None:
    live = Api(LIVE_KEY)
    made = [_create(api, url=f"https://example.com/{n}") for n in range(16)]
    full = api.post(PATH, {"url": "https://example.com/17", "enabled_events": EVENTS})
    assert full.status == 400 and "16" in full.error["message"] and full.error["type"] == "invalid_request_error"
    assert len(api.get(PATH, {"limit": 100}).body["data"]) == 16
    live_endpoint = _create(live)  # the other mode has its own 16
    assert [e["id"] for e in live.get(PATH).body["data"]] == [live_endpoint["id"]]
    for other, endpoint in ((live, made[0]), (api, live_endpoint)):  # neither mode sees the other's
        assert other.get(f"{PATH}/{endpoint['id']}").status == 404
        assert other.post(f"{PATH}/{endpoint['id']}", {"description": "x"}).status == 404
        assert other.delete(f"{PATH}/{endpoint['id']}").status == 404
    assert api.delete(f"{PATH}/{made[0]['id']}").status == 200
    _create(api, url="https://example.com/17")  # room again


def test_an_update_merges_metadata_and_disables(api: Api) -> None:
    endpoint = _create(api, description="orders", metadata={"a": "1", "b": "2"})
    path = f"{PATH}/{endpoint['id']}"
    merged = api.post(path, {"metadata": {"b": "", "c": "3"}}).body
    assert merged["metadata"] == {"a": "1", "c": "3"} and merged["description"] == "orders"
    disabled = api.post(path, {"disabled": "true"}).body
    assert disabled["status"] == "disabled" and api.get(path).body["status"] == "disabled"
    validate(disabled, "webhook_endpoint")
    enabled = api.post(path, {"disabled": "false", "description": "", "url": "https://example.org/new",
                              "enabled_events": ["*"]}).body
    assert (enabled["status"], enabled["description"], enabled["url"], enabled["enabled_events"]) == (
        "enabled", None, "https://example.org/new", ["*"])
    cleared = api.post(path, {"metadata": ""}).body
    assert cleared["metadata"] == {}
    json_body = api.post(path, raw_body='{"disabled": true}', content_type="application/json").body
    assert json_body["status"] == "disabled"
    unchanged = api.post(path, {}).body
    assert unchanged == json_body
    assert {k: v for k, v in api.get(path).body.items()} == unchanged
    assert unchanged["created"] == endpoint["created"] and unchanged["id"] == endpoint["id"]


def test_an_update_that_loses_a_race_is_retried_from_the_winner(api: Api, monkeypatch) -> None:
    from ledger.dal import webhook_endpoints as stored

    endpoint = _create(api, metadata={"mine": "0"})
    real, calls = stored.put_endpoint, []

    def rival_first(edited, expected_version, claim=None):
        calls.append(expected_version)
        if len(calls) == 1:  # another writer commits between this request's read and its write
            current = stored.get_endpoint("test", edited.id)
            real(current.model_copy(update={"metadata": {**current.metadata, "rival": "1"},
                                            "version": current.version + 1}), current.version)
        return real(edited, expected_version, claim)

    monkeypatch.setattr(stored, "put_endpoint", rival_first)
    reply = api.post(f"{PATH}/{endpoint['id']}", {"metadata": {"mine": "1"}})
    assert reply.status == 200, reply.body
    assert calls == [1, 2]  # lost at version 1, committed on the winner's version 2
    assert reply.body["metadata"] == {"mine": "1", "rival": "1"}
    assert stored.get_endpoint("test", endpoint["id"]).version == 3


def test_a_deleted_endpoint_is_gone(api: Api) -> None:
    endpoint = _create(api)
    path = f"{PATH}/{endpoint['id']}"
    deleted = api.delete(path)
    assert deleted.status == 200 and deleted.body == {"id": endpoint["id"], "object": "webhook_endpoint",
                                                      "deleted": True}
    validate(deleted.body, "deleted_webhook_endpoint")
    for reply in (api.get(path), api.post(path, {"description": "x"}), api.delete(path)):
        assert reply.status == 404, reply.body
        assert reply.error == {"type": "invalid_request_error", "code": "resource_missing", "param": "id",
                               "message": f"No such webhook endpoint: '{endpoint['id']}'",
                               "doc_url": "https://stripe.com/docs/error-codes/resource-missing"}
    assert api.get(PATH).body["data"] == []
    for unknown in ("we_nope", "we_" + "A" * 2100, "cus_NffrFeUfNV2Hib", "we_%ED%A0%80"):
        reply = api.get(f"{PATH}/{unknown}")
        assert reply.status == 404 and reply.error["code"] == "resource_missing", reply.body


def test_list_pages_newest_first_with_cursors(api: Api) -> None:
    for n in range(5):
        _create(api, url=f"https://example.com/{n}")
    everything = api.get(PATH, {"limit": 100}).body["data"]
    ids = [e["id"] for e in everything]
    assert len(ids) == 5 and [e["created"] for e in everything] == sorted((e["created"] for e in everything),
                                                                         reverse=True)
    first = api.get(PATH, {"limit": 2}).body
    assert [e["id"] for e in first["data"]] == ids[:2] and first["has_more"] is True
    second = api.get(PATH, {"limit": 2, "starting_after": ids[1]}).body
    assert [e["id"] for e in second["data"]] == ids[2:4] and second["has_more"] is True
    last = api.get(PATH, {"limit": 2, "starting_after": ids[3]}).body
    assert [e["id"] for e in last["data"]] == ids[4:] and last["has_more"] is False
    back = api.get(PATH, {"limit": 2, "ending_before": ids[4]}).body  # the two nearest, newest first
    assert [e["id"] for e in back["data"]] == ids[2:4] and back["has_more"] is True
    front = api.get(PATH, {"limit": 2, "ending_before": ids[2]}).body
    assert [e["id"] for e in front["data"]] == ids[:2] and front["has_more"] is False
    assert api.get(PATH, {"ending_before": ids[0]}).body["data"] == []
    for page in (first, second, last, back, front):
        validate(page, "_webhook_endpoint_list")
    for cursor in ("starting_after", "ending_before"):
        unknown = api.get(PATH, {cursor: "we_000000000000000000000000"})
        assert unknown.status == 400 and unknown.error["param"] == cursor
        assert unknown.error["message"] == "No such webhook endpoint: 'we_000000000000000000000000'"
    both = api.get(PATH, {"starting_after": ids[0], "ending_before": ids[1]})
    assert both.status == 400
    assert api.get(PATH, {"limit": 0}).error["code"] == "parameter_invalid_integer"
    assert api.get(PATH, {"created": {"gte": 1}}).error["code"] == "parameter_unknown"
    assert Api(LIVE_KEY).get(PATH).body["data"] == []


def test_an_idempotent_create_replays_the_same_endpoint_and_secret(api: Api) -> None:
    key = {"Idempotency-Key": "create-endpoint-1"}
    params = {"url": "https://example.com/hooks", "enabled_events": EVENTS}
    first = api.post(PATH, params, headers=key)
    again = api.post(PATH, params, headers=key)
    assert first.status == again.status == 200
    assert again.body == first.body and again.body["secret"].startswith("whsec_")
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert [e["id"] for e in api.get(PATH).body["data"]] == [first.body["id"]]
    other = api.post(PATH, {**params, "description": "other"}, headers=key)
    assert other.status == 400 and other.error["type"] == "idempotency_error"
    live = Api(LIVE_KEY).post(PATH, params, headers=key)  # keys are scoped to the mode
    assert live.status == 200 and live.body["id"] != first.body["id"] and live.body["livemode"] is True
    for n in range(15):
        _create(api, url=f"https://example.com/{n}")
    assert api.post(PATH, params, headers=key).body == first.body  # a replay, though the mode is full now


def test_idempotent_updates_and_deletes_replay(api: Api) -> None:
    endpoint = _create(api)
    path = f"{PATH}/{endpoint['id']}"
    key = {"Idempotency-Key": "disable-1"}
    first = api.post(path, {"disabled": "true"}, headers=key)
    api.post(path, {"disabled": "false"})
    again = api.post(path, {"disabled": "true"}, headers=key)
    assert again.body == first.body and again.headers.get("Idempotent-Replayed") == "true"
    assert api.get(path).body["status"] == "enabled"  # the replay changed nothing
    unchanged = api.post(path, {"disabled": "false"}, headers={"Idempotency-Key": "unchanged-1"})
    assert api.post(path, {"disabled": "true"}, headers={"Idempotency-Key": "unchanged-1"}).error["type"] == (
        "idempotency_error")
    assert unchanged.status == 200
    key = {"Idempotency-Key": "delete-1"}
    deleted = api.delete(path, headers=key)
    replayed = api.delete(path, headers=key)
    assert deleted.status == replayed.status == 200 and replayed.body == deleted.body
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert api.delete(path).status == 404
