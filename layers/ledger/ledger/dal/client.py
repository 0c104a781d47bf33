"""The DynamoDB client and the ledger's table: one client per process, created on first use, with
timeouts and SDK retries that fit inside the function's timeout."""

from functools import cache
from typing import Any

from ledger import retry
from ledger.config import settings

# Unprocessed keys mean the table is throttling this read: back off, briefly.
UNPROCESSED_KEYS = retry.Policy(attempts_max=8, budget_ms=3_000, backoff_base_ms=50, backoff_cap_ms=1_000)


@cache
def client() -> Any:
    import boto3
    from botocore.config import Config

    # DynamoDB validates every request itself; botocore's client-side pass is pure CPU per call.
    config = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 3},
                    parameter_validation=False)
    return boto3.client("dynamodb", config=config, endpoint_url=settings().dynamodb_endpoint)


def table() -> str:
    return settings().table_name


def batch_get(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consistent reads of `keys` (at most 100), unprocessed keys asked again."""
    items: list[dict[str, Any]] = []
    request = {table(): {"Keys": keys, "ConsistentRead": True}}
    attempts = retry.Attempts(UNPROCESSED_KEYS)
    for _attempt in attempts:
        response = client().batch_get_item(RequestItems=request)
        items.extend(response["Responses"].get(table(), []))
        request = response.get("UnprocessedKeys") or {}
        if not request:
            break
        attempts.pause()
    return items
