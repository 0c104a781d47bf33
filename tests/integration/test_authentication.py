"""Authentication and test/live isolation through the local API (route, then authorizer, then
function, as API Gateway), the authorizer's policy, key management, and logs without secrets."""

import base64
import json
import subprocess
import sys

import pytest
from werkzeug.test import Client

from ledger import api_keys
from tests.support.api import LIVE_KEY, TEST_KEY, Api
from tests.support.clock import FrozenClock
from tests.support.waiting import eventually
from tools import lambda_local, template
from tools.local_api import LocalApi

pytestmark = pytest.mark.dynamodb_local


def test_missing_and_bad_keys_are_401(api, ledger_table):
    anonymous = Api(key=None)
    missing = anonymous.get("/v1/customers")
    assert missing.status == 401 and missing.error["message"].startswith("You did not provide an API key.")
    unknown = Api(key="sk_test_unknownKey000000000000abcd").get("/v1/customers")
    assert unknown.status == 401 and unknown.error["message"] == "Invalid API Key provided: sk_test_****abcd"
    assert unknown.error["type"] == "invalid_request_error"
    garbage = anonymous.get("/v1/customers", headers={"Authorization": "Token nonsense"})
    # No key's shape: API Gateway refuses it (the authorizer's ValidationExpression) as a missing key.
    assert garbage.status == 401 and garbage.error["message"].startswith("You did not provide an API key.")
    # API Gateway matches the route before authenticating: an unknown route is 404 even without a key.
    assert anonymous.get("/v1/nowhere").status == 404


def test_basic_and_bearer_both_work(api, ledger_table):
    basic = "Basic " + base64.b64encode(f"{TEST_KEY}:".encode()).decode()
    assert Api(key=None).get("/v1/customers", headers={"Authorization": basic}).status == 200
    assert api.get("/v1/customers").status == 200


def test_revoked_key_is_refused_once_its_cached_result_expires(ledger_table):
    """API Gateway caches the authorizer's result per key for the template's TTL: a revoked key keeps
    working until then (locally as on AWS), and is refused from the first request after it."""
    clock = FrozenClock()
    app = LocalApi(table_name=None, rate_limits=False, clock=clock)
    secret, record = api_keys.issue("test")
    client = Api(key=secret)
    client.client = Client(app)
    assert client.get("/v1/customers").status == 200
    assert api_keys.revoke(record.key_id)
    ttl_s = template.default_authorizer().ttl_seconds
    clock.now += ttl_s - 1
    assert client.get("/v1/customers").status == 200
    assert client.post("/v1/customers").status == 200  # the cached policy covers every route
    clock.now += 1
    refused = client.get("/v1/customers")
    assert refused.status == 401 and refused.error["message"] == f"Invalid API Key provided: {api_keys.mask(secret)}"


def test_revoked_key_is_refused_without_a_cache(api, ledger_table):
    secret, record = api_keys.issue("test")
    assert Api(key=secret).get("/v1/customers").status == 200
    assert api_keys.revoke(record.key_id)
    refused = Api(key=secret).get("/v1/customers")
    assert refused.status == 401 and refused.error["message"] == f"Invalid API Key provided: {api_keys.mask(secret)}"


def test_test_and_live_never_see_each_other(api, ledger_table):
    live = Api(key=LIVE_KEY)
    live_customer = live.customer(balance=100, email="same@example.com")
    test_customer = api.customer(balance=5, email="same@example.com")
    assert live_customer["livemode"] is True and test_customer["livemode"] is False
    live_txn = live.get(f"/v1/customers/{live_customer['id']}/balance_transactions").body["data"][0]
    assert live_txn["livemode"] is True
    live_path = f"/v1/customers/{live_customer['id']}"
    for reply in (api.get(live_path), api.post(live_path, {"name": "x"}), api.delete(live_path),
                  api.get(f"{live_path}/balance_transactions"),
                  api.post(f"{live_path}/balance_transactions", {"amount": 1, "currency": "usd"}),
                  api.get(f"{live_path}/balance_transactions/{live_txn['id']}"),
                  live.get(f"/v1/customers/{test_customer['id']}")):
        assert (reply.status, reply.error["code"]) == (404, "resource_missing")
    listed = eventually(lambda: api.get("/v1/customers").body, lambda page: bool(page["data"]))
    assert [c["id"] for c in listed["data"]] == [test_customer["id"]]
    assert [c["id"] for c in live.get("/v1/customers", {"email": "same@example.com"}).body["data"]] == [
        live_customer["id"]]
    assert live.get(f"/v1/customers/{live_customer['id']}").body["balance"] == 100


