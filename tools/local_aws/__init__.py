"""The local run's AWS, as strict as AWS wherever the ledger depends on it.

DynamoDB Local and moto enforce no IAM and not all of DynamoDB's limits, so code that works here could
fail on its first deploy. Every boto3 call made in a process that installed this hook is first decided
as AWS would decide it: against the calling function's role (as the SAM transform of template.yaml
builds it; `acting_as` names the function, `tools.lambda_local` does so around every invocation), then
against DynamoDB's documented limits. A refused call is answered as AWS answers it, through botocore's
own error path (AccessDeniedException, ValidationException), and never reaches the engine. Calls made
outside any function (test set-up, operator tools) are checked against the limits only.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from typing import Any

from tools.local_aws import dynamodb_limits, iam, index_lag

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("local_aws_function", default=None)
_PARAMS = "local_aws_params"
# What each function was allowed, for the least-privilege check: function -> {(action, resource)}.
granted: dict[str, set[tuple[str, str]]] = {}
_ERRORS = {  # service -> (code, HTTP status) of an authorization failure
    "dynamodb": ("AccessDeniedException", 400), "sqs": ("AccessDenied", 403), "s3": ("AccessDenied", 403),
    "events": ("AccessDeniedException", 400),
}


@contextlib.contextmanager
def acting_as(function: str) -> Iterator[None]:
    """AWS calls made in this block are made with `function`'s role."""
    token = _function.set(function)
    try:
        yield
    finally:
        _function.reset(token)


def install() -> None:
    """Check every boto3 client's calls from now on (idempotent). Registered as a botocore built-in
    handler, so sessions created later (moto's mock_aws makes its own) are covered too."""
    import boto3
    from botocore import handlers

    if any(entry[1] is _remember_params for entry in handlers.BUILTIN_HANDLERS):
        return
    hooks: list[tuple[str, Any]] = [("before-parameter-build", _remember_params), ("before-call", _decide),
                                    ("after-call.dynamodb.Query", _propagate)]
    handlers.BUILTIN_HANDLERS.extend(hooks)
    if boto3.DEFAULT_SESSION is not None:
        events = boto3.DEFAULT_SESSION._session.get_component("event_emitter")
        for event, handler in hooks:
            events.register(event, handler)


def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = params


def _decide(model: Any, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
    service = model.service_model.service_name
    params = context.get(_PARAMS) or {}
    function = _function.get()
    if function is not None:
        role = iam.role_of(function, os.environ)
        for request in iam.requests_of(service, model.name, params):
            if not role.allows(request):
                code, status = _ERRORS.get(service, ("AccessDeniedException", 403))
                return _error(status, code, iam.denial_message(role, function, request))
            granted.setdefault(function, set()).add((request.action, request.resource))
    if service == "dynamodb" and (problem := dynamodb_limits.violation(model.name, params)):
        return _error(400, "ValidationException", problem)
    if service == "dynamodb":
        _note_index_writes(model.name, params)
    return None


def _note_index_writes(operation: str, params: dict[str, Any]) -> None:
    puts = [params] if operation == "PutItem" else [
        entry["Put"] for entry in params.get("TransactItems", []) if "Put" in entry] if (
        operation == "TransactWriteItems") else []
    indexes = dynamodb_limits.index_names()
    for put in puts:
        index_lag.written(put["TableName"], put["Item"], indexes)


def _propagate(model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    index = (context.get(_PARAMS) or {}).get("IndexName")
    if index:
        index_lag.hide_recent(index, parsed)


def _error(status: int, code: str, message: str) -> tuple[Any, dict[str, Any]]:
    """An error response as botocore parses one from AWS (the call raises ClientError from it)."""
    import uuid

    from botocore.awsrequest import AWSResponse

    request_id = uuid.uuid4().hex.upper()
    headers = {"x-amzn-requestid": request_id}
    http = AWSResponse("https://local-aws", status, headers, None)
    parsed = {"Error": {"Code": code, "Message": message},
              "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": status, "HTTPHeaders": headers,
                                   "RetryAttempts": 0}}
    return http, parsed
