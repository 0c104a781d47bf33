"""DynamoDB's limits (keys of 2,048/1,024 bytes, items of 400 KB) hold for every input a client may
send: the code validates or shapes keys before it calls, so an oversized input is never a 5xx, and the
largest legitimate input still fits. The local engine enforces the limits (tools.local_aws)."""

import pytest
from botocore.exceptions import ClientError

from tests.support.waiting import eventually
from tools.local_aws import dynamodb_limits

pytestmark = pytest.mark.dynamodb_local
FOUR_BYTES = "\U0001f600"  # one character, four bytes of UTF-8


def test_the_local_engine_refuses_what_dynamodb_refuses(ledger_table):
    from ledger import dal

    with pytest.raises(ClientError) as refused:  # DynamoDB Local alone would run this Query
        dal.client().query(TableName=ledger_table, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": "x" * 2049}})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Size of hashkey has exceeded" in refused.value.response["Error"]["Message"]


@pytest.mark.parametrize("path", [
    "/v1/customers/cus_{long}", "/v1/customers/cus_{long}/balance_transactions",
    "/v1/customers/cus_{long}/balance_transactions/cbtxn_{long}"])
def test_ids_too_long_for_a_key_are_not_found(api, path):
    reply = api.get(path.format(long="A" * 2100))
    assert reply.status == 404, reply.body
    assert reply.error["code"] == "resource_missing"


def test_an_email_of_512_four_byte_characters_is_stored_and_found(api):
    email = FOUR_BYTES * 512
    created = api.customer(email=email)
    assert created["email"] == email
    found = eventually(lambda: api.get("/v1/customers", {"email": email}), lambda reply: bool(reply.body["data"]))
    assert found.status == 200
    assert [c["id"] for c in found.body["data"]] == [created["id"]]
    other = api.customer(email="someone@example.com")
    updated = api.post(f"/v1/customers/{other['id']}", {"email": FOUR_BYTES * 510})
    assert updated.status == 200, updated.body


def _largest_customer() -> dict:
    """Every field at its limit, in four-byte characters."""
    metadata = {f"{i:02d}" + FOUR_BYTES * 38: FOUR_BYTES * 500 for i in range(50)}
    return {"name": FOUR_BYTES * 256, "email": FOUR_BYTES * 512, "description": FOUR_BYTES * 5000,
            "phone": FOUR_BYTES * 20, "metadata": metadata, "balance": 1}


def test_the_largest_idempotent_response_fits_in_one_item(api):
    """A transaction with every field at its limit, its customer expanded (also at every limit, with a
    balance in every currency): the response saved with its Idempotency-Key stays under 400 KB."""
    from ledger import currencies, dal
    from ledger.dal import keys

    customer = api.customer(**_largest_customer())
    for currency in sorted(currencies.SUPPORTED):
        api.transaction(customer["id"], -1, currency)
    params = {"amount": -100, "currency": "usd", "description": FOUR_BYTES * 350,
              "metadata": _largest_customer()["metadata"],
              "expand": ["customer", "customer.invoice_credit_balance"]}
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    first = api.post(path, params, headers={"Idempotency-Key": "largest"})
    assert first.status == 200, first.body
    replay = api.post(path, params, headers={"Idempotency-Key": "largest"})
    assert replay.status == 200 and replay.body == first.body
    assert replay.headers.get("Idempotent-Replayed") == "true"

    item = dal.client().get_item(TableName=dal.table(), Key=keys.claim_key("test", "client", "largest"))["Item"]
    size = dynamodb_limits.item_size(item)
    print(f"largest idempotency record: {size} bytes of {dynamodb_limits.ITEM_MAX_BYTES}")
    assert size < 0.75 * dynamodb_limits.ITEM_MAX_BYTES
