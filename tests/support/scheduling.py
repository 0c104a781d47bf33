"""Helpers for scheduled-adjustment tests: plans, the worker fed from a (moto) queue, and the
scheduled transactions found in chains."""

import json
from datetime import UTC, datetime
from typing import Any

from tests.support.chains import assert_intact
from tools import lambda_local
from tools.sqs_local import lambda_sqs_event


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan(entries: list[dict[str, Any]], name: str = "monthly-loyalty", when: str | None = None,
         **extra: Any) -> dict[str, Any]:
    return {"plan": name, "scheduled_time": when or now_iso(), "entries": entries, **extra}


def entries_for(customers: list[str], per_customer: int = 1, amount: int = -100) -> list[dict[str, Any]]:
    return [{"id": f"{c}-{i}", "customer": c, "amount": amount - i, "currency": "usd"}
            for c in customers for i in range(per_customer)]


def run_scheduler(event: dict[str, Any]) -> dict[str, Any]:
    handler = lambda_local.load_handler("ScheduledAdjustmentsFunction")
    return handler(json.loads(json.dumps(event)), lambda_local.LambdaContext("ScheduledAdjustmentsFunction"))


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return lambda_sqs_event(messages, "https://sqs.us-east-1.amazonaws.com/000000000000/adjustments.fifo")


def drain(queue: dict[str, Any]) -> list[dict[str, Any]]:
    """Receive every message (a FIFO queue hands out one batch per group at a time)."""
    received = []
    while True:
        batch = queue["sqs"].receive_message(QueueUrl=queue["queue_url"], MaxNumberOfMessages=10,
                                             AttributeNames=["All"], VisibilityTimeout=600).get("Messages", [])
        if not batch:
            return received
        received.extend(batch)


def run_worker(messages: list[dict[str, Any]]) -> dict[str, Any]:
    handler = lambda_local.load_handler("AdjustmentWorkerFunction")
    return handler(sqs_event(messages), lambda_local.LambdaContext("AdjustmentWorkerFunction"))


def scheduled_entries(customer_ids: list[str]) -> list[tuple[str, str, str]]:
    """(customer, occurrence, entry id) of every scheduled transaction, chains checked on the way."""
    found = []
    for customer_id in customer_ids:
        _, chain = assert_intact(customer_id)
        found.extend((customer_id, t.metadata["schedule_occurrence"], t.metadata["schedule_entry"])
                     for t in chain if t.source.origin == "schedule")
    return found
