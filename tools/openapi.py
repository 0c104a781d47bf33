"""`make openapi`: write openapi.json, the API's own OpenAPI 3.1 document.

Built from the sources of truth, never by hand: the routes of template.yaml, each function's
parameters model (pydantic's JSON Schema of the wire format), and Stripe's own schemas for the shared
objects (tests/data/stripe-openapi-fragment.json, a copy of Stripe's spec; `nullable` becomes a null
type, and references to objects this API never returns are stubbed). A test keeps the file in sync.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tools import lambda_local, template

OUTPUT = template.ROOT / "openapi.json"
STRIPE = template.ROOT / "tests" / "data" / "stripe-openapi-fragment.json"
SHARED = ("customer_balance_transaction", "customer", "deleted_customer", "error", "api_errors", "event",
          "notification_event_data", "notification_event_request", "webhook_endpoint", "deleted_webhook_endpoint")


class MissingSummary(ValueError):
    """A function module without a docstring: the docstring's first line is the operation's summary."""


def nullable_to_null(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type (OpenAPI 3.1, jsonschema)."""
    if isinstance(node, list):
        return [nullable_to_null(n) for n in node]
    if not isinstance(node, dict):
        return node
    converted = {k: nullable_to_null(v) for k, v in node.items() if k != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


def stripe_schemas() -> dict[str, Any]:
    fragment = json.loads(STRIPE.read_text())
    schemas = {name: nullable_to_null(fragment["schemas"][name]) for name in SHARED}
    lists = {"CustomerBalanceTransactionList": "/v1/customers/{customer}/balance_transactions", "CustomerList":
             "/v1/customers", "EventList": "/v1/events", "WebhookEndpointList": "/v1/webhook_endpoints"}
    for name, path in lists.items():
        schema = fragment["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        schemas[name] = nullable_to_null(schema)
    referenced = set(re.findall(r"#/components/schemas/([\w.]+)", json.dumps(schemas)))
    for name in sorted(referenced - set(schemas)):
        schemas[name] = {"type": "object", "description": "Not returned by this API (stub of Stripe's schema)."}
    schemas["customer_or_deleted"] = {"anyOf": [{"$ref": "#/components/schemas/customer"},
                                                {"$ref": "#/components/schemas/deleted_customer"}]}
    schemas["chain_check"] = CHAIN_CHECK
    return schemas


# This ledger's own object (GET /v1/customers/{customer}/chain_check): Stripe has no such schema.
CHAIN_CHECK = {
    "type": "object", "additionalProperties": False,
    "description": "One customer's chain audited as `make verify` audits it.",
    "required": ["object", "customer", "livemode", "intact", "transactions", "first_break", "problem_count",
                 "problems"],
    "properties": {
        "object": {"type": "string", "enum": ["chain_check"]},
        "customer": {"type": "string", "maxLength": 5000},
        "livemode": {"type": "boolean"},
        "intact": {"type": "boolean"},
        "transactions": {"type": "integer", "minimum": 0},
        "first_break": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "problem_count": {"type": "integer", "minimum": 0},
        "problems": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
    },
}


def _parameters_schema(model: Any) -> dict[str, Any]:
    schema = model.model_json_schema()
    for prop in schema["properties"].values():
        prop.pop("title", None)
        prop.pop("default", None)
    if "expand" in schema["properties"]:
        schema["properties"]["expand"]["items"]["enum"] = sorted(model.expandable)
        if not model.expandable:
            schema["properties"]["expand"]["maxItems"] = 0
    schema.pop("title", None)
    return schema


def _error_responses() -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}}
    return {code: {"description": text, **error} for code, text in (
        ("400", "Invalid request"), ("401", "No or invalid API key"), ("404", "No such object or route"),
        ("409", "Idempotency key in use"), ("413", "Body too large"), ("414", "URI too long"),
        ("429", "Lock timeout or rate limit"),
        ("500", "Our fault"), ("503", "Database unavailable"))}


def summary(module: ModuleType) -> str:
    """The first line of the function module's docstring: the one place an operation describes itself
    in words, so a module without one is an error that names its file, not an empty summary."""
    lines = (module.__doc__ or "").strip().splitlines()
    if not lines:
        where = Path(module.__file__ or module.__name__)
        shown = where.relative_to(template.ROOT) if where.is_relative_to(template.ROOT) else where
        raise MissingSummary(f"{shown} has no module docstring: its first line is the operation's summary "
                             "in openapi.json")
    return lines[0]


def operation(route: template.Route) -> dict[str, Any]:
    handler = lambda_local.load_handler(route.function)
    spec = lambda_local.operation_of(route.function)  # what the function declares of itself
    schema = _parameters_schema(spec.params)
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 255}}
                  for name in re.findall(r"{(\w+)}", route.path)]
    described: dict[str, Any] = {"operationId": route.function, "summary": summary(sys.modules[handler.__module__])}
    nested = {name: {"style": "deepObject", "explode": True} for name, prop in schema["properties"].items()
              if prop.get("type") in ("object", "array") or "anyOf" in prop}
    if route.method == "POST":
        described["requestBody"] = {"required": bool(schema.get("required")), "content": {
            "application/x-www-form-urlencoded": {"schema": schema, "encoding": nested},
            "application/json": {"schema": schema}}}
    else:
        required = set(schema.get("required", []))
        parameters += [{"name": name, "in": "query", "required": name in required, "schema": prop,
                        **nested.get(name, {})} for name, prop in schema["properties"].items()]
    described["parameters"] = parameters
    body = {"$ref": f"#/components/schemas/{spec.response}"} if spec.response else {"type": "string"}
    described["responses"] = {"200": {"description": "Success", "headers": {
        "Request-Id": {"schema": {"type": "string", "pattern": "^req_"}}},
        "content": {media_type: {"schema": body} for media_type in (spec.media_type, *spec.other_media_types)}},
        **_error_responses()}
    if spec.public:  # its route has no authorizer (the console's files)
        described["security"] = []
    return described


def document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in template.routes():
        paths.setdefault(route.path, {})[route.method.lower()] = operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Customer credit-balance ledger", "version": "1",
                 "description": "Stripe-compatible Customer Balance Transactions and Customers. Generated by "
                                "`make openapi` from template.yaml, the parameter models and Stripe's schemas."},
        "servers": [{"url": "http://127.0.0.1:3000"}],
        "security": [{"basicAuth": []}, {"bearerAuth": []}],
        "paths": paths,
        "components": {"schemas": stripe_schemas(), "securitySchemes": {
            "basicAuth": {"type": "http", "scheme": "basic", "description": "The secret key as user name"},
            "bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }


def render() -> str:
    return json.dumps(document(), indent=1, sort_keys=True) + "\n"


def main() -> int:
    import os

    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CustomerLedger")
    try:
        text = render()
    except MissingSummary as missing:
        print(f"make openapi: {missing}", file=sys.stderr)
        return 1
    Path(OUTPUT).write_text(text)
    print(f"wrote {OUTPUT.relative_to(template.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
