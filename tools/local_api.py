"""`make run`: the API on http://127.0.0.1:3000 over DynamoDB Local, without Docker.

Each HTTP request goes through API Gateway's steps in its order (route match from template.yaml,
size limit, the authorizer and its result cache, the usage plan, the usage plan's throttle then the
method's), becomes an API Gateway REST proxy event and is handed to the function the template routes
it to. Functions run in warm execution environments (tools.environments), one worker process per
concurrent request of a function, so they never share logger, metrics or module state.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tools import (
    authorizer,
    dynamodb_local,
    environments,
    gateway,
    lambda_local,
    messaging,
    sqs_local,
    stream_local,
    template,
    throttle,
)

DEFAULT_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"  # the docs' sample key, so Stripe's examples work
TABLE_NAME = "ledger"
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
REQUEST_THREADS = 32  # requests served at once; more wait in the server's queue
CONNECTIONS_MAX = 128  # client connections open at once; more wait to be accepted
IDLE_TIMEOUT_S = 60  # a kept-alive connection with no request for this long is closed


def _rule(route: template.Route) -> Rule:
    path = route.path.replace("{", "<").replace("}", ">")
    return Rule(path, methods=[route.method], endpoint=route, strict_slashes=True, merge_slashes=False)


class LocalApi:
    """API Gateway in front of the template's functions. `invoker` runs them (in this process unless
    given: tools.environments.Pool is the server's); `rate_limits` throttles as API Gateway would (each
    mode's usage plan, then each method of the stage); `authorizer_cache` keeps the authorizer's
    results for the template's TTL; `clock` drives both (tests freeze it)."""

    def __init__(self, table_name: str | None = TABLE_NAME, rate_limits: bool = True, clock: Any = None,
                 invoker: Invoker | None = None, authorizer_cache: bool = True) -> None:
        clock_args = [clock] if clock else []
        self.limits = template.throttles()
        self.buckets = throttle.from_template(*clock_args) if rate_limits else None
        self.routes = Map([_rule(r) for r in template.routes()])
        spec = template.default_authorizer()
        self.invoker = invoker or lambda_local.InProcess(functions(), table_name)
        self.authorizer = (authorizer.TokenAuthorizer(spec, self.invoker.invoke, authorizer_cache, *clock_args)
                           if spec else None)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        seen = _seen_by_gateway(request)
        try:
            route, path_parameters = self.routes.bind_to_environ(request.environ).match()
        except HTTPException:
            return _answer("MISSING_AUTHENTICATION_TOKEN", seen)
        seen.resource_path, seen.path_parameters = route.path, dict(path_parameters)
        if (request.content_length or 0) > MAX_REQUEST_BYTES:
            return _answer("REQUEST_TOO_LARGE", seen)
        # A method without authorization (`Auth: {Authorizer: NONE}`) never runs the authorizer, whatever
        # the request's Authorization header holds, and its function receives no authorizer context.
        refusal = self.authorize(seen) if route.authorized else None
        if refusal is not None:
            return _answer(refusal, seen)
        if route.api_key_required and seen.api_key not in self.limits.plans:
            return _answer("INVALID_API_KEY", seen)
        if not self.admit(seen.api_key, route):
            return _answer("THROTTLED", seen)
        event = lambda_local.api_event(
            request.method, request.path, resource=route.path, path_parameters=seen.path_parameters,
            query=request.args.items(multi=True), headers=request.headers.items(),
            body=request.get_data(cache=False), source_ip=seen.source_ip, authorizer=seen.authorizer or None,
            request_id=seen.request_id,
        )
        if len(json.dumps(event).encode()) > lambda_local.REQUEST_BYTES_MAX:
            # Lambda refuses the invocation (RequestEntityTooLargeException): the function never runs.
            print(f"{route.function} not invoked: the event passes Lambda's request limit", file=sys.stderr)
            return _answer("DEFAULT_5XX", seen)
        try:
            result = self.invoker.invoke(route.function, event)
            response = Response(result.get("body") or "", status=result["statusCode"])
            for name, value in (result.get("headers") or {}).items():
                response.headers[name] = value
        except Exception as failure:  # a function error or a malformed result: API Gateway answers 502
            print(f"{route.function} failed: {type(failure).__name__}: {failure}", file=sys.stderr)
            return _answer("DEFAULT_5XX", seen)
        return response

    def admit(self, usage_key: str | None, route: template.Route) -> bool:
        """Whether the throttles let the request through, in AWS's order: its usage plan's limit first,
        then its method's, so that a request one mode's plan refuses takes nothing from the method
        limits the other mode needs."""
        if self.buckets is None:
            return True
        method = throttle.method_bucket(route.method, route.path)
        return self.buckets.take(usage_key or "") and self.buckets.take(method)

    def authorize(self, seen: gateway.Request) -> str | None:
        """The gateway response to refuse the request with, or None; on the way, the authorizer's
        context and usage key are recorded in `seen` (the function receives the context)."""
        if self.authorizer is None:
            seen.authorizer = {"mode": "test"}
            return None
        outcome = self.authorizer.authorize(seen.headers, seen.method, seen.path)
        if outcome.decision is not None:
            seen.authorizer = {"principalId": outcome.decision.principal, **outcome.decision.context}
            seen.api_key = outcome.decision.usage_key
        return outcome.refusal


class Invoker(Protocol):
    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]: ...


