"""Deployment settings, read once from the function's environment (set by template.yaml)."""

import os
from dataclasses import dataclass
from functools import cache

# |amount|, |balance| and any balance difference are bounded (our choice, see README).
MAX_AMOUNT = 99_999_999_999


@dataclass(frozen=True)
class Settings:
    table_name: str
    default_currency: str
    # Wall-clock budget for one write's optimistic retries; well inside the function timeout.
    write_budget_seconds: float
    # Scheduled adjustments: plans larger than this go through the queue (when one is configured).
    adjustments_queue_url: str | None = None
    direct_apply_limit: int = 100
    # The one bucket plans may be read from (the role may read no other).
    plan_bucket_name: str | None = None
    # DynamoDB Local for `sam local invoke`; None: the region's endpoint (or AWS_ENDPOINT_URL_DYNAMODB).
    dynamodb_endpoint: str | None = None
    # The authorizer's usage plan key per mode (API Gateway throttles each mode on its own).
    usage_keys: tuple[tuple[str, str], ...] = ()


@cache
def settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "ledger"),
        default_currency=os.environ.get("DEFAULT_CURRENCY", "usd").lower(),
        write_budget_seconds=float(os.environ.get("WRITE_BUDGET_SECONDS", "4")),
        adjustments_queue_url=os.environ.get("ADJUSTMENTS_QUEUE_URL") or None,
        direct_apply_limit=int(os.environ.get("DIRECT_APPLY_LIMIT", "100")),
        plan_bucket_name=os.environ.get("PLAN_BUCKET_NAME") or None,
        dynamodb_endpoint=os.environ.get("LEDGER_DYNAMODB_ENDPOINT") or None,
        usage_keys=tuple((mode, os.environ[f"{mode.upper()}_MODE_USAGE_KEY"]) for mode in ("test", "live")
                         if os.environ.get(f"{mode.upper()}_MODE_USAGE_KEY")),
    )
