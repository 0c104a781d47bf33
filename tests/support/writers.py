"""Writers that post balance transactions through the API, for threads and for separate processes
(spawned: each process imports the handlers itself, as a separate Lambda would)."""

import os
import random
from typing import Any

CURRENCIES = ("usd", "eur", "jpy")


def post_many(customer_ids: list[str], count: int, seed: int) -> list[tuple[int, dict[str, Any]]]:
    """Post `count` random transactions; returns (status, body) of each reply."""
    from tests.support.api import Api

    rng = random.Random(seed)
    api = Api()
    replies = []
    for _ in range(count):
        customer_id = rng.choice(customer_ids)
        amount = rng.choice([-1, 1]) * rng.randint(1, 100_000)
        reply = api.post(f"/v1/customers/{customer_id}/balance_transactions",
                         {"amount": amount, "currency": rng.choice(CURRENCIES)})
        replies.append((reply.status, reply.body))
    return replies


def process_writer(endpoint: str, table: str, customer_ids: list[str], count: int, seed: int) -> list[Any]:
    """Entry point of a spawned process: point the ledger at the test table, then write."""
    import tests.conftest  # noqa: F401 - same environment as the test session

    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    os.environ["TABLE_NAME"] = table
    return post_many(customer_ids, count, seed)
