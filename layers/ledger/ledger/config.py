"""Deployment settings: the function's environment (set by template.yaml) as one validated model.

Nothing falls back silently: a missing or malformed variable is a ConfigurationError naming it. On
Lambda the variables the template always sets are required, and the settings are validated when the
module is first imported, so a misconfigured function fails its cold start, not some later request. Off
Lambda (the operator tools run the layer without a function's environment) the defaults below stand in
for the template's values; a test keeps them equal.
"""

import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

# |amount|, |balance| and any balance difference are bounded (our choice, see README).
MAX_AMOUNT = 99_999_999_999
_MODES = ("test", "live")


class ConfigurationError(RuntimeError):
    pass


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid")

    table_name: Annotated[str, StringConstraints(min_length=3, max_length=255)]
    default_currency: Annotated[str, StringConstraints(pattern=r"^[a-z]{3}$")] = "usd"
    # Wall-clock budget for one write's optimistic retries; well inside the function timeout.
    write_budget_ms: Annotated[int, Field(gt=0, le=60_000)] = 4_000
    # Scheduled adjustments: plans larger than this go through the queue (when one is configured).
    adjustments_queue_url: str | None = None
    direct_apply_limit: Annotated[int, Field(ge=0)] = 100
    # The one bucket plans may be read from (the role may read no other).
    plan_bucket_name: str | None = None
    # DynamoDB Local for `sam local invoke`; None: the region's endpoint (or AWS_ENDPOINT_URL_DYNAMODB).
    dynamodb_endpoint: str | None = None
    # The authorizer's usage plan key per mode (API Gateway throttles each mode on its own).
    usage_keys: dict[str, str] = Field(default_factory=dict)
    # Webhooks: the deliveries queue and its dead letters, the EventBridge bus every event goes to, the
    # first retry's delay (doubling up to SQS's 12-hour visibility limit) and one attempt's timeout.
    deliveries_queue_url: str | None = None
    deliveries_dead_letter_queue_url: str | None = None
    event_bus_name: str | None = None
    webhook_retry_base_s: Annotated[int, Field(gt=0, le=43_200)] = 60
    webhook_timeout_s: Annotated[int, Field(gt=0, le=30)] = 10


_VARIABLES = {"table_name": "TABLE_NAME", "default_currency": "DEFAULT_CURRENCY",
              "write_budget_ms": "WRITE_BUDGET_MS", "adjustments_queue_url": "ADJUSTMENTS_QUEUE_URL",
              "direct_apply_limit": "DIRECT_APPLY_LIMIT", "plan_bucket_name": "PLAN_BUCKET_NAME",
              "dynamodb_endpoint": "LEDGER_DYNAMODB_ENDPOINT", "deliveries_queue_url": "DELIVERIES_QUEUE_URL",
              "deliveries_dead_letter_queue_url": "DELIVERIES_DEAD_LETTER_QUEUE_URL",
              "event_bus_name": "EVENT_BUS_NAME", "webhook_retry_base_s": "WEBHOOK_RETRY_BASE_S",
              "webhook_timeout_s": "WEBHOOK_TIMEOUT_S"}


# What template.yaml sets for every function (its Globals), and what it sets together with the queue
# (the limit decides which plans go through it): on Lambda, a missing one is a broken deployment.
REQUIRED_ON_LAMBDA = ("TABLE_NAME", "DEFAULT_CURRENCY", "WRITE_BUDGET_MS")
REQUIRED_WITH_QUEUE = ("DIRECT_APPLY_LIMIT",)


def missing_on_lambda(environ: Mapping[str, str]) -> list[str]:
    """The variables the template always sets that this Lambda environment lacks (none off Lambda)."""
    if not environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return []
    required = REQUIRED_ON_LAMBDA + (REQUIRED_WITH_QUEUE if environ.get("ADJUSTMENTS_QUEUE_URL") else ())
    return [name for name in required if not environ.get(name)]


def from_environment(environ: Mapping[str, str]) -> Settings:
    missing = missing_on_lambda(environ)
    if missing:
        problems = "; ".join(f"{name}: missing (template.yaml sets it)" for name in missing)
        raise ConfigurationError(f"the function's environment is not valid ({problems})")
    values: dict[str, object] = {field: environ[name] for field, name in _VARIABLES.items() if environ.get(name)}
    values["usage_keys"] = {mode: environ[f"{mode.upper()}_MODE_USAGE_KEY"] for mode in _MODES
                            if environ.get(f"{mode.upper()}_MODE_USAGE_KEY")}
    if "default_currency" in values:
        values["default_currency"] = str(values["default_currency"]).lower()
    try:
        return Settings.model_validate(values)
    except ValidationError as invalid:
        problems = "; ".join(f"{_VARIABLES.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in invalid.errors())
        raise ConfigurationError(f"the function's environment is not valid ({problems})") from None


@cache
def settings() -> Settings:
    return from_environment(os.environ)


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # on Lambda: fail the cold start, not a request
    settings()
