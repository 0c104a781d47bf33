"""Reads template.yaml, the one source of truth for routes, the table and function environments."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt…) as their long forms."""


def _intrinsic(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _intrinsic)


@cache
def load() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_Loader)  # a SafeLoader subclass


@dataclass(frozen=True)
class Route:
    function: str  # logical id
    method: str  # upper case
    path: str  # API Gateway resource path, /v1/customers/{customer}
    code_dir: Path
    handler: str  # module.function


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in load()["Resources"].items() if v["Type"] == kind}


def routes() -> list[Route]:
    found = []
    for logical_id, resource in resources("AWS::Serverless::Function").items():
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "Api":
                found.append(Route(logical_id, event["Properties"]["Method"].upper(), event["Properties"]["Path"],
                                   ROOT / props["CodeUri"], props["Handler"]))
    return found


def functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Serverless::Function")


def table_name_resource() -> str:
    (logical_id,) = resources("AWS::DynamoDB::Table")
    return logical_id


def create_table_arguments(table_name: str) -> dict[str, Any]:
    """`create_table` keyword arguments built from the table resource's own properties."""
    props = load()["Resources"][table_name_resource()]["Properties"]
    arguments: dict[str, Any] = {
        "TableName": table_name,
        "BillingMode": props["BillingMode"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
    }
    if props.get("GlobalSecondaryIndexes"):
        arguments["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("LocalSecondaryIndexes"):
        arguments["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
    return arguments


def time_to_live_attribute() -> str | None:
    props = load()["Resources"][table_name_resource()]["Properties"]
    spec = props.get("TimeToLiveSpecification") or {}
    return spec.get("AttributeName") if spec.get("Enabled") else None


def environment(function: str, table_name: str) -> dict[str, str]:
    """The function's environment variables as the template sets them, with the table's name and
    parameter defaults resolved."""
    template = load()
    variables = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    own = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    variables.update(own)
    return {name: str(_resolve(value, table_name)) for name, value in variables.items()}


def _resolve(value: Any, table_name: str) -> Any:
    """Locally the table is the one we created, parameters take their defaults, and other resources
    (the adjustments queue) do not exist: their references resolve to "" (unset)."""
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        if ref == table_name_resource():
            return table_name
        if ref in load().get("Parameters", {}):
            return load()["Parameters"][ref]["Default"]
        return ""
    if isinstance(value, dict):
        raise ValueError(f"cannot resolve {value} locally")
    return value


@dataclass(frozen=True)
class Authorizer:
    function: str  # logical id of the authorizer's function
    header: str  # the identity source (TOKEN authorizers read one header)
    ttl_seconds: int


def default_authorizer() -> Authorizer | None:
    """The API's default Lambda authorizer, as API Gateway will run it."""
    (api,) = resources("AWS::Serverless::Api").values()
    auth = api["Properties"].get("Auth") or {}
    name = auth.get("DefaultAuthorizer")
    if not name:
        return None
    spec = auth["Authorizers"][name]
    identity = spec.get("Identity") or {}
    return Authorizer(function=spec["FunctionArn"]["Fn::GetAtt"][0], header=identity.get("Header", "Authorization"),
                      ttl_seconds=int(identity.get("ReauthorizeEvery", 300)))
