"""Event items and the table's stream they are derived from.

`changes` reads a DynamoDB Streams batch as the ledger's own records (the stream carries items in the
table's attribute codec, which only this package knows). Events live in one partition per mode,
`{mode}#events`, sorted by (created, stream position), so a list is one Query in either direction and a
retrieve is one GetItem; each expires (TTL) after the retention Stripe keeps events for.
"""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ledger import ids
from ledger.dal import keys
from ledger.dal.client import client, table
from ledger.models import BalanceTransactionRecord, CustomerRecord, EventRecord, Mode

EVENTS_SK_WIDTH = 40  # a stream sequence number has at most forty digits
# A filtered Query reads past events of other types: bounded per request (the page then ends early,
# with has_more, and the next page goes on from its last event).
FILTERED_QUERIES_MAX = 10


@dataclass(frozen=True)
class Change:
    """One committed change of a customer or a transaction, as the stream saw it."""

    position: int  # the stream record's sequence number
    created: int  # when the change was committed (the stream's approximate time, in seconds)
    old: CustomerRecord | BalanceTransactionRecord | None
    new: CustomerRecord | BalanceTransactionRecord | None


def change(record: dict[str, Any]) -> Change | None:
    """The change a stream record reports; None for items that are neither a customer nor a
    transaction (idempotency records, keys, events)."""
    stream = record["dynamodb"]
    sk = stream["Keys"]["sk"]["S"]
    if sk == keys.CUSTOMER_SK:
        decode: Any = keys.customer
    elif sk.startswith(keys.TXN_PREFIX):
        decode = keys.transaction
    else:
        return None
    old, new = stream.get("OldImage"), stream.get("NewImage")
    return Change(position=int(stream["SequenceNumber"]), created=int(stream["ApproximateCreationDateTime"]),
                  old=decode(old) if old else None, new=decode(new) if new else None)


def inserted_event(record: dict[str, Any]) -> EventRecord | None:
    """The event a stream record reports stored, when it is the insert of an event item."""
    stream = record["dynamodb"]
    if record.get("eventName") != "INSERT" or not stream["Keys"]["pk"]["S"].endswith("#events"):
        return None
    return _event(stream["NewImage"])


def find_event(mode: Mode, event_id: str) -> EventRecord | None:
    """The event with this id (its id encodes its key), or None."""
    position = ids.event_position(event_id)
    found = get_event(mode, *position) if position is not None else None
    return found if found is not None and found.id == event_id else None


def events_partition(mode: Mode) -> str:
    return f"{mode}#events"


def event_sk(created: int, position: int) -> str:
    return f"{created:010d}#{position:0{EVENTS_SK_WIDTH}d}"


def put_event(event: EventRecord, *, replace: bool = False) -> bool:
    """Store `event` once: False when it is already stored (its change was seen before). `replace`
    overwrites (only the sample events do)."""
    attributes = event.model_dump()
    attributes.update(pk=events_partition(event.mode), sk=event_sk(event.created, event.position))
    condition = {} if replace else {"ConditionExpression": "attribute_not_exists(pk)"}
    try:
        client().put_item(TableName=table(), Item=keys.item(attributes), **condition)
    except ClientError as refused:
        if refused.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_event(mode: Mode, created: int, position: int) -> EventRecord | None:
    key = {"pk": {"S": events_partition(mode)}, "sk": {"S": event_sk(created, position)}}
    # Consistent: a delivery reads the event just after the stream reported it stored.
    found = client().get_item(TableName=table(), Key=key, ConsistentRead=True).get("Item")
    return _event(found) if found else None


def event_page(mode: Mode, *, lowest: int, highest: int | None, cursor: tuple[int, int] | None = None,
               newest_first: bool = True, types: list[str] | None = None,
               limit: int = 10) -> tuple[list[EventRecord], bool]:
    """At most `limit` events created in [lowest, highest] past `cursor` (created, position) in the
    direction of travel, of one of `types` (a type ending in `.*` matches its prefix), and whether there
    may be more. Asks for one more than `limit` to know."""
    low = keys.created_floor_sk(lowest).removeprefix(keys.TXN_PREFIX)
    high = "~" if highest is None else keys.created_ceiling_sk(highest).removeprefix(keys.TXN_PREFIX)
    if cursor is not None and newest_first:
        high = min(high, event_sk(*cursor))
    elif cursor is not None:
        low = max(low, event_sk(*cursor))
    if low > high:  # bounds that admit no event (DynamoDB refuses BETWEEN with them)
        return [], False
    query: dict[str, Any] = {
        "TableName": table(), "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": {"S": events_partition(mode)}, ":low": {"S": low},
                                      ":high": {"S": high}},
        "ScanIndexForward": not newest_first, "Limit": limit + 2,
    }
    if types:
        query["FilterExpression"], names, values = _type_filter(types)
        query["ExpressionAttributeNames"] = names
        query["ExpressionAttributeValues"].update(values)
    found: list[EventRecord] = []
    exhausted = False
    for _query in range(FILTERED_QUERIES_MAX):
        response = client().query(**query)
        found.extend(e for e in map(_event, response["Items"]) if (e.created, e.position) != cursor)
        exhausted = "LastEvaluatedKey" not in response
        if len(found) >= limit or exhausted:
            break
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return found[:limit], len(found) > limit or not exhausted


def _type_filter(types: list[str]) -> tuple[str, dict[str, str], dict[str, Any]]:
    clauses, values = [], {}
    for n, wanted in enumerate(types):
        if wanted.endswith("*"):
            clauses.append(f"begins_with(#type, :type{n})")
            values[f":type{n}"] = {"S": wanted.removesuffix("*")}
        else:
            clauses.append(f"#type = :type{n}")
            values[f":type{n}"] = {"S": wanted}
    return " OR ".join(clauses), {"#type": "type"}, values


def _event(stored: dict[str, Any]) -> EventRecord:
    return EventRecord.model_validate(keys.plain(stored))
