"""The only module that talks to DynamoDB.

One table holds everything, every key scoped by mode (test/live):

- customer:            pk ``{mode}#{cus_id}``  sk ``~customer``
- balance transaction: pk ``{mode}#{cus_id}``  sk ``txn#{created:010d}#{sequence:012d}``
- idempotency record:  pk ``{mode}#idem#{key}`` (client keys) or ``{mode}#sysidem#{key}`` (keys the
  system derives itself; no client key can reach them)  sk ``idempotency``; TTL ``expires_at``
- API key:             pk ``apikeys``  sk ``{sha256 digest}`` (one small partition: listed by Query)

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
from typing import Any, NamedTuple

from ledger import ids
from ledger.config import settings
from ledger.models import ApiKeyRecord, BalanceTransactionRecord, CustomerRecord, IdempotencyRecord, Mode

CUSTOMER_SK = "~customer"
IDEMPOTENCY_SK = "idempotency"
API_KEYS_PK = "apikeys"
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


class ClaimTaken(Exception):
    """Another request committed with the same idempotency key first."""


@cache
def client() -> Any:
    """One client per process, created on first use; timeouts and retries fit the function timeout."""
    import boto3
    from botocore.config import Config

    # DynamoDB validates every request itself; botocore's client-side pass is pure CPU per call.
    config = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 3},
                    parameter_validation=False)
    return boto3.client("dynamodb", config=config, endpoint_url=settings().dynamodb_endpoint)


def table() -> str:
    return settings().table_name


# --- keys --------------------------------------------------------------------------------------

def partition(mode: Mode, customer_id: str) -> str:
    return f"{mode}#{customer_id}"


def transaction_sk(created: int, sequence: int) -> str:
    return f"{TXN_PREFIX}{created:010d}#{sequence:012d}"


# Keys hold `created` as ten digits, compared as text: every bound is clamped into that range first
# (an eleven-digit bound would sort below every key). Ten digits last until the year 2286.
CREATED_MAX = 9_999_999_999


def created_floor_sk(created: int) -> str:
    """Lowest transaction key created at or after `created` (above every key when none can be)."""
    return TXN_TOP if created > CREATED_MAX else f"{TXN_PREFIX}{max(created, 0):010d}#"


def created_ceiling_sk(created: int) -> str:
    """Highest transaction key created at or before `created` (below every key when none can be)."""
    return TXN_PREFIX if created < 0 else f"{TXN_PREFIX}{min(created, CREATED_MAX):010d}#~"


CUSTOMER_INDEX_LOW, CUSTOMER_INDEX_HIGH = "0", "~"  # below and above every customer index key


def customer_index_floor(created: int) -> str:
    """Lowest customer index key created at or after `created`."""
    return CUSTOMER_INDEX_HIGH if created > CREATED_MAX else f"{max(created, 0):010d}#"


def customer_index_ceiling(created: int) -> str:
    """Highest customer index key created at or before `created`."""
    return CUSTOMER_INDEX_LOW if created < 0 else f"{min(created, CREATED_MAX):010d}#~"


def claim_key(mode: Mode, namespace: str, key: str) -> dict[str, Any]:
    prefix = "idem" if namespace == "client" else "sysidem"
    return {"pk": {"S": f"{mode}#{prefix}#{key}"}, "sk": {"S": IDEMPOTENCY_SK}}


def email_partition(mode: Mode, email: str) -> str:
    """The by-email index partition: a digest, so that any email Stripe accepts (512 characters of up to
    four bytes each) fits DynamoDB's 2,048-byte partition key."""
    import hashlib

    return f"{mode}#email#{hashlib.sha256(email.encode()).hexdigest()}"


def customer_index_key(record: CustomerRecord) -> str:
    """A customer's position in both customer indexes (and a list cursor's)."""
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
        attributes.update(gsi1pk=f"{record.mode}#customers", gsi1sk=customer_index_key(record))
        if record.email:
            attributes.update(gsi2pk=email_partition(record.mode, record.email), gsi2sk=customer_index_key(record))
    return _item(attributes)