def test_authorizer_policy_covers_the_stage_and_carries_mode(ledger_table):
    authorizer = lambda_local.load_handler("AuthorizerFunction")
    arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/stripe/GET/v1/customers"
    allowed = authorizer({"type": "TOKEN", "authorizationToken": f"Bearer {LIVE_KEY}", "methodArn": arn},
                         lambda_local.LambdaContext("AuthorizerFunction"))
    statement = allowed["policyDocument"]["Statement"][0]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow",
                         "Resource": "arn:aws:execute-api:eu-west-1:123456789012:abc123/stripe/*/*"}
    assert allowed["context"]["mode"] == "live" and allowed["context"]["key_id"].startswith("key_")
    denied = authorizer({"type": "TOKEN", "authorizationToken": "Bearer sk_live_nope1234", "methodArn": arn},
                        lambda_local.LambdaContext("AuthorizerFunction"))
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied["context"] == {"message": "Invalid API Key provided: sk_live_****1234"}


def test_function_without_authorizer_context_refuses(ledger_table):
    event = json.loads((lambda_local.template.ROOT / "events" / "list_customers.json").read_text())
    event["requestContext"]["authorizer"] = None
    handler = lambda_local.load_handler("ListCustomersFunction")
    result = handler(event, lambda_local.LambdaContext("ListCustomersFunction"))
    assert result["statusCode"] == 401


def test_keys_are_stored_as_digests_only(ledger_table):
    from ledger import dal
    from ledger.dal import keys

    secret, record = api_keys.issue("live")
    item = dal.client().get_item(TableName=ledger_table, Key={"pk": {"S": keys.API_KEYS_PK},
                                                              "sk": {"S": api_keys.digest(secret)}})["Item"]
    assert secret not in json.dumps(item) and item["mode"]["S"] == "live"
    assert record.last4 == secret[-4:]


@pytest.fixture
def json_logs():
    """Every line the Powertools logger writes, formatted by its own JSON formatter."""
    import io
    import logging

    from ledger.observability import logger

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_handler.formatter)
    level = logger.log_level
    logger.setLevel("INFO")  # whatever an earlier test (the bank workload quiets it) left
    logger._logger.addHandler(handler)
    yield buffer
    logger._logger.removeHandler(handler)
    logger.setLevel(level)


def test_logs_never_contain_keys_or_the_authorization_header(api, ledger_table, json_logs, capsys):
    basic = "Basic " + base64.b64encode(f"{LIVE_KEY}:".encode()).decode()
    customer = api.customer()
    api.post(f"/v1/customers/{customer['id']}/balance_transactions", {"amount": "bad", "currency": "usd"})
    Api(key=None).get("/v1/customers", headers={"Authorization": basic})
    Api(key="sk_test_wrongwrongwrong9999").get("/v1/customers")
    out, err = capsys.readouterr()
    logs = json_logs.getvalue() + out + err
    assert '"message":"allowed"' in logs  # the logs were captured
    for secret in (TEST_KEY, LIVE_KEY, basic.split()[1], "sk_test_wrongwrongwrong9999"):
        assert secret not in logs


def test_key_management_command(ledger_table, dynamodb_endpoint):
    env = {"AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint, "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "tools.keys", "--table", ledger_table]

    def keys(*args):
        import os

        result = subprocess.run([*run, *args], capture_output=True, text=True, cwd=lambda_local.template.ROOT,
                                env={**os.environ, **env}, check=True)
        return result.stdout

    key_id, mode, secret = keys("create", "--mode", "live").split()
    assert mode == "live" and secret.startswith("sk_live_")
    listed = keys("list")
    assert f"{key_id} live sk_live_****{secret[-4:]} active" in listed and secret not in listed
    assert Api(key=secret).get("/v1/customers").status == 200
    keys("revoke", key_id)
    assert f"{key_id} live sk_live_****{secret[-4:]} revoked" in keys("list")
    assert Api(key=secret).get("/v1/customers").status == 401
