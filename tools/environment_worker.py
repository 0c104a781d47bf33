"""The worker side of tools.environments: one function's execution environment.

It starts from the fork server with only what the server allows it to inherit (never the server's
secrets, such as LOCAL_API_KEYS, nor the user's AWS credentials), adds its function's variables from
the template, initialises the function as Lambda's init phase would, then answers one event at a time.
What crosses the pipe is JSON, as with Lambda: a result that JSON cannot carry is Runtime.MarshalError,
and one over Lambda's response limit is Function.ResponseSizeTooLarge.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

from tools.lambda_local import FunctionError

RESPONSE_BYTES_MAX = 6 * 1024 * 1024  # Lambda's synchronous response limit
# What a worker keeps of the server's environment: the interpreter's basics, and the local emulation's
# own settings. Credentials and region are the local run's fixed dummies (tools.dynamodb_local).
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV",
             "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_EVENTBRIDGE", "LOCAL_INDEX_LAG_MS")
INHERITED_PREFIXES = ("LOCAL_RESOURCE_",)


def inherited(environ: Mapping[str, str]) -> dict[str, str]:
    from tools import dynamodb_local

    kept = {k: v for k, v in environ.items() if k in INHERITED or k.startswith(INHERITED_PREFIXES)}
    return {**kept, **dynamodb_local.DUMMY_CREDENTIALS}


def serve(function: str, table_name: str, environ: dict[str, str], connection: Connection) -> None:
    """A worker: initialise, then answer events until the pool closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which closes the pipes
    started = time.perf_counter()
    try:
        handler, context = _initialise(function, table_name, environ)
    except BaseException as failure:  # reported to the pool as an init error
        connection.send(("error", ("Runtime.InitError", f"{type(failure).__name__}: {failure}")))
        return
    connection.send(("ok", json.dumps((time.perf_counter() - started) * 1000)))
    while True:
        try:
            event = connection.recv()
        except (EOFError, OSError):
            return
        try:
            connection.send(("ok", marshal(handler(event, context(function)))))
        except FunctionError as failure:
            connection.send(("error", (failure.error_type, failure.message)))
        except Exception as failure:  # a function error, as Lambda reports it
            connection.send(("error", (type(failure).__name__, str(failure))))


def marshal(result: Any) -> str:
    try:
        text = json.dumps(result)
    except (TypeError, ValueError) as failure:
        raise FunctionError("Runtime.MarshalError", f"Unable to marshal response: {failure}") from failure
    if len(text.encode()) > RESPONSE_BYTES_MAX:
        raise FunctionError("Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed")
    return text


def unmarshal(message: tuple[str, Any]) -> Any:
    """What the pool received: the result, or the function's error raised."""
    outcome, value = message
    if outcome == "error":
        raise FunctionError(*value)
    return json.loads(value)


def _initialise(function: str, table_name: str, environ: dict[str, str]) -> tuple[Any, Any]:
    from tools import lambda_local

    isolate(function, table_name, environ)
    handler = lambda_local.load_handler(function)
    from ledger import dal

    dal.client()  # created in the init phase, as a module-level client would be on Lambda
    return handler, lambda_local.context_for


def isolate(function: str, table_name: str, environ: Mapping[str, str]) -> None:
    """This process's environment as Lambda gives it to `function`: what the server lets workers
    inherit, then the template's variables of that function."""
    from tools import lambda_local

    os.environ.clear()
    os.environ.update(environ)
    lambda_local.configure(function, table_name)