def transaction_item(record: BalanceTransactionRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = record.model_dump()
    attributes.update(pk=partition(record.mode, record.customer), sk=transaction_sk(record.created, record.sequence))
    return _item(attributes)


def claim_item(record: IdempotencyRecord) -> dict[str, Any]:
    return {**claim_key(record.mode, record.namespace, record.key), **_item(record.model_dump())}


def _claim_put(record: IdempotencyRecord) -> dict[str, Any]:
    """Put the record unless a live one holds the key (an expired one may be replaced)."""
    return {"TableName": table(), "Item": claim_item(record),
            "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
            "ExpressionAttributeValues": {":now": {"N": str(record.created)}}}


def _customer(item: dict[str, Any] | None) -> CustomerRecord | None:
    return CustomerRecord.model_validate(_plain(item)) if item else None


def _transaction(item: dict[str, Any]) -> BalanceTransactionRecord:
    return BalanceTransactionRecord.model_validate(_plain(item))


def _is_customer(item: dict[str, Any]) -> bool:
    return item["sk"]["S"] == CUSTOMER_SK


# --- reads ---------------------------------------------------------------------------------------

def get_customer(mode: Mode, customer_id: str) -> CustomerRecord | None:
    if not ids.is_customer_id(customer_id):
        return None
    key = {"pk": {"S": partition(mode, customer_id)}, "sk": {"S": CUSTOMER_SK}}
    return _customer(client().get_item(TableName=table(), Key=key, ConsistentRead=True).get("Item"))


class Snapshot(NamedTuple):
    customer: CustomerRecord | None
    transaction: BalanceTransactionRecord | None
    claim: IdempotencyRecord | None


def read(
    mode: Mode,
    customer_id: str | None = None,
    position: tuple[int, int] | None = None,
    claim: tuple[str, str] | None = None,
) -> Snapshot:
    """A customer, one of its transactions (by position) and an idempotency record (namespace, key),
    whichever are asked for, in one round trip: GetItem for one, a consistent BatchGetItem for more."""
    wanted: dict[str, dict[str, Any]] = {}
    if customer_id is not None and ids.is_customer_id(customer_id):
        wanted["customer"] = {"pk": {"S": partition(mode, customer_id)}, "sk": {"S": CUSTOMER_SK}}
        if position is not None:
            wanted["transaction"] = {"pk": {"S": partition(mode, customer_id)},
                                     "sk": {"S": transaction_sk(*position)}}
    if claim is not None:
        wanted["claim"] = claim_key(mode, *claim)
    keys = list(wanted.values())
    if len(keys) == 1:
        found = client().get_item(TableName=table(), Key=keys[0], ConsistentRead=True).get("Item")
        items = [found] if found else []
    else:
        items = _batch_get(keys) if keys else []
    # Each item is matched to the exact key asked for, never guessed from its kind.
    by_key = {(i["pk"]["S"], i["sk"]["S"]): i for i in items}
    found_as = {role: by_key.get((key["pk"]["S"], key["sk"]["S"])) for role, key in wanted.items()}
    customer, transaction, saved = found_as.get("customer"), found_as.get("transaction"), found_as.get("claim")
    return Snapshot(_customer(customer), _transaction(transaction) if transaction else None,
                    IdempotencyRecord.model_validate(_plain(saved)) if saved else None)


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
    if not ids.is_customer_id(customer_id):
        return None, []
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
    claim: IdempotencyRecord | None = None,
) -> None:
    """Write the customer's new state, conditioned on the version it was derived from (None: new
    customer), together with the balance transaction it records and the idempotency record that
    guards the request, atomically.

    Raises ClaimTaken when the idempotency key was committed by another request first, StaleCustomer
    when another write to the customer got there first.
    """
    from botocore.exceptions import ClientError

    put = {"TableName": table(), "Item": customer_item(customer), **_version_condition(expected_version)}
    try:
        if transaction is None and claim is None:
            client().put_item(**put, ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return
        items: list[dict[str, Any]] = [{"Put": {**put, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}]
        if transaction is not None:
            items.append({"Put": {"TableName": table(), "Item": transaction_item(transaction),
                                  "ConditionExpression": "attribute_not_exists(pk)"}})
        if claim is not None:
            items.append({"Put": _claim_put(claim)})
        client().transact_write_items(TransactItems=items)
    except ClientError as error:
        raise _stale_or_raise(error, claim_index=2 if transaction is not None else 1) from error


def commit_claim(claim: IdempotencyRecord) -> None:
    """Save the outcome of a request that changed nothing (so a retry with other parameters is refused)."""
    from botocore.exceptions import ClientError

    try:
        client().put_item(**_claim_put(claim))
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise ClaimTaken() from error
        raise


def _stale_or_raise(error: Any, claim_index: int | None = None) -> Exception:
    code = error.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return StaleCustomer(_customer(error.response.get("Item")))
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons", [])
        if claim_index is not None and len(reasons) > claim_index and (
                reasons[claim_index].get("Code") == "ConditionalCheckFailed"):
            return ClaimTaken()
        first = reasons[0] if reasons else {}
        if first.get("Code") == "ConditionalCheckFailed":
            return StaleCustomer(_customer(first.get("Item")))
        if any(r.get("Code") in ("TransactionConflict", "ConditionalCheckFailed") for r in reasons):
            return StaleCustomer(None)  # a conflict returns no item: re-read
    if code == "TransactionConflictException":
        return StaleCustomer(None)
    return error


def commit_transaction_edit(
    transaction: BalanceTransactionRecord, expected_revision: int, claim: IdempotencyRecord | None = None
) -> None:
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
            *([{"Put": _claim_put(claim)}] if claim is not None else []),
        ])
    except ClientError as error:
        reasons = error.response.get("CancellationReasons") or [{}, {}]
        if len(reasons) > 2 and reasons[2].get("Code") == "ConditionalCheckFailed":
            raise ClaimTaken() from error
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


