"""Idempotency records: written only inside the commit of the change they guard (or alone, for a
request that changed nothing), never over a live record of the same key."""

from typing import Any

from ledger.dal import keys
from ledger.dal.client import client, table
from ledger.dal.conflicts import ClaimTaken
from ledger.models import IdempotencyRecord


def claim_put(record: IdempotencyRecord) -> dict[str, Any]:
    """Put the record unless a live one holds the key (an expired one may be replaced)."""
    return {"TableName": table(), "Item": keys.claim_item(record),
            "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
            "ExpressionAttributeValues": {":now": {"N": str(record.created)}}}


def commit_claim(claim: IdempotencyRecord) -> None:
    """Save the outcome of a request that changed nothing (so a retry with other parameters is refused)."""
    from botocore.exceptions import ClientError

    try:
        client().put_item(**claim_put(claim))
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise ClaimTaken() from error
        raise


def record(stored: dict[str, Any] | None) -> IdempotencyRecord | None:
    return IdempotencyRecord.model_validate(keys.plain(stored)) if stored else None