def functions() -> list[str]:
    """The functions API Gateway invokes: the authorizer and every route's."""
    spec = template.default_authorizer()
    return list(dict.fromkeys([*([spec.function] if spec else []), *(r.function for r in template.routes())]))


def _seen_by_gateway(request: Request) -> gateway.Request:
    import uuid

    return gateway.Request(method=request.method, path=request.path, request_id=str(uuid.uuid4()),
                           stage=lambda_local.STAGE, source_ip=request.remote_addr or "127.0.0.1",
                           headers={k.lower(): v for k, v in request.headers.items()}, query=dict(request.args))


def _answer(response_type: str, seen: gateway.Request) -> Response:
    """An answer API Gateway gives itself, from the template's gateway responses."""
    answer = gateway.answer(response_type, seen)
    return Response(answer.body, status=answer.status, headers=answer.headers)


def seed_keys(secrets: str) -> list[str]:
    """Store the keys of LOCAL_API_KEYS (comma-separated) as digests; returns them."""
    lambda_local.configure(functions()[0], TABLE_NAME)  # the layer's settings, as a function has them
    lambda_local.use_layer()
    from ledger import api_keys

    keys = [k.strip() for k in secrets.split(",") if k.strip()]
    for key in keys:
        api_keys.register(key)
    return keys


@contextlib.contextmanager
def database() -> Iterator[str]:
    """The DynamoDB endpoint to use: AWS_ENDPOINT_URL_DYNAMODB, an in-process engine (DB=memory),
    or DynamoDB Local persisted under .local/data (RESET=1 empties it)."""
    if os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        yield os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
    elif os.environ.get("DB") == "memory":
        from moto.server import ThreadedMotoServer

        port = dynamodb_local.free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()
    else:
        engine_port = int(os.environ["DYNAMODB_PORT"]) if os.environ.get("DYNAMODB_PORT") else None
        with dynamodb_local.shared_engine(port=engine_port, reset=os.environ.get("RESET") == "1") as endpoint:
            yield endpoint


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the cleanup: stop the workers and the engine
    dynamodb_local.use_dummy_credentials()
    port = int(os.environ.get("PORT", "3000"))
    pool = None
    # The streams' positions are kept with the data they are positions in: DynamoDB Local's own files.
    persisted = not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") and os.environ.get("DB") != "memory"
    positions = dynamodb_local.DATA_DIR / "stream-positions" if persisted else None
    try:
        with database() as endpoint, messaging.local_queues_and_buses() as sqs:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
            dynamodb_local.create_ledger_table(endpoint, TABLE_NAME)
            streams, queues = list(stream_local.stream_mappings()), messaging.consumed_queues()
            # moto loses updates under concurrency: with it, requests are served one at a time.
            pool = environments.Pool([*functions(), *streams, *queues], TABLE_NAME,
                                     serial=os.environ.get("DB") == "memory")
            pool.start()
            pollers: list[Any] = [stream_local.StreamMapping(f, endpoint, TABLE_NAME, pool.invoke, positions)
                                  for f in streams]
            pollers += [sqs_local.QueueMapping(f, queue_url, sqs, pool.invoke) for f, queue_url in queues.items()]
            stop_pollers = threading.Event()
            for poller in pollers:  # Lambda's event source mappings: streams and queues reach their functions
                threading.Thread(target=poller.run, args=(stop_pollers,), daemon=True).start()
            app = LocalApi(rate_limits=os.environ.get("RATE_LIMITS", "on") != "off", invoker=pool)
            keys = seed_keys(os.environ.get("LOCAL_API_KEYS") or DEFAULT_KEY)
            server = http_server(app, port)
            test_keys = [k for k in keys if k.startswith("sk_test_")]
            print(f"DynamoDB at {endpoint}, table {TABLE_NAME}", file=sys.stderr, flush=True)
            print(f"operator console http://127.0.0.1:{port}/console", file=sys.stderr, flush=True)
            print(f"ready http://127.0.0.1:{port} key={(test_keys or keys)[0]}", flush=True)
            server.run()
    except dynamodb_local.EngineUnavailable as problem:
        print(f"cannot start: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if pool is not None:
            pool.close()
    return 0


def http_server(app: LocalApi, port: int) -> Any:
    """Listening on `port` once this returns (`.run()` serves). waitress: HTTP/1.1 with kept-alive
    connections (as clients' pools expect; werkzeug's server closes every connection), a bounded pool
    of request threads and of connections. Each request is logged to stderr; stdout carries the
    functions' JSON logs."""
    from waitress.server import create_server

    def logged(environ: dict[str, Any], start_response: Any) -> Any:
        started = time.perf_counter()

        def start(status: str, headers: Any, *args: Any) -> Any:
            elapsed_ms = (time.perf_counter() - started) * 1000
            print(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} {status.split()[0]} {elapsed_ms:.1f} ms",
                  file=sys.stderr, flush=True)
            return start_response(status, headers, *args)

        return app(environ, start)

    # waitress answers a body beyond its own limit itself: ours (API Gateway's) is checked first.
    return create_server(logged, host="127.0.0.1", port=port, threads=REQUEST_THREADS,
                         connection_limit=CONNECTIONS_MAX, channel_timeout=IDLE_TIMEOUT_S,
                         max_request_body_size=2 * MAX_REQUEST_BYTES, ident="local-api", expose_tracebacks=False)


if __name__ == "__main__":
    sys.exit(main())
