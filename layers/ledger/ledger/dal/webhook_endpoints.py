"""Webhook endpoint items: one partition per mode, `{mode}#webhook_endpoints`, sorted by id. An account
has few endpoints (Stripe allows 16 per mode), so the deliveries read all of a mode's at once."""

from typing import Any

from botocore.exceptions import ClientError

from ledger.dal import keys
from ledger.dal.client import client, table
from ledger.dal.conflicts import ClaimTaken
from ledger.dal.idempotency import claim_put
from ledger.models import IdempotencyRecord, Mode, WebhookEndpointRecord

ENDPOINTS_MAX = 16  # per mode, as Stripe


class StaleEndpoint(Exception):
    """The endpoint changed (or was deleted) since it was read."""


def endpoints_partition(mode: Mode) -> str:
    return f"{mode}#webhook_endpoints"


def endpoint_key(mode: Mode, endpoint_id: str) -> dict[str, Any]:
    return {"pk": {"S": endpoints_partition(mode)}, "sk": {"S": endpoint_id}}


def all_endpoints(mode: Mode) -> list[WebhookEndpointRecord]:
    """Every endpoint of the mode (one Query: there are at most ENDPOINTS_MAX), oldest first."""
    response = client().query(
        TableName=table(), KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": endpoints_partition(mode)}}, ConsistentRead=True)
    found = [_endpoint(i) for i in response["Items"]]
    return sorted(found, key=lambda e: (e.created, e.id))


def get_endpoint(mode: Mode, endpoint_id: str) -> WebhookEndpointRecord | None:
    found = client().get_item(TableName=table(), Key=endpoint_key(mode, endpoint_id), ConsistentRead=True)
    return _endpoint(found["Item"]) if "Item" in found else None


def put_endpoint(endpoint: WebhookEndpointRecord, expected_version: int | None,
                 claim: IdempotencyRecord | None = None) -> None:
    """Create (expected_version None) or replace the endpoint read at `expected_version`; with `claim`,
    the idempotency record of the request in the same transaction (ClaimTaken when another request
    committed its key first)."""
    attributes = endpoint.model_dump()
    attributes.update(pk=endpoints_partition(endpoint.mode), sk=endpoint.id)
    if expected_version is None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
    else:
        condition = {"ConditionExpression": "version = :version",
                     "ExpressionAttributeValues": {":version": {"N": str(expected_version)}}}
    put = {"TableName": table(), "Item": keys.item(attributes), **condition}
    try:
        if claim is None:
            client().put_item(**put)
        else:
            client().transact_write_items(TransactItems=[{"Put": put}, {"Put": claim_put(claim)}])
    except ClientError as refused:
        raise _stale_or_raise(refused, endpoint.id) from None


def delete_endpoint(endpoint: WebhookEndpointRecord, claim: IdempotencyRecord | None = None) -> None:
    """Delete the endpoint as read (its version); with `claim`, as put_endpoint."""
    delete = {"TableName": table(), "Key": endpoint_key(endpoint.mode, endpoint.id),
              "ConditionExpression": "version = :version",
              "ExpressionAttributeValues": {":version": {"N": str(endpoint.version)}}}
    try:
        if claim is None:
            client().delete_item(**delete)
        else:
            client().transact_write_items(TransactItems=[{"Delete": delete}, {"Put": claim_put(claim)}])
    except ClientError as refused:
        raise _stale_or_raise(refused, endpoint.id) from None


def _stale_or_raise(refused: ClientError, endpoint_id: str) -> Exception:
    """What a refused write means: the key taken by another request (the claim, second in a
    transaction), the endpoint changed or being changed, or something else (raised as it is)."""
    code = refused.response["Error"]["Code"]
    if code == "TransactionCanceledException":
        reasons = [r.get("Code") for r in refused.response.get("CancellationReasons", [])]
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            return ClaimTaken()
        if any(r in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons):
            return StaleEndpoint(endpoint_id)
    if code in ("ConditionalCheckFailedException", "TransactionConflictException"):
        return StaleEndpoint(endpoint_id)
    unexplained: Exception = refused
    return unexplained


def _endpoint(stored: dict[str, Any]) -> WebhookEndpointRecord:
    return WebhookEndpointRecord.model_validate(keys.plain(stored))
