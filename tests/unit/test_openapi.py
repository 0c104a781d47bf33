"""openapi.json stays what `make openapi` generates: in sync with the template's routes, the
parameter models and Stripe's schemas for the shared objects."""

import json
import types

import pytest

from tests.support.schemas import FRAGMENT
from tools import openapi, template


def test_committed_document_is_up_to_date():
    assert openapi.OUTPUT.read_text() == openapi.render(), "run `make openapi` and commit openapi.json"


def test_every_route_is_documented_once():
    document = json.loads(openapi.OUTPUT.read_text())
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented == {(r.method, r.path) for r in template.routes()}
    operation_ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert sorted(operation_ids) == sorted(r.function for r in template.routes())


def test_shared_objects_are_stripe_schemas():
    document = json.loads(openapi.OUTPUT.read_text())
    stripe = json.loads(FRAGMENT.read_text())["schemas"]
    for name in ("customer_balance_transaction", "customer", "deleted_customer", "error"):
        ours = document["components"]["schemas"][name]
        assert set(ours["properties"]) == set(stripe[name]["properties"])
        assert ours.get("required") == stripe[name].get("required")
    nullable = document["components"]["schemas"]["customer_balance_transaction"]["properties"]["description"]
    assert {"type": "null"} in nullable["anyOf"]


def test_parameters_come_from_the_models():
    document = json.loads(openapi.OUTPUT.read_text())
    create = document["paths"]["/v1/customers/{customer}/balance_transactions"]["post"]
    body = create["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert body["required"] == ["amount", "currency"] and body["additionalProperties"] is False
    assert body["properties"]["amount"]["maximum"] == 99_999_999_999
    assert "usd" in body["properties"]["currency"]["enum"]
    listing = document["paths"]["/v1/customers/{customer}/balance_transactions"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)


def test_an_operation_without_a_docstring_is_refused_by_name():
    """A new function's app.py without a module docstring: `make openapi` names the file and what the
    docstring is for, instead of failing with an IndexError."""
    module = types.ModuleType("functions.ExportFunction.app")
    module.__file__ = str(template.ROOT / "functions" / "export" / "app.py")
    for docstring in (None, "", "  \n  "):
        module.__doc__ = docstring
        with pytest.raises(openapi.MissingSummary, match=r"^functions/export/app\.py .*docstring.*summary"):
            openapi.summary(module)
    module.__doc__ = "\n  GET /v1/export: every transaction.\n\n  More words.\n"
    assert openapi.summary(module) == "GET /v1/export: every transaction."
