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


@cache
def settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "ledger"),
        default_currency=os.environ.get("DEFAULT_CURRENCY", "usd").lower(),
        write_budget_seconds=float(os.environ.get("WRITE_BUDGET_SECONDS", "4")),
    )
