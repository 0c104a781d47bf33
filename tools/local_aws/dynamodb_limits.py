"""DynamoDB's documented limits, checked on every request as DynamoDB checks them.

DynamoDB Local refuses an oversized key on GetItem but accepts it on Query, and neither it nor moto
checks every limit the way the service does. The key schemas (table and indexes) are template.yaml's.
Limits, from the DynamoDB developer guide ("Service, account, and table quotas"):
partition key values at most 2048 bytes and sort key values at most 1024 bytes of UTF-8, key string
values not empty (also an index's key attributes in an item written), items at most 400 KB counting
attribute names, at most 100 actions and 4 MB in a transaction, at most 100 keys in a BatchGetItem.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tools import template

PARTITION_KEY_MAX_BYTES = 2048
SORT_KEY_MAX_BYTES = 1024
ITEM_MAX_BYTES = 400 * 1024
TRANSACTION_ACTIONS_MAX = 100
TRANSACTION_MAX_BYTES = 4 * 1024 * 1024
BATCH_GET_KEYS_MAX = 100


@template.derived
def _schemas() -> dict[str | None, tuple[str, str | None]]:
    """Key attributes of the table (None) and of each index, from the template's table."""
    props = template.load()["Resources"][template.table_name_resource()]["Properties"]

    def pair(schema: list[dict[str, str]]) -> tuple[str, str | None]:
        by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
        return by_type["HASH"], by_type.get("RANGE")

    schemas: dict[str | None, tuple[str, str | None]] = {None: pair(props["KeySchema"])}
    for index in props.get("GlobalSecondaryIndexes", []) + props.get("LocalSecondaryIndexes", []):
        schemas[index["IndexName"]] = pair(index["KeySchema"])
    return schemas


def index_names() -> list[str]:
    return [name for name in _schemas() if name is not None]


def key_attributes(_table: str, index: str | None = None) -> tuple[str, str | None]:
    """(partition key, sort key) attribute names of the table, or of one of its indexes."""
    return _schemas()[index]


def _size_of_scalar(kind: str, value: Any) -> int:
    if kind == "S":
        return len(value.encode("utf-8", "surrogatepass"))
    if kind == "N":
        digits = value.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(value if isinstance(value, bytes | bytearray) else base64.b64decode(value))
    return 1  # BOOL, NULL


def value_size(av: Mapping[str, Any]) -> int:
    """Bytes an attribute value counts for, as the developer guide's item-size rules say."""
    (kind, value), = av.items()
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8", "surrogatepass")) + value_size(v) + 1 for k, v in value.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in value)
    if kind in ("SS", "NS", "BS"):
        return sum(_size_of_scalar(kind[0], v) for v in value)
    return _size_of_scalar(kind, value)


def item_size(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode("utf-8", "surrogatepass")) + value_size(av) for name, av in item.items())


def _key_problem(name: str, av: Mapping[str, Any] | None, limit: int, is_hash: bool,
                 index: str | None = None) -> str | None:
    if not av:
        return None
    (kind, value), = av.items()
    size = _size_of_scalar(kind, value)
    if kind in ("S", "B") and size == 0:
        return ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                f"contain an empty {'string' if kind == 'S' else 'binary'} value. Key: {name}")
    if size <= limit:
        return None
    if index is not None:
        return (f"One or more parameter values were invalid: Size limit exceeded for Index Key {name} Actual Size: "
                f"{size} bytes Max Size: {limit} bytes IndexName: {index}")
    if is_hash:  # sic: DynamoDB's message has no space before the number
        return ("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit "
                f"of{PARTITION_KEY_MAX_BYTES} bytes")
    return ("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size "
            f"limit of {SORT_KEY_MAX_BYTES} bytes")


def _keys_problem(values: Mapping[str, Any], indexes: Iterable[str | None]) -> str | None:
    for index in indexes:
        hash_key, range_key = _schemas()[index]
        for name, limit, is_hash in ((hash_key, PARTITION_KEY_MAX_BYTES, True),
                                     (range_key, SORT_KEY_MAX_BYTES, False)):
            if name is not None and (problem := _key_problem(name, values.get(name), limit, is_hash, index)):
                return problem
    return None


