"""The deployed stack's values as the local run has them: what a reference in the transformed template
(`!GetAtt LedgerTable.Arn`, `!Sub "${LedgerTable.Arn}/index/*"`, `!If [HasPlanBucket, …]`) resolves to here.

A function's environment binds the names: `TABLE_NAME: !Ref LedgerTable` means that LedgerTable is the
table that variable names in this process, so a test's own table, queue or bucket is what the role's
policies name. An unbound resource resolves to its logical id; an unbound parameter to its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools import template

REGION, ACCOUNT, PARTITION, STACK = "us-east-1", "000000000000", "aws", "local"
NO_VALUE = object()  # AWS::NoValue: the property or list item disappears
_PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": PARTITION,
           "AWS::StackName": STACK, "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": NO_VALUE}


class UnresolvableReference(ValueError):
    pass


LOCAL_RESOURCE = "LOCAL_RESOURCE_"  # LOCAL_RESOURCE_<LogicalId>=<what Ref gives>, for resources no variable names


def bindings(function: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Logical id (resource or parameter) -> the value of `Ref` to it, from the function's environment."""
    props = template.transformed()["Resources"][function]["Properties"]
    variables = (props.get("Environment") or {}).get("Variables") or {}
    bound = {name[len(LOCAL_RESOURCE):]: value for name, value in environ.items()
             if name.startswith(LOCAL_RESOURCE) and value}
    for name, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Ref"} and name in environ and environ[name]:
            bound[value["Ref"]] = environ[name]
    return bound


class LocalStack:
    def __init__(self, bound: Mapping[str, str]) -> None:
        self.document = template.transformed()
        self.bound = dict(bound)

    # --- references ------------------------------------------------------------------------------

    def ref(self, name: str) -> Any:
        if name in _PSEUDO:
            return _PSEUDO[name]
        if name in self.bound:
            return self.bound[name]
        parameters = self.document.get("Parameters") or {}
        if name in parameters:
            return parameters[name].get("Default", "")
        resource = self._resource(name)
        if resource["Type"] == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self._queue_name(name)}"
        return name

    def get_att(self, name: str, attribute: str) -> str:
        kind = self._resource(name)["Type"]
        if kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{self.ref(name)}"
        if kind == "AWS::DynamoDB::Table" and attribute == "StreamArn":
            return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{self.ref(name)}/stream/local"
        if kind == "AWS::SQS::Queue" and attribute in ("Arn", "QueueName"):
            queue = self._queue_name(name)
            return queue if attribute == "QueueName" else f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{queue}"
        if kind == "AWS::Lambda::Function" and attribute == "Arn":
            return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{self.ref(name)}"
        if kind == "AWS::Events::EventBus" and attribute == "Arn":
            return f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/{self.ref(name)}"
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:role/{self.ref(name)}"
        if attribute == "Arn":
            service = kind.split("::")[1].lower()
            return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{self.ref(name)}"
        raise UnresolvableReference(f"Fn::GetAtt {name}.{attribute} has no local value")

    def _queue_name(self, name: str) -> str:
        if name in self.bound:
            return self.bound[name].rstrip("/").rsplit("/", 1)[-1]
        fifo = (self._resource(name).get("Properties") or {}).get("FifoQueue")
        return f"{name}.fifo" if fifo else name

    def _resource(self, name: str) -> dict[str, Any]:
        try:
            return self.document["Resources"][name]
        except KeyError:
            raise UnresolvableReference(f"no resource or parameter {name}") from None

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.document["Conditions"][name]))

    # --- intrinsic functions ---------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """`node` with every intrinsic function evaluated; AWS::NoValue items are dropped."""
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, argument), = node.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in node.items()) if v is not NO_VALUE}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))
        out, position = [], 0
        while (start := text.find("${", position)) != -1:
            end = text.index("}", start)
            out.append(text[position:start])
            name = text[start + 2:end]
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif "." in name:
                out.append(self.get_att(*name.split(".", 1)))
            else:
                out.append(str(self.ref(name)))
            position = end + 1
        return "".join(out) + text[position:]


def _get_att(stack: LocalStack, argument: Any) -> str:
    name, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
    return stack.get_att(name, stack.resolve(attribute))


_FUNCTIONS = {
    "Ref": lambda s, a: s.ref(a),
    "Fn::GetAtt": _get_att,
    "Fn::Sub": lambda s, a: s._sub(a),
    "Fn::Join": lambda s, a: s.resolve(a[0]).join(str(v) for v in s.resolve(a[1])),
    "Fn::Select": lambda s, a: s.resolve(a[1])[int(s.resolve(a[0]))],
    "Fn::Split": lambda s, a: s.resolve(a[1]).split(s.resolve(a[0])),
    "Fn::If": lambda s, a: s.resolve(a[1] if s.condition(a[0]) else a[2]),
    "Fn::Equals": lambda s, a: s.resolve(a[0]) == s.resolve(a[1]),
    "Fn::Not": lambda s, a: not s.resolve(a[0]),
    "Fn::And": lambda s, a: all(s.resolve(v) for v in a),
    "Fn::Or": lambda s, a: any(s.resolve(v) for v in a),
    "Condition": lambda s, a: s.condition(a),
}
