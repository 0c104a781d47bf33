"""Customer updates and lists, rule by rule on moto: what an update keeps and records, its balance bound,
the cursor errors, and a list that stays right while the index is behind the table (as on AWS). The
concurrent and conditional-write guarantees are tested on DynamoDB Local (tests/integration)."""

from typing import Any

import pytest

from ledger import api_keys, dal
from ledger.config import MAX_AMOUNT
from ledger.models import Source
from tests.support.api import TEST_KEY, Api
from tests.support.chains import read_chain

pytestmark = pytest.mark.usefixtures("moto_table")


def test_metadata_updates_merge_and_an_empty_value_removes_its_key(api_on_moto: Api) -> None:
    customer = api_on_moto.customer(metadata={"tier": "gold", "region": "eu"})["id"]
    updated = api_on_moto.post(f"/v1/customers/{customer}", {"metadata": {"tier": "", "seats": "4"}})
    assert updated.status == 200 and updated.body["metadata"] == {"region": "eu", "seats": "4"}
    assert api_on_moto.get(f"/v1/customers/{customer}").body["metadata"] == {"region": "eu", "seats": "4"}


def test_an_update_that_changes_nothing_answers_the_customer_and_writes_nothing(api_on_moto: Api) -> None:
    created = api_on_moto.customer(name="Ada", balance=5)
    before = read_chain(created["id"])
    unchanged = api_on_moto.post(f"/v1/customers/{created['id']}", {"name": "Ada", "balance": 5})
    assert (unchanged.status, unchanged.body) == (200, created)
    assert read_chain(created["id"]) == before  # same version, no transaction


def test_a_balance_update_is_an_adjustment_recording_who_asked(api_on_moto: Api) -> None:
    customer = api_on_moto.customer()["id"]
    reply = api_on_moto.post(f"/v1/customers/{customer}", {"balance": MAX_AMOUNT})  # the largest change
    assert reply.status == 200 and reply.body["balance"] == MAX_AMOUNT
    (adjustment,) = read_chain(customer)[1]
    key = api_keys.authenticate(TEST_KEY)
    assert key is not None
    assert (adjustment.type, adjustment.amount) == ("adjustment", MAX_AMOUNT)
    assert adjustment.source == Source(origin="customer_update", request_id=reply.headers["Request-Id"],
                                       key_id=key.key_id)


def test_a_balance_change_beyond_the_limit_is_refused(api_on_moto: Api) -> None:
    customer = api_on_moto.customer(balance=-MAX_AMOUNT)["id"]
    refused = api_on_moto.post(f"/v1/customers/{customer}", {"balance": 1})
    assert (refused.status, refused.error) == (400, {
        "type": "invalid_request_error", "code": "parameter_invalid_integer", "param": "balance",
        "doc_url": "https://stripe.com/docs/error-codes/parameter-invalid-integer",
        "message": f"The balance would change by {MAX_AMOUNT + 1}; a change is limited to {MAX_AMOUNT} in "
                   "absolute value."})
    assert api_on_moto.get(f"/v1/customers/{customer}").body["balance"] == -MAX_AMOUNT


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_an_unknown_cursor_is_a_400_naming_it(api_on_moto: Api, cursor: str) -> None:
    reply = api_on_moto.get("/v1/customers", {cursor: "cus_unknown"})
    assert (reply.status, reply.error) == (400, {
        "type": "invalid_request_error", "code": "resource_missing", "param": cursor,
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "message": "No such customer: 'cus_unknown'"})


def test_a_list_ignores_index_entries_the_table_has_moved_past(api_on_moto: Api,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """On AWS the index lags the table: it may still hold a deleted customer, or an old email."""
    kept = api_on_moto.customer(email="a@example.com")["id"]
    deleted = api_on_moto.customer(email="a@example.com")["id"]
    moved = api_on_moto.customer(email="a@example.com")["id"]
    assert api_on_moto.delete(f"/v1/customers/{deleted}").status == 200
    assert api_on_moto.post(f"/v1/customers/{moved}", {"email": "b@example.com"}).status == 200

    def stale_index(*_: Any, **__: Any) -> list[str]:
        return [moved, deleted, kept, "cus_notInTheTable"]

    monkeypatch.setattr(dal, "customer_ids", stale_index)
    by_email = api_on_moto.get("/v1/customers", {"email": "a@example.com"}).body
    everyone = api_on_moto.get("/v1/customers").body
    assert [c["id"] for c in by_email["data"]] == [kept]
    assert [c["id"] for c in everyone["data"]] == [moved, kept]


def test_unsetting_a_key_that_is_not_there_changes_nothing(api_on_moto: Api) -> None:
    customer = api_on_moto.customer(metadata={"kept": "1"})["id"]
    reply = api_on_moto.post(f"/v1/customers/{customer}", {"metadata": {"never_set": ""}})
    assert (reply.status, reply.body["metadata"]) == (200, {"kept": "1"})


def test_an_update_may_not_take_metadata_past_fifty_keys(api_on_moto: Api) -> None:
    full = {f"k{i}": "v" for i in range(50)}
    customer = api_on_moto.customer(metadata=full)["id"]
    refused = api_on_moto.post(f"/v1/customers/{customer}", {"metadata": {"one_more": "v"}})
    assert (refused.status, refused.error) == (400, {
        "type": "invalid_request_error", "param": "metadata", "message": "You can have at most 50 keys in metadata."})
    replaced = api_on_moto.post(f"/v1/customers/{customer}", {"metadata": {"k0": "", "one_more": "v"}})
    assert replaced.status == 200 and len(replaced.body["metadata"]) == 50


def test_an_initial_balance_is_a_transaction_recording_who_asked(api_on_moto: Api) -> None:
    reply = api_on_moto.post("/v1/customers", {"balance": 250})
    (initial,) = read_chain(reply.body["id"])[1]
    key = api_keys.authenticate(TEST_KEY)
    assert key is not None and initial.amount == 250
    assert initial.source == Source(origin="customer_create", request_id=reply.headers["Request-Id"],
                                    key_id=key.key_id)
