"""Reads template.yaml, the one source of truth for routes, the table and function environments."""

from __future__ import annotations

import os
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


_source = [TEMPLATE]
_derived: list[Any] = []  # caches of values computed from the template, cleared when it changes


def derived(function: Any) -> Any:
    """Decorator: a cached function of the template, recomputed when `use` switches templates."""
    cached = cache(function)
    _derived.append(cached)
    return cached


def use(path: Path) -> None:
    """Read another template from now on (a test's modified copy); `use(TEMPLATE)` restores."""
    _source[0] = path
    for cached in _derived:
        cached.cache_clear()


@derived
def load() -> dict[str, Any]:
    return yaml.load(_source[0].read_text(), Loader=_Loader)  # a SafeLoader subclass


@dataclass(frozen=True)
class Route:
    function: str  # logical id
    method: str  # upper case
    path: str  # API Gateway resource path, /v1/customers/{customer}
    code_dir: Path
    handler: str  # module.function
    # API Gateway's checks on the method: the API's default authorizer unless the event says
    # `Auth: {Authorizer: NONE}`, and a usage plan key unless it says `ApiKeyRequired: false`.
    authorized: bool = True
    api_key_required: bool = True


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in load()["Resources"].items() if v["Type"] == kind}


def function_properties(logical_id: str) -> dict[str, Any]:
    """A function's properties with the template's Globals applied, as SAM applies them (the
    function's own value wins; maps such as Environment merge)."""
    merged = dict(load().get("Globals", {}).get("Function", {}))
    for key, value in load()["Resources"][logical_id]["Properties"].items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def routes() -> list[Route]:
    found = []
    for logical_id in resources("AWS::Serverless::Function"):
        props = function_properties(logical_id)
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "Api":
                auth = event["Properties"].get("Auth") or {}
                found.append(Route(logical_id, event["Properties"]["Method"].upper(), event["Properties"]["Path"],
                                   ROOT / props["CodeUri"], props["Handler"],
                                   authorized=auth.get("Authorizer") != "NONE",
                                   api_key_required=bool(auth.get("ApiKeyRequired", _api_key_required()))))
    return found


def _api_key_required() -> bool:
    """The API's default for its methods (`Auth.ApiKeyRequired`), which an event's own Auth overrides."""
    apis = resources("AWS::Serverless::Api")
    return any(bool((api["Properties"].get("Auth") or {}).get("ApiKeyRequired")) for api in apis.values())


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
    if props.get("StreamSpecification"):
        arguments["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
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
    (queues, the event bus) are what LOCAL_RESOURCE_<LogicalId> names, when the local run made them, or
    "" (unset)."""
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        if ref == table_name_resource():
            return table_name
        if ref in load().get("Parameters", {}):
            return load()["Parameters"][ref]["Default"]
        return os.environ.get(f"LOCAL_RESOURCE_{ref}", "")
    if isinstance(value, dict) and "Fn::Sub" in value:  # pseudo parameters and parameters, as the stack has them
        from tools.local_aws.stack import LocalStack

        return LocalStack({}).resolve(value)
    if isinstance(value, dict):
        raise ValueError(f"cannot resolve {value} locally")
    return value


@dataclass(frozen=True)
class Authorizer:
    function: str  # logical id of the authorizer's function
    header: str  # the identity source (TOKEN authorizers read one header)
    ttl_seconds: int
    validation_expression: str | None = None  # a header not matching it is refused without a call


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
                      ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
                      validation_expression=identity.get("ValidationExpression"))


@dataclass(frozen=True)
class Throttles:
    """API Gateway's throttles as the template sets them: (rate per second, burst) of each method of the
    stage (the "/*" method setting, which AWS applies to every method apart), and of each usage plan by
    the value of its API key."""

    stage: tuple[float, int] | None
    plans: dict[str, tuple[float, int]]
    api_key_required: bool


def throttles() -> Throttles:
    from tools.local_aws.stack import LocalStack

    (api,) = resources("AWS::Serverless::Api").values()
    props = api["Properties"]
    stage = next(((float(m["ThrottlingRateLimit"]), int(m["ThrottlingBurstLimit"]))
                  for m in props.get("MethodSettings", []) if m.get("ResourcePath") == "/*"
                  and "ThrottlingRateLimit" in m), None)
    keys = {name: LocalStack({}).resolve(key["Properties"]["Value"])
            for name, key in resources("AWS::ApiGateway::ApiKey").items()}
    plans = {}
    for link in resources("AWS::ApiGateway::UsagePlanKey").values():
        plan = load()["Resources"][link["Properties"]["UsagePlanId"]["Ref"]]["Properties"]["Throttle"]
        plans[keys[link["Properties"]["KeyId"]["Ref"]]] = (float(plan["RateLimit"]), int(plan["BurstLimit"]))
    return Throttles(stage, plans, bool((props.get("Auth") or {}).get("ApiKeyRequired")))


TRANSFORM_CACHE = ROOT / ".local" / "transformed"
TOOLS_PYTHON = ROOT / ".venv-tools" / "bin" / "python"


@derived
def transformed() -> dict[str, Any]:
    """The template as the SAM transform turns it into CloudFormation (aws-sam-translator, run in the
    template-tools environment), cached under .local/ by template content."""
    import hashlib
    import json
    import subprocess

    cached = TRANSFORM_CACHE / f"{hashlib.sha256(_source[0].read_bytes()).hexdigest()[:32]}.json"
    try:
        return json.loads(cached.read_text())
    except (OSError, ValueError):
        pass
    if not TOOLS_PYTHON.exists():
        raise RuntimeError(f"{TOOLS_PYTHON} missing: run `make template-tools`")
    output = subprocess.run([str(TOOLS_PYTHON), str(ROOT / "tools" / "sam_transform.py"), str(_source[0])],
                            capture_output=True, text=True, check=True).stdout
    result = json.loads(output)
    cached.parent.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(output)
    temporary.replace(cached)
    return result
