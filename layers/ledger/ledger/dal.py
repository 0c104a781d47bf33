"""The only module that talks to DynamoDB.

One table holds everything, every key scoped by mode (test/live):

- customer:            pk ``{mode}#{cus_id}``  sk ``~customer``
- balance transaction: pk ``{mode}#{cus_id}``  sk ``txn#{created:010d}#{sequence:012d}``

A customer's transactions sort by (created, sequence), which is chain order because `created` never
goes backwards along a chain, and the customer item sorts just after its newest transaction: one
descending Query returns the customer and its newest transactions, and `created` ranges and cursors
are key conditions. Customers are listed through two KEYS_ONLY indexes (all of a mode's customers
by creation, and by email); KEYS_ONLY so that the customer writes every transaction makes never write
to those index partitions. Deleted customers leave the indexes.
"""

import random
import time
from collections.abc import Iterable
from functools import cache
from typing import Any

from ledger.config import settings
from ledger.models import BalanceTransactionRecord, CustomerRecord, Mode

CUSTOMER_SK = "~customer"
TXN_PREFIX = "txn#"
TXN_TOP = "txn#~"  # above every transaction key, below the customer's
CUSTOMERS_BY_CREATED = "customers_by_created"
CUSTOMERS_BY_EMAIL = "customers_by_email"


class StaleCustomer(Exception):
    """The customer changed since it was read. `current` is its new state when the engine returned it."""

    def __init__(self, current: CustomerRecord | None) -> None:
        super().__init__("customer version changed")
        self.current = current


class StaleTransaction(Exception):
    """The transaction's description or metadata changed since it was read."""


class CustomerGone(Exception):
    """The customer was deleted (or never existed) when a write checked for it."""


