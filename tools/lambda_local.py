"""Run the template's functions in this process as Lambda would: the layer on sys.path, each
function's module loaded by path under a unique name (every function's module is `app.py`), its
environment from the template, and API Gateway REST proxy events built faithfully."""

from __future__ import annotations

import base64
import functools
import importlib.util
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from tools import local_aws, template

LAYER_DIR = template.ROOT / "layers" / "ledger"
STAGE = "stripe"
REQUEST_BYTES_MAX = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit (the event)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def use_layer() -> None:
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))


def configure(function: str, table_name: str | None) -> None:
    """The function's environment from the template (Globals first, then its own variables).
    With `table_name` None, TABLE_NAME is left as it is (tests point it at their own table)."""
    variables = template.environment(function, table_name or "")
    if table_name is None:
        variables.pop("TABLE_NAME", None)
    os.environ.update(variables)
    if "ledger.config" in sys.modules:  # settings follow the environment of the function about to run
        sys.modules["ledger.config"].settings.cache_clear()


def load_handler(function: str) -> Handler:
    """The function's handler, invoked as Lambda would with its role: every AWS call it makes is
    decided against the role the template gives it (tools.local_aws)."""
    handler = _load(function)

    @functools.wraps(handler)
    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with local_aws.acting_as(function):
            return handler(event, context)

    return invoke


def operation_of(function: str) -> Any:
    """What an API function declares of itself (ledger.api.operation.Operation)."""
    return _load(function).__dict__["operation"]


def _load(function: str) -> Handler:
    local_aws.install()
    use_layer()
    props = template.function_properties(function)
    module_name, attribute = props["Handler"].rsplit(".", 1)
    path = template.ROOT / props["CodeUri"] / f"{module_name.replace('.', '/')}.py"
    unique = f"functions.{function}.{module_name}"
    module = sys.modules.get(unique)
    if module is None:
        spec = importlib.util.spec_from_file_location(unique, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        spec.loader.exec_module(module)
    return getattr(module, attribute)


def context_for(function: str) -> LambdaContext:
    """A context with the function's memory and timeout from the template."""
    return LambdaContext(function, *limits(function))


@functools.cache
def limits(function: str) -> tuple[int, int]:
    """The function's memory (MB) and timeout (s), with Lambda's defaults."""
    props = template.function_properties(function)
    return int(props.get("MemorySize", 128)), int(props.get("Timeout", 3))


class FunctionError(Exception):
    """The function failed as Lambda reports it (errorType, errorMessage): it raised, crashed, timed
    out or could not start. API Gateway answers the client itself."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type, self.message = error_type, message


class InProcess:
    """Every function invoked in this process, one environment variable set at a time: what tests
    use, so that they can reach into the layer the handlers run (tools.environments is the local
    server's isolated, warm alternative). `table_name` None leaves TABLE_NAME to the caller."""

    def __init__(self, functions: Iterable[str], table_name: str | None) -> None:
        self.table_name = table_name
        self.handlers = {}
        for function in functions:
            configure(function, table_name)  # Powertools reads its environment at import
            self.handlers[function] = load_handler(function)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        from tools.environment_worker import marshal

        configure(function, self.table_name)
        try:
            result = self.handlers[function](event, context_for(function))
        except Exception as failure:
            raise FunctionError(type(failure).__name__, str(failure)) from failure
        answer: dict[str, Any] = json.loads(marshal(result))  # what Lambda returns is JSON
        return answer


class LambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    def __init__(self, function: str, memory_mb: int = 256, timeout_s: int = 10) -> None:
        self.function_name = function
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def api_event(
    method: str,
    path: str,
    *,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    query: Iterable[tuple[str, str]] = (),
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    authorizer: dict[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    request_time_ms: int | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as API Gateway builds it: multi-value maps plus their
    last-value forms, a text body or base64 when it is not UTF-8."""
    multi_query: dict[str, list[str]] = {}
    for key, value in query:
        multi_query.setdefault(key, []).append(value)
    multi_headers: dict[str, list[str]] = {}
    for key, value in headers:
        multi_headers.setdefault(key, []).append(value)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    request_id = request_id or str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource, "httpMethod": method, "path": f"/{STAGE}{path}", "stage": STAGE,
            "requestId": request_id, "extendedRequestId": request_id, "accountId": "000000000000",
            "apiId": "local", "protocol": "HTTP/1.1", "requestTimeEpoch": request_time_ms or int(time.time() * 1000),
            "identity": {"sourceIp": source_ip,
                         "userAgent": next((v[-1] for k, v in multi_headers.items() if k.lower() == "user-agent"),
                                           None)},
            "authorizer": authorizer,
        },
        "body": text or None,
        "isBase64Encoded": encoded,
    }


def form_fields(params: dict[str, Any] | list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Stripe's bracket encoding of nested parameters (`metadata[k]=v`, `expand[]=x`) as fields."""
    if isinstance(params, list):
        return params
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}[{key}]", item)
        elif isinstance(value, list):
            for item in value:
                walk(f"{prefix}[]", item)
        else:
            pairs.append((prefix, "" if value is None else str(value)))

    for key, value in params.items():
        walk(key, value)
    return pairs
