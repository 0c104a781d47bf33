"""API key items, in one small partition keyed by the key's SHA-256 digest (never the key itself)."""

from ledger.dal import keys
from ledger.dal.client import client, table
from ledger.dal.scans import pages
from ledger.models import ApiKeyRecord


def put_api_key(record: ApiKeyRecord) -> bool:
    """Store a new key (by digest); False when that digest is already stored."""
    from botocore.exceptions import ClientError

    try:
        client().put_item(TableName=table(), Item={**keys.api_key_key(record.digest), **keys.item(record.model_dump())},
                          ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_api_key(digest: str) -> ApiKeyRecord | None:
    stored = client().get_item(TableName=table(), Key=keys.api_key_key(digest), ConsistentRead=True).get("Item")
    return ApiKeyRecord.model_validate(keys.plain(stored)) if stored else None


def list_api_keys() -> list[ApiKeyRecord]:
    """Every key (operator tooling)."""
    query = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": keys.API_KEYS_PK}},
             "ConsistentRead": True}
    return [ApiKeyRecord.model_validate(keys.plain(item)) for item in pages("query", query)]


def revoke_api_key(digest: str) -> None:
    client().update_item(TableName=table(), Key=keys.api_key_key(digest), UpdateExpression="SET revoked = :true",
                         ConditionExpression="attribute_exists(pk)",
                         ExpressionAttributeValues={":true": {"BOOL": True}})