@cache
def client() -> Any:
    """One client per process, created on first use; timeouts and retries fit the function timeout."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 3})
    return boto3.client("dynamodb", config=config)


def table() -> str:
    return settings().table_name


# --- keys --------------------------------------------------------------------------------------

def partition(mode: Mode, customer_id: str) -> str:
    return f"{mode}#{customer_id}"


def transaction_sk(created: int, sequence: int) -> str:
    return f"{TXN_PREFIX}{created:010d}#{sequence:012d}"


def created_floor_sk(created: int) -> str:
    """Lowest transaction key created at or after `created`."""
    return f"{TXN_PREFIX}{max(created, 0):010d}#"


def created_ceiling_sk(created: int) -> str:
    """Highest transaction key created at or before `created`."""
    return f"{TXN_PREFIX}{created:010d}#~" if created >= 0 else TXN_PREFIX


def _customer_index_sk(record: CustomerRecord) -> str:
    return f"{record.created:010d}#{record.id}"


# --- attribute values ----------------------------------------------------------------------------

def _to_av(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {k: _to_av(v) for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__}")  # floats never reach the table


def _from_av(av: dict[str, Any]) -> Any:
    (kind, value), = av.items()
    if kind == "N":
        return int(value)
    if kind == "M":
        return {k: _from_av(v) for k, v in value.items()}
    if kind == "NULL":
        return None
    if kind == "L":
        return [_from_av(v) for v in value]
    return value  # S, BOOL


def _item(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: _to_av(v) for k, v in attributes.items() if v is not None}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_av(v) for k, v in item.items()}


def customer_item(record: CustomerRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = record.model_dump()
    attributes.update(pk=partition(record.mode, record.id), sk=CUSTOMER_SK)
    if not record.deleted:
        attributes.update(gsi1pk=f"{record.mode}#customers", gsi1sk=_customer_index_sk(record))
        if record.email:
            attributes.update(gsi2pk=f"{record.mode}#email#{record.email}", gsi2sk=_customer_index_sk(record))
    return _item(attributes)


def transaction_item(record: BalanceTransactionRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = record.model_dump()
    attributes.update(pk=partition(record.mode, record.customer), sk=transaction_sk(record.created, record.sequence))
    return _item(attributes)


def _customer(item: dict[str, Any] | None) -> CustomerRecord | None:
    return CustomerRecord.model_validate(_plain(item)) if item else None


def _transaction(item: dict[str, Any]) -> BalanceTransactionRecord:
    return BalanceTransactionRecord.model_validate(_plain(item))


def _is_customer(item: dict[str, Any]) -> bool:
    return item["sk"]["S"] == CUSTOMER_SK


# --- reads ---------------------------------------------------------------------------------------

def get_customer(mode: Mode, customer_id: str) -> CustomerRecord | None:
    key = {"pk": {"S": partition(mode, customer_id)}, "sk": {"S": CUSTOMER_SK}}
    return _customer(client().get_item(TableName=table(), Key=key, ConsistentRead=True).get("Item"))


def get_transaction(mode: Mode, customer_id: str, created: int, sequence: int) -> BalanceTransactionRecord | None:
    key = {"pk": {"S": partition(mode, customer_id)}, "sk": {"S": transaction_sk(created, sequence)}}
    item = client().get_item(TableName=table(), Key=key, ConsistentRead=True).get("Item")
    return _transaction(item) if item else None


def get_customer_and_transaction(
    mode: Mode, customer_id: str, created: int, sequence: int
) -> tuple[CustomerRecord | None, BalanceTransactionRecord | None]:
    """Both in one round trip (a consistent BatchGetItem)."""
    pk = {"S": partition(mode, customer_id)}
    keys = [{"pk": pk, "sk": {"S": CUSTOMER_SK}}, {"pk": pk, "sk": {"S": transaction_sk(created, sequence)}}]
    items = _batch_get(keys)
    customer = next((i for i in items if _is_customer(i)), None)
    txn = next((i for i in items if not _is_customer(i)), None)
    return _customer(customer), (_transaction(txn) if txn else None)


def _batch_get(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request = {table(): {"Keys": keys, "ConsistentRead": True}}
    for attempt in range(8):
        response = client().batch_get_item(RequestItems=request)
        items.extend(response["Responses"].get(table(), []))
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return items
        time.sleep(random.uniform(0, 0.05 * 2**attempt))  # unprocessed keys mean throttling
    raise TimeoutError("BatchGetItem left keys unprocessed")


def query_chain(
    mode: Mode, customer_id: str, low: str, high: str, *, newest_first: bool, limit: int
) -> tuple[CustomerRecord | None, list[BalanceTransactionRecord]]:
    """Items of one customer's partition with keys in [low, high]: one Query.

    When `high` is the customer's key, the customer comes back first (newest first) as well.
    """
    response = client().query(
        TableName=table(),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues={":pk": {"S": partition(mode, customer_id)}, ":low": {"S": low},
                                   ":high": {"S": high}},
        ScanIndexForward=not newest_first,
        ConsistentRead=True,
        Limit=limit,
    )
    items = response["Items"]
    customer = next((i for i in items if _is_customer(i)), None)
    return _customer(customer), [_transaction(i) for i in items if not _is_customer(i)]


def query_customer_ids(
    index: str, partition_value: str, low: str, high: str, *, newest_first: bool, limit: int
) -> list[str]:
    """Customer ids from an index (eventually consistent by nature), keys in [low, high]."""
    key = "gsi1" if index == CUSTOMERS_BY_CREATED else "gsi2"
    response = client().query(
        TableName=table(),
        IndexName=index,
        KeyConditionExpression=f"{key}pk = :pk AND {key}sk BETWEEN :low AND :high",
        ExpressionAttributeValues={":pk": {"S": partition_value}, ":low": {"S": low}, ":high": {"S": high}},
        ScanIndexForward=not newest_first,
        Limit=limit,
    )
    return [item["pk"]["S"].split("#", 1)[1] for item in response["Items"]]


def get_customers(mode: Mode, customer_ids: Iterable[str]) -> dict[str, CustomerRecord]:
    keys = [{"pk": {"S": partition(mode, cid)}, "sk": {"S": CUSTOMER_SK}} for cid in customer_ids]
    if not keys:
        return {}
    records = [_customer(item) for item in _batch_get(keys)]
    return {r.id: r for r in records if r}


# --- writes --------------------------------------------------------------------------------------

def _version_condition(expected_version: int | None) -> dict[str, Any]:
    if expected_version is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {"ConditionExpression": "version = :expected",
            "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}}}


def commit_customer(
    customer: CustomerRecord,
    expected_version: int | None,
    transaction: BalanceTransactionRecord | None = None,
) -> None:
    """Write the customer's new state, conditioned on the version it was derived from (None: new
    customer), together with the balance transaction it records, atomically.

    Raises StaleCustomer when another write got there first.
    """
    from botocore.exceptions import ClientError

    put = {"TableName": table(), "Item": customer_item(customer), **_version_condition(expected_version)}
    try:
        if transaction is None:
            client().put_item(**put, ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return
        txn_put = {"TableName": table(), "Item": transaction_item(transaction),
                   "ConditionExpression": "attribute_not_exists(pk)"}
        client().transact_write_items(TransactItems=[
            {"Put": {**put, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Put": txn_put},
        ])
    except ClientError as error:
        raise _stale_or_raise(error) from error


def _stale_or_raise(error: Any) -> Exception:
    code = error.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return StaleCustomer(_customer(error.response.get("Item")))
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons", [])
        first = reasons[0] if reasons else {}
        if first.get("Code") == "ConditionalCheckFailed":
            return StaleCustomer(_customer(first.get("Item")))
        if any(r.get("Code") in ("TransactionConflict", "ConditionalCheckFailed") for r in reasons):
            return StaleCustomer(None)  # a conflict returns no item: re-read
    if code == "TransactionConflictException":
        return StaleCustomer(None)
    return error


def commit_transaction_edit(transaction: BalanceTransactionRecord, expected_revision: int) -> None:
    """Replace a transaction's description and metadata, if its customer still exists and nobody
    edited it since `expected_revision`. Amount, currency and balances are never rewritten here."""
    from botocore.exceptions import ClientError

    pk = partition(transaction.mode, transaction.customer)
    try:
        client().transact_write_items(TransactItems=[
            {"ConditionCheck": {
                "TableName": table(),
                "Key": {"pk": {"S": pk}, "sk": {"S": CUSTOMER_SK}},
                "ConditionExpression": "deleted = :false",
                "ExpressionAttributeValues": {":false": {"BOOL": False}},
            }},
            {"Update": {
                "TableName": table(),
                "Key": {"pk": {"S": pk}, "sk": {"S": transaction_sk(transaction.created, transaction.sequence)}},
                "UpdateExpression": "SET description = :d, metadata = :m, revision = :next",
                "ConditionExpression": "revision = :expected",
                "ExpressionAttributeValues": {
                    ":d": _to_av(transaction.description), ":m": _to_av(transaction.metadata),
                    ":next": {"N": str(expected_revision + 1)}, ":expected": {"N": str(expected_revision)},
                },
            }},
        ])
    except ClientError as error:
        reasons = error.response.get("CancellationReasons") or [{}, {}]
        if reasons[0].get("Code") == "ConditionalCheckFailed":
            raise CustomerGone() from error
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            raise StaleTransaction() from error
        raise


# --- audit reads (operator tooling, never on a request path) ------------------------------------

def whole_chain(mode: Mode, customer_id: str) -> list[BalanceTransactionRecord]:
    """Every transaction of a customer in chain order (paged Query)."""
    transactions: list[BalanceTransactionRecord] = []
    arguments: dict[str, Any] = {
        "TableName": table(), "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": {"S": partition(mode, customer_id)}, ":low": {"S": TXN_PREFIX},
                                      ":high": {"S": TXN_TOP}},
    }
    while True:
        response = client().query(**arguments)
        transactions.extend(_transaction(item) for item in response["Items"])
        if "LastEvaluatedKey" not in response:
            return transactions
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
