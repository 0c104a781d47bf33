"""Count the DynamoDB requests the layer makes, through botocore's event system."""

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def counted() -> Iterator[list[str]]:
    from ledger import dal
    from ledger.dal import keys

    calls: list[str] = []

    def record(model, params, **_):
        # The authorizer's key lookup is not the operation's (API Gateway caches it for 60 s).
        if params.get("Key", {}).get("pk", {}).get("S") != keys.API_KEYS_PK:
            calls.append(model.name)

    events = dal.client().meta.events
    events.register("before-parameter-build.dynamodb", record)
    try:
        yield calls
    finally:
        events.unregister("before-parameter-build.dynamodb", record)
