"""IAM, evaluated locally: a function's role as the SAM transform builds it, and the requests an AWS
call makes of IAM, decided with IAM's rules (an explicit Deny wins, then any Allow, else denied).

What a call asks for follows the services' documented authorization: inside TransactWriteItems each
action is authorized on its own (PutItem, UpdateItem, DeleteItem, ConditionCheckItem); BatchGetItem is
its own action; a Query on an index is authorized on the index's ARN; SendMessageBatch is
sqs:SendMessage. `dynamodb:LeadingKeys` is the partition key values the call touches. A policy element
this module does not model (a condition operator or key) raises instead of being ignored, so a role
can never look stricter here than it is on AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tools import template
from tools.local_aws.stack import ACCOUNT, PARTITION, REGION, LocalStack

# The AWS managed policies SAM attaches, as AWS publishes them (only what they grant).
MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    "AWSLambdaBasicExecutionRole": [{"Effect": "Allow", "Resource": "*", "Action": [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}],
    "AWSLambdaSQSQueueExecutionRole": [{"Effect": "Allow", "Resource": "*", "Action": [
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "logs:CreateLogGroup",
        "logs:CreateLogStream", "logs:PutLogEvents"]}],
}
_SQS_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
_TRANSACT_WRITE = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                   "ConditionCheck": "ConditionCheckItem"}


class UnsupportedPolicy(ValueError):
    """A policy uses an element the local evaluation does not model."""


@dataclass(frozen=True)
class Request:
    """One authorization IAM makes for a call: an action on a resource, with its condition keys."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Role:
    name: str
    statements: tuple[dict[str, Any], ...]

    def allows(self, request: Request) -> bool:
        allowed = False
        for statement in self.statements:
            if not _applies(statement, request):
                continue
            if statement["Effect"] == "Deny":
                return False
            allowed = True
        return allowed


def role_of(function: str, environ: Mapping[str, str]) -> Role:
    """The function's role as deployed: its inline policies (resolved against the local stack) and
    the managed policies it names."""
    from tools.local_aws.stack import bindings

    bound = bindings(function, environ)
    return _role(function, tuple(sorted(bound.items())))


@template.derived
def _role(function: str, bound: tuple[tuple[str, str], ...]) -> Role:
    stack = LocalStack(dict(bound))
    resources = template.transformed()["Resources"]
    role_ref = resources[function]["Properties"]["Role"]
    role_id = role_ref["Fn::GetAtt"][0]
    props = stack.resolve(resources[role_id]["Properties"])
    statements: list[dict[str, Any]] = []
    for policy in props.get("Policies", []):
        listed = policy["PolicyDocument"]["Statement"]
        statements.extend(listed if isinstance(listed, list) else [listed])
    for arn in props.get("ManagedPolicyArns", []):
        name = arn.rsplit("/", 1)[-1]
        if name not in MANAGED_POLICIES:
            raise UnsupportedPolicy(f"managed policy {arn} is not modelled locally")
        statements.extend(MANAGED_POLICIES[name])
    return Role(name=role_id, statements=tuple(statements))


def denial_message(role: Role, function: str, request: Request) -> str:
    return (f"User: arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{role.name}/{function} is not authorized to "
            f"perform: {request.action} on resource: {request.resource} because no identity-based policy "
            f"allows the {request.action} action")


# --- statement matching ------------------------------------------------------------------------------

def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(value: str, patterns: Iterable[str], ignore_case: bool = False) -> bool:
    return any(_pattern(p, ignore_case).fullmatch(value) for p in patterns)


def _applies(statement: dict[str, Any], request: Request) -> bool:
    if "Action" in statement and not _like(request.action, _listed(statement["Action"]), ignore_case=True):
        return False
    if "NotAction" in statement and _like(request.action, _listed(statement["NotAction"]), ignore_case=True):
        return False
    if "Resource" in statement and not _like(request.resource, _listed(statement["Resource"])):
        return False
    if "NotResource" in statement and _like(request.resource, _listed(statement["NotResource"])):
        return False
    return all(_condition(operator, tests, request.context)
               for operator, tests in (statement.get("Condition") or {}).items())


_OPERATORS = {
    "StringEquals": lambda value, wanted: value in wanted,
    "StringNotEquals": lambda value, wanted: value not in wanted,
    "StringLike": lambda value, wanted: _like(value, wanted),
    "StringNotLike": lambda value, wanted: not _like(value, wanted),
}
CONDITION_KEYS = frozenset({"dynamodb:LeadingKeys"})


def _known(key: str) -> str:
    if key not in CONDITION_KEYS:
        raise UnsupportedPolicy(f"condition key {key} is not modelled locally")
    return key


