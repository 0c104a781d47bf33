"""Single-threaded flows through the real handlers on moto: the seed example, Stripe's field sets,
updates, customers, deletion, and every kind of bad input (which must change nothing)."""

import pytest

from tests.support.schemas import validate
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("moto_table")


def test_seed_example_create_update_retrieve(api_on_moto):
    api = api_on_moto
    customer = api.customer(name="Jenny Rosen")
    created = api.post(f"/v1/customers/{customer['id']}/balance_transactions", {"amount": -500, "currency": "usd"})
    assert created.status == 200
    txn = created.body
    validate(txn, "customer_balance_transaction")
    assert txn["id"].startswith("cbtxn_") and txn["object"] == "customer_balance_transaction"
    assert (txn["amount"], txn["currency"], txn["ending_balance"], txn["type"]) == (-500, "usd", -500, "adjustment")
    assert txn["customer"] == customer["id"] and txn["livemode"] is False and txn["metadata"] == {}
    assert created.headers["Request-Id"].startswith("req_")

    updated = api.post(f"/v1/customers/{customer['id']}/balance_transactions/{txn['id']}",
                       {"metadata": {"order_id": "6735"}})
    assert updated.status == 200 and updated.body["metadata"] == {"order_id": "6735"}

    fetched = api.get(f"/v1/customers/{customer['id']}/balance_transactions/{txn['id']}")
    assert fetched.body == {**txn, "metadata": {"order_id": "6735"}}
    assert api.get(f"/v1/customers/{customer['id']}").body["balance"] == -500


def test_customer_object_has_stripe_field_set(api_on_moto):
    customer = api_on_moto.customer(email="jenny@example.com", phone="+15555550100", metadata={"tier": "gold"})
    validate(customer, "customer")
    assert customer["id"].startswith("cus_")
    assert (customer["address"], customer["default_source"], customer["discount"], customer["shipping"]) == (
        None, None, None, None)
    assert customer["invoice_settings"] == {"custom_fields": None, "default_payment_method": None,
                                            "footer": None, "rendering_options": None}
    assert (customer["balance"], customer["currency"], customer["delinquent"], customer["tax_exempt"]) == (
        0, None, False, "none")
    assert customer["preferred_locales"] == [] and customer["test_clock"] is None
    assert customer["next_invoice_sequence"] == 1 and len(customer["invoice_prefix"]) == 8


def test_initial_balance_records_initial_transaction_in_default_currency(api_on_moto):
    api = api_on_moto
    customer = api.customer(balance=-1200)
    assert (customer["balance"], customer["currency"]) == (-1200, "usd")
    listed = api.get(f"/v1/customers/{customer['id']}/balance_transactions").body["data"]
    assert [(t["type"], t["amount"], t["ending_balance"]) for t in listed] == [("initial", -1200, -1200)]


def test_balance_update_records_adjustment_for_difference_only(api_on_moto):
    api = api_on_moto
    customer = api.customer()
    path = f"/v1/customers/{customer['id']}"
    assert api.post(path, {"balance": 300}).body["balance"] == 300
    assert api.post(path, {"balance": 300, "name": "same balance"}).body["name"] == "same balance"
    assert api.post(path, {"balance": -200}).body["balance"] == -200
    data = api.get(f"{path}/balance_transactions").body["data"]
    assert [(t["type"], t["amount"], t["ending_balance"]) for t in data] == [
        ("adjustment", -500, -200), ("adjustment", 300, 300)]


def test_other_currency_moves_only_its_balance_and_credit_map_has_opposite_sign(api_on_moto):
    api = api_on_moto
    customer = api.customer()
    api.transaction(customer["id"], 1000, "USD")
    eur = api.transaction(customer["id"], -250, "eur")
    assert (eur["currency"], eur["ending_balance"]) == ("eur", -250)
    fetched = api.get(f"/v1/customers/{customer['id']}", {"expand": ["invoice_credit_balance"]}).body
    assert (fetched["currency"], fetched["balance"]) == ("usd", 1000)
    assert fetched["invoice_credit_balance"] == {"eur": 250, "usd": -1000}
    assert "invoice_credit_balance" not in api.get(f"/v1/customers/{customer['id']}").body


