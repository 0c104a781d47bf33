"""Warm execution environments for the local run, as Lambda keeps them.

An environment is a worker process that has imported one function (its module, the layer, boto3)
with that function's configuration, and keeps its DynamoDB client and connections between requests.
It serves one request at a time. The pool pre-starts one environment per function; a request that
finds every environment of its function busy starts another (a cold start, logged as Lambda logs
INIT), up to `environments_per_function_max`; beyond that it waits for one to free up. A function
never shares a process with another function, so no logger, metrics, socket or module state passes
between functions; an environment whose function crashed or timed out is discarded, as Lambda does.

Workers are forked from a fork server that has imported only third-party modules (before any
function's environment variables are set), so starting one costs the function's own imports only.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from tools import lambda_local
from tools.lambda_local import FunctionError

# Imported by the fork server once, for every worker: what each function imports before its own code.
PRELOAD = ["tools.environments", "tools.environment_preload"]
ENVIRONMENTS_PER_FUNCTION_MAX = 8  # AWS scales further; on a laptop more processes only add contention
INIT_BUDGET_S = 10.0  # Lambda's init phase limit


@dataclass
class Environment:
    function: str
    number: int
    process: Any
    connection: Connection

    def invoke(self, event: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        self.connection.send(event)
        if not self.connection.poll(timeout_s):
            raise FunctionError("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds")
        outcome, value = self.connection.recv()
        if outcome == "error":
            raise FunctionError(*value)
        return value

    def discard(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(1)


@dataclass
class _Slots:
    idle: list[Environment] = field(default_factory=list)
    count: int = 0


class Pool:
    """`serial`: one invocation at a time across all functions (for an engine that loses concurrent
    updates, such as moto)."""

    def __init__(self, functions: Iterable[str], table_name: str, serial: bool = False,
                 per_function_max: int = ENVIRONMENTS_PER_FUNCTION_MAX) -> None:
        self.table_name = table_name
        self.endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")  # the engine the server uses now
        self.per_function_max = 1 if serial else per_function_max
        self.serial = threading.Lock() if serial else None
        self.timeouts_s = {f: float(lambda_local.limits(f)[1]) for f in functions}
        self.slots = {f: _Slots() for f in self.timeouts_s}
        self.freed = threading.Condition()
        self.numbers = iter(range(1, sys.maxsize))
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(PRELOAD)

    def start(self) -> None:
        """One warm environment per function, started side by side."""
        starting = [self._spawn(function) for function in self.slots]
        for environment in starting:
            self._await_ready(environment)
            self.slots[environment.function].idle.append(environment)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        environment = self._acquire(function)
        try:
            if self.serial:
                with self.serial:
                    result = environment.invoke(event, self.timeouts_s[function])
            else:
                result = environment.invoke(event, self.timeouts_s[function])
        except FunctionError as failure:
            # A timed-out environment is still running the event: Lambda replaces it. One that
            # merely raised stays warm, as on Lambda.
            if failure.error_type == "Sandbox.Timedout":
                self._drop(environment)
            else:
                self._release(environment)
            raise
        except (OSError, EOFError) as failure:  # the process died mid-request
            self._drop(environment)
            raise FunctionError("Runtime.ExitError", f"{function} exited: {failure!r}") from failure
        self._release(environment)
        return result

    def close(self) -> None:
        with self.freed:
            for slots in self.slots.values():
                for environment in slots.idle:
                    environment.discard()
                slots.idle.clear()

    def _acquire(self, function: str) -> Environment:
        slots = self.slots[function]
        deadline = time.monotonic() + self.timeouts_s[function]
        with self.freed:
            while not slots.idle and slots.count >= self.per_function_max:
                if not self.freed.wait(max(0.0, deadline - time.monotonic())):
                    raise FunctionError("TooManyRequestsException", f"no {function} environment free in time")
            if slots.idle:
                return slots.idle.pop()  # the most recently used: the warmest
            environment = self._spawn(function)
        try:
            self._await_ready(environment)
        except FunctionError:
            self._drop(environment)
            raise
        return environment

    def _release(self, environment: Environment) -> None:
        with self.freed:
            self.slots[environment.function].idle.append(environment)
            self.freed.notify()

    def _drop(self, environment: Environment) -> None:
        environment.discard()
        with self.freed:
            self.slots[environment.function].count -= 1
            self.freed.notify()

    def _spawn(self, function: str) -> Environment:
        """Called with room for one more environment of `function` (and under the lock when serving)."""
        self.slots[function].count += 1
        number = next(self.numbers)
        ours, theirs = self.context.Pipe()
        process = self.context.Process(target=serve, args=(function, self.table_name, self.endpoint, theirs),
                                       name=f"{function}-{number}", daemon=True)
        process.start()
        theirs.close()
        print(f"INIT_START {function} environment {number}", file=sys.stderr, flush=True)
        return Environment(function, number, process, ours)

    def _await_ready(self, environment: Environment) -> None:
        if not environment.connection.poll(INIT_BUDGET_S):
            raise FunctionError("Runtime.InitError", f"no answer within {INIT_BUDGET_S:.0f} s")
        try:
            outcome, value = environment.connection.recv()
        except (OSError, EOFError) as failure:
            raise FunctionError("Runtime.InitError", f"{environment.function} exited: {failure!r}") from failure
        if outcome != "ready":
            raise FunctionError(*value)
        print(f"INIT_REPORT {environment.function} environment {environment.number} "
              f"Init Duration: {value:.2f} ms", file=sys.stderr, flush=True)


def serve(function: str, table_name: str, endpoint: str | None, connection: Connection) -> None:
    """A worker: initialise the function as Lambda's init phase would, then answer events until the
    pool closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which closes the pipes
    started = time.perf_counter()
    try:
        handler, context = _initialise(function, table_name, endpoint)
    except BaseException as failure:  # reported to the pool as an init error
        connection.send(("error", ("Runtime.InitError", f"{type(failure).__name__}: {failure}")))
        return
    connection.send(("ready", (time.perf_counter() - started) * 1000))
    while True:
        try:
            event = connection.recv()
        except (EOFError, OSError):
            return
        try:
            connection.send(("ok", handler(event, context(function))))
        except Exception as failure:  # a function error, as Lambda reports it
            connection.send(("error", (type(failure).__name__, str(failure))))


def _initialise(function: str, table_name: str, endpoint: str | None) -> tuple[Any, Any]:
    isolate(function, table_name, endpoint)
    handler = lambda_local.load_handler(function)
    from ledger import dal

    dal.client()  # created in the init phase, as a module-level client would be on Lambda
    return handler, lambda_local.context_for


def isolate(function: str, table_name: str, endpoint: str | None) -> None:
    """This process's environment as Lambda gives it to `function`: the template's variables of that
    function only (the fork server's environment is the server's, which may hold another function's),
    and the DynamoDB endpoint the server uses."""
    from tools import template

    for name in {name for other in template.functions() for name in template.environment(other, "")}:
        os.environ.pop(name, None)
    if endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    lambda_local.configure(function, table_name)