def _item_problem(item: Mapping[str, Any]) -> str | None:
    if problem := _keys_problem(item, _schemas()):  # an index's key attributes count as keys too
        return problem
    if item_size(item) > ITEM_MAX_BYTES:
        return "Item size has exceeded the maximum allowed size"
    return None


_COMPARISON = re.compile(r"([#\w]+)\s*(?:=|<=|>=|<|>)\s*(:\w+)")
_BETWEEN = re.compile(r"([#\w]+)\s+BETWEEN\s+(:\w+)\s+AND\s+(:\w+)", re.IGNORECASE)
_BEGINS = re.compile(r"begins_with\s*\(\s*([#\w]+)\s*,\s*(:\w+)\s*\)", re.IGNORECASE)


def query_key_values(params: Mapping[str, Any]) -> dict[str, list[str]]:
    """Attribute name -> the values a Query's key condition compares it with."""
    expression = params.get("KeyConditionExpression") or ""
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    found: dict[str, list[Any]] = {}
    for match in [*_BETWEEN.finditer(expression), *_BEGINS.finditer(expression), *_COMPARISON.finditer(expression)]:
        name = str(names.get(match.group(1), match.group(1)))
        for placeholder in match.groups()[1:]:
            if placeholder in values:
                found.setdefault(name, []).append(next(iter(values[placeholder].values())))
    return found


def _query_problem(params: Mapping[str, Any]) -> str | None:
    hash_key, range_key = _schemas()[params.get("IndexName")]
    for name, candidates in query_key_values(params).items():
        for value in candidates:
            kind = "B" if isinstance(value, bytes | bytearray) else "S"
            if name == hash_key and (problem := _key_problem(name, {kind: value}, PARTITION_KEY_MAX_BYTES, True)):
                return problem
            if name == range_key and _size_of_scalar(kind, value) > SORT_KEY_MAX_BYTES:
                return _key_problem(name, {kind: value}, SORT_KEY_MAX_BYTES, False)
    return None


def violation(operation: str, params: Mapping[str, Any]) -> str | None:
    """The ValidationException message DynamoDB would answer this request with, or None."""
    if operation in ("GetItem", "DeleteItem"):
        return _keys_problem(params.get("Key") or {}, [None])
    if operation == "UpdateItem":  # the stored item is unknown here: its key and new values bound it below
        key = params.get("Key") or {}
        values = (params.get("ExpressionAttributeValues") or {}).values()
        if item_size(key) + sum(value_size(v) for v in values) > ITEM_MAX_BYTES:
            return "Item size to update has exceeded the maximum allowed size"
        return _keys_problem(key, [None])
    if operation == "PutItem":
        return _item_problem(params.get("Item") or {})
    if operation in ("Query", "Scan"):
        start = params.get("ExclusiveStartKey")
        return (_keys_problem(start, [None]) if start else None) or (
            _query_problem(params) if operation == "Query" else None)
    if operation == "BatchGetItem":
        keys = [key for spec in params["RequestItems"].values() for key in spec["Keys"]]
        if len(keys) > BATCH_GET_KEYS_MAX:
            return "Too many items requested for the BatchGetItem call."
        return next((p for key in keys if (p := _keys_problem(key, [None]))), None)
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return _transaction_problem(params["TransactItems"])
    return None


def _transaction_problem(entries: list[dict[str, Any]]) -> str | None:
    if len(entries) > TRANSACTION_ACTIONS_MAX:
        return ("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must "
                f"have length less than or equal to {TRANSACTION_ACTIONS_MAX}")
    total = 0
    for entry in entries:
        (kind, spec), = entry.items()
        if kind == "Put":
            if problem := _item_problem(spec["Item"]):
                return problem
            total += item_size(spec["Item"])
        else:
            if problem := _keys_problem(spec["Key"], [None]):
                return problem
            total += item_size(spec["Key"]) + sum(value_size(v) for v in
                                                  (spec.get("ExpressionAttributeValues") or {}).values())
    if total > TRANSACTION_MAX_BYTES:
        return "Transaction request cannot be larger than 4 MB"
    return None