def test_expand_customer_on_transaction_and_list(api_on_moto):
    api = api_on_moto
    customer = api.customer(name="x")
    txn = api.transaction(customer["id"], 5, expand=["customer"])
    assert txn["customer"]["id"] == customer["id"] and txn["customer"]["balance"] == 5
    indexed = api.get(f"/v1/customers/{customer['id']}/balance_transactions/{txn['id']}",
                      [("expand[0]", "customer")]).body
    assert indexed["customer"]["object"] == "customer"
    listed = api.get(f"/v1/customers/{customer['id']}/balance_transactions", {"expand": ["data.customer"]}).body
    assert listed["data"][0]["customer"]["id"] == customer["id"]
    validate(listed, "_transaction_list")
    edited = api.post(f"/v1/customers/{customer['id']}/balance_transactions/{txn['id']}",
                      {"description": "x", "expand": ["customer"]})
    assert edited.status == 200 and edited.body["customer"]["balance"] == 5


def test_transaction_update_description_and_metadata_rules(api_on_moto):
    api = api_on_moto
    customer = api.customer()
    txn = api.transaction(customer["id"], 100, description="first", metadata={"a": "1", "b": "2"})
    path = f"/v1/customers/{customer['id']}/balance_transactions/{txn['id']}"
    merged = api.post(path, {"metadata": {"c": "3", "a": ""}}).body
    assert merged["metadata"] == {"b": "2", "c": "3"} and merged["description"] == "first"
    cleared = api.post(path, [("metadata", ""), ("description", "")]).body
    assert cleared["metadata"] == {} and cleared["description"] is None
    for forbidden in ("amount", "currency", "type", "ending_balance"):
        reply = api.post(path, {forbidden: "1"})
        assert (reply.status, reply.error["code"], reply.error["param"]) == (400, "parameter_unknown", forbidden)
    after = api.get(path).body
    assert (after["amount"], after["ending_balance"], after["currency"]) == (100, 100, "usd")


def test_deleted_customer(api_on_moto):
    api = api_on_moto
    customer = api.customer(email="gone@example.com")
    txn = api.transaction(customer["id"], 100)
    path = f"/v1/customers/{customer['id']}"
    deleted = api.delete(path)
    assert deleted.status == 200 and deleted.body == {"id": customer["id"], "object": "customer", "deleted": True}
    validate(deleted.body, "deleted_customer")
    assert api.get(path).body == deleted.body
    for reply in (api.post(path, {"name": "x"}), api.delete(path), api.get(f"{path}/balance_transactions"),
                  api.post(f"{path}/balance_transactions", {"amount": 1, "currency": "usd"}),
                  api.get(f"{path}/balance_transactions/{txn['id']}"),
                  api.post(f"{path}/balance_transactions/{txn['id']}", {"description": "x"})):
        assert (reply.status, reply.error["code"]) == (404, "resource_missing"), reply.body
    assert api.get("/v1/customers").body["data"] == []
    assert api.get("/v1/customers", {"email": "gone@example.com"}).body["data"] == []


def test_stripe_version_accepted_stripe_account_refused(api_on_moto):
    api = api_on_moto
    ok = api.post("/v1/customers", {}, headers={"Stripe-Version": "2026-09-30.endive"})
    assert ok.status == 200
    refused = api.post("/v1/customers", {}, headers={"Stripe-Account": "acct_123"})
    assert refused.status == 400 and refused.error["type"] == "invalid_request_error"
    listed = eventually(lambda: api.get("/v1/customers").body, lambda page: bool(page["data"]))
    assert listed["data"] == [ok.body]


def test_json_body_is_accepted(api_on_moto):
    api = api_on_moto
    customer = api.customer()
    reply = api.post(f"/v1/customers/{customer['id']}/balance_transactions",
                     raw_body='{"amount": -70, "currency": "usd", "metadata": {"k": "v"}}',
                     content_type="application/json")
    assert reply.status == 200 and reply.body["metadata"] == {"k": "v"} and reply.body["amount"] == -70
    floated = api.post(f"/v1/customers/{customer['id']}/balance_transactions",
                       raw_body='{"amount": -70.0, "currency": "usd"}', content_type="application/json")
    assert (floated.status, floated.error["code"]) == (400, "parameter_invalid_integer")