def _condition(operator: str, tests: dict[str, Any], context: Mapping[str, tuple[str, ...]]) -> bool:
    if operator == "Null":  # "true": the key must be absent; "false": present
        return all(_known(key) and (str(wanted).lower() == "true") == (not context.get(key))
                   for key, wanted in tests.items())
    qualifier, _, name = operator.rpartition(":")
    test = _OPERATORS.get(name)
    if test is None or qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise UnsupportedPolicy(f"condition operator {operator} is not modelled locally")
    for key, wanted in tests.items():
        values, wanted = context.get(_known(key), ()), _listed(wanted)
        if qualifier == "ForAllValues":
            ok = all(test(v, wanted) for v in values)  # true for a request without the key, as on AWS
        elif qualifier == "ForAnyValue" or values:
            ok = any(test(v, wanted) for v in values)
        else:
            ok = False  # a plain operator on an absent key does not match
        if not ok:
            return False
    return True


# --- what a call asks of IAM ---------------------------------------------------------------------------

def requests_of(service: str, operation: str, params: Mapping[str, Any]) -> list[Request]:
    """The authorizations IAM makes for one API call (raises for a call this module cannot map)."""
    if service == "dynamodb":
        return _dynamodb(operation, params)
    if service == "sqs":
        queue = str(params.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
        arn = f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{queue}"
        return [Request(f"sqs:{_SQS_ACTIONS.get(operation, operation)}", arn)]
    if service == "events" and operation == "PutEvents":
        buses = {e.get("EventBusName", "default") for e in params.get("Entries", [])}
        return [Request("events:PutEvents", f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/{bus}")
                for bus in sorted(buses)]
    if service == "s3" and operation in ("GetObject", "HeadObject"):
        return [Request("s3:GetObject", f"arn:{PARTITION}:s3:::{params['Bucket']}/{params['Key']}")]
    if service == "s3" and operation == "PutObject":
        return [Request("s3:PutObject", f"arn:{PARTITION}:s3:::{params['Bucket']}/{params['Key']}")]
    raise UnsupportedPolicy(f"no local IAM mapping for {service}:{operation}")


def table_arn(name: str, index: str | None = None) -> str:
    arn = f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def _leading(values: Iterable[str]) -> dict[str, tuple[str, ...]]:
    return {"dynamodb:LeadingKeys": tuple(sorted(set(values)))}


def _dynamodb(operation: str, params: Mapping[str, Any]) -> list[Request]:
    from tools.local_aws.dynamodb_limits import key_attributes, query_key_values

    def partition_of(key_or_item: Mapping[str, Any], table: str) -> list[str]:
        hash_key, _ = key_attributes(table)
        value = key_or_item.get(hash_key) or {}
        return [next(iter(value.values()))] if value else []

    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        table = params["TableName"]
        keyed = params.get("Key") or params.get("Item") or {}
        return [Request(f"dynamodb:{operation}", table_arn(table), _leading(partition_of(keyed, table)))]
    if operation in ("Query", "Scan"):
        table, index = params["TableName"], params.get("IndexName")
        context = {}
        if operation == "Query":
            hash_key, _ = key_attributes(table, index)
            context = _leading(query_key_values(params).get(hash_key, []))
        return [Request(f"dynamodb:{operation}", table_arn(table, index), context)]
    if operation == "BatchGetItem":
        return [Request("dynamodb:BatchGetItem", table_arn(table),
                        _leading(v for key in spec["Keys"] for v in partition_of(key, table)))
                for table, spec in params["RequestItems"].items()]
    if operation == "BatchWriteItem":
        return [Request("dynamodb:BatchWriteItem", table_arn(table), _leading(
            v for w in writes for v in partition_of((w.get("PutRequest") or {}).get("Item")
                                                     or (w.get("DeleteRequest") or {}).get("Key") or {}, table)))
                for table, writes in params["RequestItems"].items()]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for entry in params["TransactItems"]:
            (kind, spec), = entry.items()
            action = "GetItem" if kind == "Get" else _TRANSACT_WRITE[kind]
            keyed = spec.get("Key") or spec.get("Item") or {}
            found.append(Request(f"dynamodb:{action}", table_arn(spec["TableName"]),
                                 _leading(partition_of(keyed, spec["TableName"]))))
        return found
    if operation in ("DescribeTable", "CreateTable", "DeleteTable", "UpdateTimeToLive", "DescribeTimeToLive"):
        return [Request(f"dynamodb:{operation}", table_arn(params["TableName"]))]
    if operation == "ListTables":
        return [Request("dynamodb:ListTables", "*")]
    raise UnsupportedPolicy(f"no local IAM mapping for dynamodb:{operation}")
