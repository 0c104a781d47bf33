"""Faults injected through botocore's event system, on the layer's own DynamoDB client."""

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def lose_response_after_commit(times: int = 1, operation: str = "TransactWriteItems") -> Iterator[list[int]]:
    """The call reaches DynamoDB and commits, then its response is lost (as when the connection or the
    Lambda dies right after the commit): the caller sees a read timeout."""
    from botocore.exceptions import ReadTimeoutError

    from ledger import dal

    lost: list[int] = []

    def drop(**_: Any) -> None:
        if len(lost) < times:
            lost.append(1)
            raise ReadTimeoutError(endpoint_url="http://dynamodb (response lost after commit)")

    events = dal.client().meta.events
    events.register(f"after-call.dynamodb.{operation}", drop)
    try:
        yield lost
    finally:
        events.unregister(f"after-call.dynamodb.{operation}", drop)


@contextlib.contextmanager
def failing_dynamodb(operation: str, failure: tuple[int, str] | Exception) -> Iterator[list[int]]:
    """Every `operation` call of the layer's client fails without reaching DynamoDB, as once botocore's
    own retries are spent: with AWS's error answer `(status, code)`, raised through botocore's error
    path as the modelled exception, or with `failure` raised as is (a connection that cannot be made)."""
    import uuid

    from botocore.awsrequest import AWSResponse

    from ledger import dal

    failed: list[int] = []

    def fail(**_: Any) -> tuple[Any, dict[str, Any]]:
        failed.append(1)
        if isinstance(failure, Exception):
            raise failure
        status, code = failure
        headers = {"x-amzn-requestid": uuid.uuid4().hex.upper()}
        return AWSResponse("http://dynamodb (failing)", status, headers, None), {
            "Error": {"Code": code, "Message": f"{code} (injected)"},
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers, "RetryAttempts": 2}}

    events = dal.client().meta.events
    events.register(f"before-call.dynamodb.{operation}", fail)
    try:
        yield failed
    finally:
        events.unregister(f"before-call.dynamodb.{operation}", fail)


@contextlib.contextmanager
def hide_idempotency_records() -> Iterator[list[int]]:
    """Reads of the layer's client find no idempotency record, though the records stay in the table (as
    when the record a rival committed first is gone or not yet seen when read again): a write that claims
    a held key still fails DynamoDB's condition."""
    from ledger import dal
    from ledger.dal.keys import IDEMPOTENCY_SK

    hidden: list[int] = []

    def held(item: dict[str, Any]) -> bool:
        if item.get("sk", {}).get("S") == IDEMPOTENCY_SK:
            hidden.append(1)
            return True
        return False

    def hide(parsed: dict[str, Any], **_: Any) -> None:
        if "Item" in parsed and held(parsed["Item"]):
            del parsed["Item"]
        for items in (parsed.get("Responses") or {}).values():
            items[:] = [item for item in items if not held(item)]

    events = dal.client().meta.events
    for operation in ("GetItem", "BatchGetItem"):
        events.register(f"after-call.dynamodb.{operation}", hide)
    try:
        yield hidden
    finally:
        for operation in ("GetItem", "BatchGetItem"):
            events.unregister(f"after-call.dynamodb.{operation}", hide)
