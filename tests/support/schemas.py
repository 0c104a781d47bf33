"""Validate responses against Stripe's own schemas (tests/data/stripe-openapi-fragment.json, a copy
of the reference). OpenAPI 3.0's `nullable` becomes JSON Schema's null type; references to schemas
outside the fragment (invoice, discount, …) are stubbed as "any object"."""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from tools.openapi import nullable_to_null

FRAGMENT = Path(__file__).resolve().parent.parent / "data" / "stripe-openapi-fragment.json"


@cache
def _document() -> dict[str, Any]:
    fragment = json.loads(FRAGMENT.read_text())
    schemas = {name: nullable_to_null(schema) for name, schema in fragment["schemas"].items()}
    for name in set(re.findall(r'#/components/schemas/([\w.]+)', FRAGMENT.read_text())) - set(schemas):
        schemas[name] = {"type": "object"}
    list_schema = fragment["paths"]["/v1/customers/{customer}/balance_transactions"]["get"]["responses"]["200"]
    schemas["_transaction_list"] = nullable_to_null(list_schema["content"]["application/json"]["schema"])
    customers_list = fragment["paths"]["/v1/customers"]["get"]["responses"]["200"]
    schemas["_customer_list"] = nullable_to_null(customers_list["content"]["application/json"]["schema"])
    endpoints_list = fragment["paths"]["/v1/webhook_endpoints"]["get"]["responses"]["200"]
    schemas["_webhook_endpoint_list"] = nullable_to_null(endpoints_list["content"]["application/json"]["schema"])
    return {"components": {"schemas": schemas}}


def validate(body: dict[str, Any], schema: str) -> None:
    """Raise if `body` does not match the named schema (additional properties are refused too)."""
    document = _document()
    target = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    jsonschema.validate(body, target)
    if schema in ("customer_balance_transaction", "customer", "deleted_customer", "event", "webhook_endpoint",
                  "deleted_webhook_endpoint"):
        unknown = set(body) - set(document["components"]["schemas"][schema]["properties"])
        assert not unknown, f"fields not in Stripe's {schema} schema: {unknown}"
