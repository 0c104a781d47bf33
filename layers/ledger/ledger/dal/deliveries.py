"""Where deliveries wait and go: the deliveries queue (SQS, one message per event and endpoint), its
dead-letter queue, the EventBridge bus, and the event item's `pending_webhooks` count. The only code that
talks to SQS and EventBridge for webhooks."""

import json
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from ledger.dal.client import client, table
from ledger.dal.events import event_sk, events_partition
from ledger.models import EventRecord

SQS_BATCH = 10  # SendMessageBatch's limit
EVENTBRIDGE_BATCH = 10  # PutEvents' limit
EVENT_SOURCE = "customer-ledger"  # the `source` of every entry on the bus (rules match on it)


@cache
def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 5})
    return boto3.client(service, config=config)


def enqueue(queue_url: str, deliveries: list[dict[str, str]]) -> None:
    """Queue one message per delivery; raises if SQS refuses any (the stream then retries the batch,
    and an endpoint may receive an event twice, as Stripe's endpoints may)."""
    for start in range(0, len(deliveries), SQS_BATCH):
        entries = [{"Id": str(i), "MessageBody": json.dumps(d, separators=(",", ":"))}
                   for i, d in enumerate(deliveries[start:start + SQS_BATCH])]
        response = _client("sqs").send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"SQS refused {len(response['Failed'])} deliveries")


def publish(bus_name: str, entries: list[dict[str, str]]) -> None:
    """Put (detail type, detail JSON) entries on the bus; raises if any is refused."""
    for start in range(0, len(entries), EVENTBRIDGE_BATCH):
        batch = [{"Source": EVENT_SOURCE, "DetailType": e["type"], "Detail": e["detail"], "EventBusName": bus_name}
                 for e in entries[start:start + EVENTBRIDGE_BATCH]]
        response = _client("events").put_events(Entries=batch)
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused {response['FailedEntryCount']} events")


def retry_later(queue_url: str, receipt_handle: str, delay_s: int) -> None:
    """The message comes back after `delay_s` (its visibility timeout; at most 12 hours)."""
    _client("sqs").change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle,
                                             VisibilityTimeout=delay_s)


def dead_letter(queue_url: str, delivery: dict[str, Any]) -> None:
    _client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(delivery, separators=(",", ":")))


def set_pending(event: EventRecord, pending: int) -> None:
    """How many endpoints still have to receive the event (Stripe's `pending_webhooks`)."""
    client().update_item(TableName=table(), Key=_key(event), UpdateExpression="SET pending_webhooks = :n",
                         ConditionExpression="attribute_exists(pk)",
                         ExpressionAttributeValues={":n": {"N": str(pending)}})


def delivered(event: EventRecord) -> None:
    """One endpoint fewer to go (never below zero: a delivery may be made twice)."""
    try:
        client().update_item(TableName=table(), Key=_key(event), UpdateExpression="ADD pending_webhooks :minus",
                             ConditionExpression="pending_webhooks > :zero",
                             ExpressionAttributeValues={":minus": {"N": "-1"}, ":zero": {"N": "0"}})
    except ClientError as refused:
        if refused.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _key(event: EventRecord) -> dict[str, Any]:
    return {"pk": {"S": events_partition(event.mode)}, "sk": {"S": event_sk(event.created, event.position)}}
