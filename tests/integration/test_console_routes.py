"""The console's two routes through the local run's gateway: its page is the one route API Gateway serves
without the authorizer (and it reads no data), while the chain check it shows is an ordinary operation
behind the key, scoped by mode, doing `make verify`'s checks on one customer."""

import pytest

from ledger import audit, dal
from ledger.dal import keys
from tests.support.api import LIVE_KEY, Api
from tools import lambda_local, template

pytestmark = pytest.mark.dynamodb_local


def test_only_the_console_page_is_public_and_it_declares_so():
    public = [(r.method, r.path) for r in template.routes() if not r.authorized]
    assert public == [("GET", "/console")]
    for route in template.routes():
        assert lambda_local.operation_of(route.function).public is (not route.authorized), route.function
        assert route.api_key_required is route.authorized, route.function  # no usage plan key without a key


@pytest.mark.parametrize("authorization", [None, "Bearer sk_test_nonsense", "Basic !!!", "garbage"])
def test_the_page_is_served_whatever_the_authorization_header(ledger_table, authorization):
    """As on API Gateway: a method without authorization never runs the authorizer or its header check."""
    client = Api(key=None).client
    headers = {"Authorization": authorization} if authorization else {}
    for query, media_type in (("", "text/html"), ("asset=console.js", "text/javascript"),
                              ("asset=console.css", "text/css")):
        answer = client.get("/console", query_string=query, headers=headers)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == media_type
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
        assert answer.headers["X-Content-Type-Options"] == "nosniff" and answer.get_data()


def test_the_page_refuses_other_files_and_methods(ledger_table):
    client = Api(key=None).client
    answer = client.get("/console", query_string="asset=../app.py")
    assert answer.status_code == 400 and answer.json["error"]["param"] == "asset"
    assert client.get("/console", query_string="key=x").json["error"]["code"] == "parameter_unknown"
    assert client.post("/console").status_code == 404  # no such route
    assert client.get("/console/console.js").status_code == 404


def _corrupt(customer_id, position, **values):
    dal.client().update_item(
        TableName=dal.table(), Key={"pk": {"S": keys.partition("test", customer_id)},
                                    "sk": {"S": keys.transaction_sk(*position)}},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
        ExpressionAttributeNames={f"#{k}": k for k in values},
        ExpressionAttributeValues={f":{k}": {"N": str(v)} for k, v in values.items()})


def test_the_chain_check_reports_intact_then_the_first_break(api, ledger_table):
    customer = api.customer(balance=100)["id"]
    second = api.transaction(customer, 50)["id"]
    api.transaction(customer, 25, "eur")
    check = api.get(f"/v1/customers/{customer}/chain_check")
    assert check.status == 200 and check.body == {
        "object": "chain_check", "customer": customer, "livemode": False, "intact": True, "transactions": 3,
        "first_break": None, "problem_count": 0, "problems": []}
    chain = dal.whole_chain("test", customer)
    _corrupt(customer, (chain[1].created, chain[1].sequence), ending_balance=999)
    broken = api.get(f"/v1/customers/{customer}/chain_check").body
    assert not broken["intact"] and broken["problem_count"] == 1
    assert broken["first_break"] == f"test/{customer}: {second} ends at 999 but 100 + 50 = 150 (usd)"
    assert broken["problems"] == [broken["first_break"]]
    _, _, problems = audit.audit_table()  # what `make verify` says of the same table
    assert problems == broken["problems"]


def test_the_chain_check_needs_a_key_and_sees_its_mode_only(api, ledger_table):
    customer = api.customer(balance=100)["id"]
    assert Api(key=None).get(f"/v1/customers/{customer}/chain_check").status == 401
    live = Api(LIVE_KEY).get(f"/v1/customers/{customer}/chain_check")
    assert live.status == 404 and live.error["param"] == "customer"
    assert api.get("/v1/customers/cus_nobody/chain_check").status == 404
    assert api.get(f"/v1/customers/{customer}/chain_check", {"limit": 3}).error["code"] == "parameter_unknown"
    api.delete(f"/v1/customers/{customer}")
    assert api.get(f"/v1/customers/{customer}/chain_check").body["intact"]  # a deleted ledger is kept: checkable


def test_a_chain_too_long_to_check_in_one_request_is_refused(api, ledger_table, monkeypatch):
    customer = api.customer(balance=100)["id"]
    api.transaction(customer, 1)
    monkeypatch.setattr(audit, "CHECKED_TRANSACTIONS_MAX", 1)
    refused = api.get(f"/v1/customers/{customer}/chain_check")
    assert refused.status == 400 and "make verify" in refused.error["message"]


def test_a_commit_racing_the_reading_is_no_break(api, ledger_table, monkeypatch):
    """The first reading shows the customer item one commit ahead of the transactions read before it (a
    commit landing just as the read reached it): read again, it is intact, and so is the answer."""
    customer = api.customer(balance=100)["id"]
    api.transaction(customer, 5)
    real, readings = dal.chain_as_committed, []

    def racing(mode, customer_id, transactions_max):
        found, chain = real(mode, customer_id, transactions_max)
        readings.append(len(chain))
        return (found, chain[:-1]) if len(readings) == 1 else (found, chain)

    monkeypatch.setattr(dal, "chain_as_committed", racing)
    check = api.get(f"/v1/customers/{customer}/chain_check").body
    assert check["intact"] and check["transactions"] == 2 and readings == [2, 2]
