"""API Gateway's side of a TOKEN Lambda authorizer, for the local run.

A request without the identity header, or with one that fails the template's ValidationExpression,
is refused (UNAUTHORIZED) before any function runs. Otherwise API Gateway looks the token up in its
authorizer result cache; on a miss it invokes the authorizer function and caches what it returned
(policy, principal, context, usage key) for the template's ReauthorizeEvery seconds. The cached policy
is then evaluated against every request made with that token, whatever its route: so a revoked key
keeps working until its entry expires, locally as on AWS.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from tools import template
from tools.lambda_local import STAGE, FunctionError

ENTRIES_MAX = 10_000  # distinct tokens remembered at once; the least recently used is forgotten first
_VALUE = str | int | float | bool


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def covers(self, method_arn: str) -> bool:
        return (any(fnmatchcase("execute-api:Invoke", action) for action in self.actions)
                and any(fnmatchcase(method_arn, resource) for resource in self.resources))


@dataclass(frozen=True)
class Decision:
    """What the authorizer returned for a token, as API Gateway keeps it."""

    principal: str
    statements: tuple[Statement, ...]
    context: dict[str, Any]
    usage_key: str | None

    def allows(self, method_arn: str) -> bool:
        """IAM's rule: an explicit Deny wins, then an Allow is needed."""
        covering = [s.effect for s in self.statements if s.covers(method_arn)]
        return "Allow" in covering and "Deny" not in covering


@dataclass(frozen=True)
class Outcome:
    """`refusal`: the gateway response type API Gateway answers with, or None to go on."""

    refusal: str | None
    decision: Decision | None = None


def _statement(raw: dict[str, Any]) -> Statement:
    """One IAM statement; Action and Resource may each be a string or a list of them."""
    def strings(value: Any) -> tuple[str, ...]:
        values = (value,) if isinstance(value, str) else tuple(value)
        if not values or not all(isinstance(v, str) for v in values):
            raise ValueError(f"not a string or a list of strings: {value!r}")
        return values

    if raw["Effect"] not in ("Allow", "Deny"):
        raise ValueError(f"unknown effect {raw['Effect']!r}")
    return Statement(raw["Effect"], strings(raw["Action"]), strings(raw["Resource"]))


class TokenAuthorizer:
    def __init__(self, spec: template.Authorizer, invoke: Callable[[str, dict[str, Any]], dict[str, Any]],
                 cache: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.spec = spec
        self.invoke = invoke
        self.ttl_s = spec.ttl_seconds if cache else 0
        self.clock = clock
        self.cached: OrderedDict[str, tuple[float, Decision]] = OrderedDict()
        self.lock = threading.Lock()

    def authorize(self, headers: dict[str, str], method: str, path: str) -> Outcome:
        token = headers.get(self.spec.header.lower())
        expression = self.spec.validation_expression
        if not token or (expression and not re.fullmatch(expression, token)):
            return Outcome("UNAUTHORIZED")
        method_arn = f"arn:aws:execute-api:us-east-1:000000000000:local/{STAGE}/{method}{path}"
        decision = self._cached(token)
        if decision is None:
            try:
                decision = self._ask(token, method_arn)
            except FunctionError as failure:
                print(f"authorizer failed: {failure}", file=sys.stderr)
                # Raising "Unauthorized" is how an authorizer says 401; anything else is its failure.
                return Outcome("UNAUTHORIZED" if failure.message == "Unauthorized"
                               else "AUTHORIZER_CONFIGURATION_ERROR")
            self._remember(token, decision)
        return Outcome(None if decision.allows(method_arn) else "ACCESS_DENIED", decision)

    def _ask(self, token: str, method_arn: str) -> Decision:
        answer = self.invoke(self.spec.function, {"type": "TOKEN", "authorizationToken": token,
                                                  "methodArn": method_arn})
        try:
            statements = tuple(_statement(s) for s in answer["policyDocument"]["Statement"])
            decision = Decision(str(answer["principalId"]), statements, dict(answer.get("context") or {}),
                                answer.get("usageIdentifierKey"))
        except (KeyError, TypeError, ValueError, AttributeError) as problem:
            raise FunctionError("AuthorizerConfigurationException", f"malformed policy: {problem!r}") from problem
        if not statements:
            raise FunctionError("AuthorizerConfigurationException", "a policy needs a statement")
        if not all(isinstance(v, _VALUE) for v in decision.context.values()):
            raise FunctionError("AuthorizerConfigurationException",
                                "an authorizer context holds strings, numbers and booleans only")
        return decision

    def _cached(self, token: str) -> Decision | None:
        if not self.ttl_s:
            return None
        with self.lock:
            entry = self.cached.get(token)
            if entry is None or entry[0] <= self.clock():
                self.cached.pop(token, None)
                return None
            self.cached.move_to_end(token)
            return entry[1]

    def _remember(self, token: str, decision: Decision) -> None:
        if not self.ttl_s:
            return
        with self.lock:
            self.cached[token] = (self.clock() + self.ttl_s, decision)
            self.cached.move_to_end(token)
            while len(self.cached) > ENTRIES_MAX:
                self.cached.popitem(last=False)
