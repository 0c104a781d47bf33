"""Customer items: reads, the versioned commit that every change of a customer goes through (with the
transaction it records and the idempotency record guarding it), and the customer indexes."""

from collections.abc import Iterable
from typing import Any

from ledger import ids
from ledger.dal import keys
from ledger.dal.client import batch_get, client, table
from ledger.dal.conflicts import ClaimTaken, StaleCustomer
from ledger.dal.idempotency import claim_put
from ledger.models import BalanceTransactionRecord, CustomerRecord, IdempotencyRecord, Mode


def get_customer(mode: Mode, customer_id: str) -> CustomerRecord | None:
    if not ids.is_customer_id(customer_id):
        return None
    stored = client().get_item(TableName=table(), Key=keys.customer_key(mode, customer_id), ConsistentRead=True)
    return keys.customer(stored.get("Item"))


def get_customers(mode: Mode, customer_ids: Iterable[str]) -> dict[str, CustomerRecord]:
    asked = [keys.customer_key(mode, cid) for cid in customer_ids]
    records = [keys.customer(stored) for stored in batch_get(asked)] if asked else []
    return {r.id: r for r in records if r}


def customer_ids(mode: Mode, *, email: str | None, lowest: int | None, highest: int | None,
              cursor: CustomerRecord | None, newest_first: bool, limit: int) -> list[str]:
    """Customer ids from an index (eventually consistent by nature): all of the mode's customers, or
    those with `email`, created in [lowest, highest], beyond `cursor` in the direction of travel (the
    cursor itself may come back), at most `limit`."""
    index, key, partition = keys.CUSTOMERS_BY_CREATED, "gsi1", keys.all_customers_partition(mode)
    if email is not None:
        index, key, partition = keys.CUSTOMERS_BY_EMAIL, "gsi2", keys.email_partition(mode, email)
    low = keys.customer_index_floor(lowest) if lowest is not None else keys.CUSTOMER_INDEX_LOW
    high = keys.customer_index_ceiling(highest) if highest is not None else keys.CUSTOMER_INDEX_HIGH
    if cursor is not None and newest_first:
        high = min(high, keys.customer_index_key(cursor))
    elif cursor is not None:
        low = max(low, keys.customer_index_key(cursor))
    if low > high:
        return []
    response = client().query(
        TableName=table(), IndexName=index,
        KeyConditionExpression=f"{key}pk = :pk AND {key}sk BETWEEN :low AND :high",
        ExpressionAttributeValues={":pk": {"S": partition}, ":low": {"S": low}, ":high": {"S": high}},
        ScanIndexForward=not newest_first, Limit=limit)
    return [item["pk"]["S"].split("#", 1)[1] for item in response["Items"]]


def _version_condition(expected_version: int | None) -> dict[str, Any]:
    if expected_version is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {"ConditionExpression": "version = :expected",
            "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}}}


def commit_customer(
    customer: CustomerRecord,
    expected_version: int | None,
    transaction: BalanceTransactionRecord | None = None,
    claim: IdempotencyRecord | None = None,
) -> None:
    """Write the customer's new state, conditioned on the version it was derived from (None: new
    customer), together with the balance transaction it records and the idempotency record that
    guards the request, atomically.

    Raises ClaimTaken when the idempotency key was committed by another request first, StaleCustomer
    when another write to the customer got there first.
    """
    from botocore.exceptions import ClientError

    put = {"TableName": table(), "Item": keys.customer_item(customer), **_version_condition(expected_version)}
    try:
        if transaction is None and claim is None:
            client().put_item(**put, ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return
        items: list[dict[str, Any]] = [{"Put": {**put, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}]
        if transaction is not None:
            items.append({"Put": {"TableName": table(), "Item": keys.transaction_item(transaction),
                                  "ConditionExpression": "attribute_not_exists(pk)"}})
        if claim is not None:
            items.append({"Put": claim_put(claim)})
        client().transact_write_items(TransactItems=items)
    except ClientError as error:
        raise _stale_or_raise(error, claim_index=2 if transaction is not None else 1) from error


def _stale_or_raise(error: Any, claim_index: int) -> Exception:
    code = error.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return StaleCustomer(keys.customer(error.response.get("Item")))
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons", [])
        if len(reasons) > claim_index and reasons[claim_index].get("Code") == "ConditionalCheckFailed":
            return ClaimTaken()
        first = reasons[0] if reasons else {}
        if first.get("Code") == "ConditionalCheckFailed":
            return StaleCustomer(keys.customer(first.get("Item")))
        if any(r.get("Code") in ("TransactionConflict", "ConditionalCheckFailed") for r in reasons):
            return StaleCustomer(None)  # a conflict returns no item: re-read
    if code == "TransactionConflictException":
        return StaleCustomer(None)
    unexplained: Exception = error
    return unexplained
