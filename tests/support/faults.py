"""Faults injected through botocore's event system, on the layer's own DynamoDB client."""

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def lose_response_after_commit(times: int = 1, operation: str = "TransactWriteItems") -> Iterator[list[int]]:
    """The call reaches DynamoDB and commits, then its response is lost (as when the connection or the
    Lambda dies right after the commit): the caller sees a read timeout."""
    from botocore.exceptions import ReadTimeoutError

    from ledger import dal

    lost: list[int] = []

    def drop(**_):
        if len(lost) < times:
            lost.append(1)
            raise ReadTimeoutError(endpoint_url="http://dynamodb (response lost after commit)")

    events = dal.client().meta.events
    events.register(f"after-call.dynamodb.{operation}", drop)
    try:
        yield lost
    finally:
        events.unregister(f"after-call.dynamodb.{operation}", drop)