# --- API keys ------------------------------------------------------------------------------------

def _api_key_key(digest: str) -> dict[str, Any]:
    return {"pk": {"S": API_KEYS_PK}, "sk": {"S": digest}}


def put_api_key(record: ApiKeyRecord) -> bool:
    """Store a new key (by digest); False when that digest is already stored."""
    from botocore.exceptions import ClientError

    try:
        client().put_item(TableName=table(), Item={**_api_key_key(record.digest), **_item(record.model_dump())},
                          ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_api_key(digest: str) -> ApiKeyRecord | None:
    item = client().get_item(TableName=table(), Key=_api_key_key(digest), ConsistentRead=True).get("Item")
    return ApiKeyRecord.model_validate(_plain(item)) if item else None


def list_api_keys() -> list[ApiKeyRecord]:
    records: list[ApiKeyRecord] = []
    arguments: dict[str, Any] = {"TableName": table(), "KeyConditionExpression": "pk = :pk",
                                 "ExpressionAttributeValues": {":pk": {"S": API_KEYS_PK}}, "ConsistentRead": True}
    while True:
        response = client().query(**arguments)
        records.extend(ApiKeyRecord.model_validate(_plain(i)) for i in response["Items"])
        if "LastEvaluatedKey" not in response:
            return records
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def revoke_api_key(digest: str) -> None:
    client().update_item(TableName=table(), Key=_api_key_key(digest), UpdateExpression="SET revoked = :true",
                         ConditionExpression="attribute_exists(pk)",
                         ExpressionAttributeValues={":true": {"BOOL": True}})


def all_customers() -> Iterable[CustomerRecord]:
    """Every customer of every mode. A Scan: for the operator's audit only, never a request path."""
    arguments: dict[str, Any] = {
        "TableName": table(), "FilterExpression": "sk = :sk",
        "ExpressionAttributeValues": {":sk": {"S": CUSTOMER_SK}}, "ConsistentRead": True,
    }
    while True:
        response = client().scan(**arguments)
        for item in response["Items"]:
            record = _customer(item)
            if record is not None:
                yield record
        if "LastEvaluatedKey" not in response:
            return
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
