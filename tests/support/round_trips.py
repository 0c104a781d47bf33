"""Count the DynamoDB requests the layer makes, through botocore's event system."""

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def counted() -> Iterator[list[str]]:
    from ledger import dal

    calls: list[str] = []

    def record(model, **_):
        calls.append(model.name)

    events = dal.client().meta.events
    events.register("before-call.dynamodb", record)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", record)
