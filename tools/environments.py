"""Warm execution environments for the local run, as Lambda keeps them.

An environment is a worker process that has imported one function (its module, the layer, boto3)
with that function's configuration, and keeps its DynamoDB client and connections between requests.
It serves one request at a time. The pool pre-starts one environment per function; a request that
finds every environment of its function busy starts another (a cold start, logged as Lambda logs
INIT), up to `ENVIRONMENTS_PER_FUNCTION_MAX`; beyond that it waits for one to free up, at most the
function's timeout. An environment idle for `IDLE_RETIRE_S` is retired (Lambda reclaims idle ones),
but each function keeps one. A function never shares a process with another function, so no logger,
metrics, socket or module state passes between functions; an environment that timed out or died is
replaced, as Lambda does. The worker's side is tools/environment_worker.py.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from tools import environment_worker, lambda_local
from tools.lambda_local import FunctionError

# Imported by the fork server once, for every worker: what each function imports before its own code.
PRELOAD = ["tools.environment_worker", "tools.environment_preload"]
ENVIRONMENTS_PER_FUNCTION_MAX = 8  # AWS scales further; on a laptop more processes only add contention
IDLE_RETIRE_S = 300.0  # an extra environment unused this long is stopped
INIT_BUDGET_S = 10.0  # Lambda's init phase limit


@dataclass
class Environment:
    function: str
    number: int
    process: Any
    connection: Connection
    ready: bool = False  # initialised
    idle_since: float = 0.0

    def invoke(self, event: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        self.connection.send(event)
        if not self.connection.poll(timeout_s):
            raise FunctionError("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds")
        return environment_worker.unmarshal(self.connection.recv())

    def discard(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(1)


@dataclass
class _Slots:
    idle: list[Environment] = field(default_factory=list)
    count: int = 0  # idle, busy and starting


class Pool:
    """`serial`: one invocation at a time across all functions (for an engine that loses concurrent
    updates, such as moto)."""

    def __init__(self, functions: Iterable[str], table_name: str, serial: bool = False,
                 per_function_max: int = ENVIRONMENTS_PER_FUNCTION_MAX,
                 clock: Any = time.monotonic) -> None:
        self.table_name = table_name
        self.environ = environment_worker.inherited(os.environ)  # what workers may see of the server's
        self.per_function_max = 1 if serial else per_function_max
        self.serial = threading.Lock() if serial else None
        self.timeouts_s = {f: float(lambda_local.limits(f)[1]) for f in functions}
        self.slots = {f: _Slots() for f in self.timeouts_s}
        self.changed = threading.Condition()
        self.clock = clock
        self.numbers = iter(range(1, sys.maxsize))
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(PRELOAD)

    def start(self) -> None:
        """One warm environment per function, started side by side. A function that fails to
        initialise is reported and tried again on its first request, as Lambda would."""
        with self.changed:
            starting = [self._spawn(function) for function in self.slots]
        for environment in starting:
            try:
                self._await_ready(environment)
            except FunctionError as failure:
                print(f"INIT_FAILED {environment.function}: {failure}", file=sys.stderr, flush=True)
                self._drop(environment)
            else:
                self._release(environment)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        environment = self._acquire(function)
        try:
            if self.serial:
                with self.serial:
                    result = environment.invoke(event, self.timeouts_s[function])
            else:
                result = environment.invoke(event, self.timeouts_s[function])
        except FunctionError as failure:
            # An error the function raised leaves its environment warm, as on Lambda; a timed-out one is
            # still running the event, and is replaced.
            (self._drop if failure.error_type == "Sandbox.Timedout" else self._release)(environment)
            raise
        except (OSError, EOFError) as failure:  # the process died mid-request
            self._drop(environment)
            raise FunctionError("Runtime.ExitError", f"{function} exited: {failure!r}") from failure
        except BaseException:
            self._drop(environment)
            raise
        self._release(environment)
        return result

    def close(self) -> None:
        with self.changed:
            idle = [environment for slots in self.slots.values() for environment in slots.idle]
            for slots in self.slots.values():
                slots.idle.clear()
        for environment in idle:
            environment.discard()

    def _acquire(self, function: str) -> Environment:
        slots = self.slots[function]
        while True:
            with self.changed:
                ready = self.changed.wait_for(lambda: slots.idle or slots.count < self.per_function_max,
                                              self.timeouts_s[function])
                if not ready:
                    raise FunctionError("TooManyRequestsException", f"no {function} environment free in time")
                environment = slots.idle.pop() if slots.idle else self._spawn(function)  # the warmest first
                retired = self._retire()
            for old in retired:
                old.discard()
            if environment.ready and not environment.process.is_alive():  # died while idle
                self._drop(environment)
                continue
            if not environment.ready:  # just started
                try:
                    self._await_ready(environment)
                except BaseException:
                    self._drop(environment)
                    raise
            return environment

    def _release(self, environment: Environment) -> None:
        environment.idle_since = self.clock()
        with self.changed:
            self.slots[environment.function].idle.append(environment)
            self.changed.notify_all()  # waiters of every function share the condition

    def _drop(self, environment: Environment) -> None:
        environment.discard()
        with self.changed:
            self.slots[environment.function].count -= 1
            self.changed.notify_all()

    def _retire(self) -> list[Environment]:
        """Under the lock: the extra environments idle for too long, taken out of the pool."""
        retired, now = [], self.clock()
        for slots in self.slots.values():
            for environment in list(slots.idle):
                if slots.count > 1 and now - environment.idle_since >= IDLE_RETIRE_S:
                    slots.idle.remove(environment)
                    slots.count -= 1
                    retired.append(environment)
        return retired

    def _spawn(self, function: str) -> Environment:
        """Under the lock, with room for one more environment of `function`."""
        number = next(self.numbers)
        ours, theirs = self.context.Pipe()
        process = self.context.Process(
            target=environment_worker.serve, name=f"{function}-{number}", daemon=True,
            args=(function, self.table_name, self.environ, theirs))
        try:
            process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.slots[function].count += 1
        print(f"INIT_START {function} environment {number}", file=sys.stderr, flush=True)
        return Environment(function, number, process, ours)

    def _await_ready(self, environment: Environment) -> None:
        if not environment.connection.poll(INIT_BUDGET_S):
            raise FunctionError("Runtime.InitError", f"no answer within {INIT_BUDGET_S:.0f} s")
        try:
            init_ms = environment_worker.unmarshal(environment.connection.recv())
        except (OSError, EOFError) as failure:
            raise FunctionError("Runtime.InitError", f"{environment.function} exited: {failure!r}") from failure
        environment.ready = True
        print(f"INIT_REPORT {environment.function} environment {environment.number} "
              f"Init Duration: {init_ms:.2f} ms", file=sys.stderr, flush=True)
