"""`make run`: the API on http://127.0.0.1:3000 over DynamoDB Local, without Docker.

Each HTTP request is matched against the routes of template.yaml, turned into an API Gateway REST
proxy event and handed to the function the template routes it to, in API Gateway's order (route
match, then the function). Requests run in forked worker processes, so concurrent requests run
concurrently and never share logger or metrics state.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import Iterator
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from tools import dynamodb_local, gateway, lambda_local, template, throttle

DEFAULT_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"  # the docs' sample key, so Stripe's examples work
TABLE_NAME = "ledger"
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


def _rule(route: template.Route) -> Rule:
    path = route.path.replace("{", "<").replace("}", ">")
    return Rule(path, methods=[route.method], endpoint=route, strict_slashes=True, merge_slashes=False)


class LocalApi:
    """`rate_limits`: throttle as API Gateway would (the stage and each mode's usage plan); `clock` drives
    the buckets (tests freeze it)."""

    def __init__(self, table_name: str | None = TABLE_NAME, rate_limits: bool = True,
                 clock: Any = None) -> None:
        self.table_name = table_name
        self.limits = template.throttles()
        self.buckets = throttle.from_template(*([clock] if clock else [])) if rate_limits else None
        self.routes = Map([_rule(r) for r in template.routes()])
        self.handlers = {}
        self.authorizer = template.default_authorizer()
        if self.authorizer:
            lambda_local.configure(self.authorizer.function, table_name)
            self.handlers[self.authorizer.function] = lambda_local.load_handler(self.authorizer.function)
        for route in template.routes():
            lambda_local.configure(route.function, table_name)  # Powertools reads its env at import
            self.handlers[route.function] = lambda_local.load_handler(route.function)

    def warm(self) -> None:
        """Create the DynamoDB client once before forking, so each worker inherits it instead of paying
        for its own (about 75 ms). It must hold no open connection: a socket inherited by several
        workers would interleave their requests, so any client that was used here is dropped first."""
        from ledger import dal

        dal.client.cache_clear()
        dal.client()

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
        if self.buckets is not None and not self.buckets.take(throttle.STAGE):
            return _answer("THROTTLED", seen)
        refused = self.authorize(request, seen)
        if refused is not None:
            return refused
        if self.limits.api_key_required and seen.api_key not in self.limits.plans:
            return _answer("INVALID_API_KEY", seen)
        if self.buckets is not None and not self.buckets.take(seen.api_key or ""):
            return _answer("THROTTLED", seen)
        event = lambda_local.api_event(
            request.method, request.path, resource=route.path, path_parameters=seen.path_parameters,
            query=request.args.items(multi=True), headers=request.headers.items(),
            body=request.get_data(cache=False), source_ip=seen.source_ip, authorizer=seen.authorizer,
            request_id=seen.request_id,
        )
        lambda_local.configure(route.function, self.table_name)
        try:
            result = self.handlers[route.function](event, lambda_local.LambdaContext(route.function))
            response = Response(result.get("body") or "", status=result["statusCode"])
            for name, value in (result.get("headers") or {}).items():
                response.headers[name] = value
        except Exception as failure:  # a function error: API Gateway answers 502 itself
            print(f"{route.function} failed: {type(failure).__name__}: {failure}", file=sys.stderr)
            return _answer("DEFAULT_5XX", seen)
        return response

    def authorize(self, request: Request, seen: gateway.Request) -> Response | None:
        """What API Gateway does with a TOKEN authorizer: no header is 401 without calling it; a Deny
        is the ACCESS_DENIED gateway response with the authorizer's context; an Allow passes its context
        on to the function (in `seen.authorizer`)."""
        if self.authorizer is None:
            seen.authorizer = {"mode": "test"}
            return None
        token = request.headers.get(self.authorizer.header)
        expression = self.authorizer.validation_expression
        if not token or (expression and not re.fullmatch(expression, token)):
            return _answer("UNAUTHORIZED", seen)
        stage_arn = f"arn:aws:execute-api:us-east-1:000000000000:local/{lambda_local.STAGE}"
        method_arn = f"{stage_arn}/{request.method}{request.path}"
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        function = self.authorizer.function
        lambda_local.configure(function, self.table_name)
        try:
            decision = self.handlers[function](event, lambda_local.LambdaContext(function))
            statement = decision["policyDocument"]["Statement"][0]
            context = decision.get("context") or {}
            if not all(isinstance(v, str | int | float | bool) for v in context.values()):
                raise TypeError("an authorizer context holds strings, numbers and booleans only")
        except Exception as failure:
            print(f"authorizer failed: {type(failure).__name__}: {failure}", file=sys.stderr)
            return _answer("UNAUTHORIZED" if str(failure) == "Unauthorized" else "AUTHORIZER_CONFIGURATION_ERROR",
                           seen)
        seen.authorizer = {"principalId": decision["principalId"], **context}
        seen.api_key = decision.get("usageIdentifierKey")
        if statement["Effect"] != "Allow" or not _covers(statement["Resource"], method_arn):
            return _answer("ACCESS_DENIED", seen)
        return None


def _seen_by_gateway(request: Request) -> gateway.Request:
    import uuid

    return gateway.Request(method=request.method, path=request.path, request_id=str(uuid.uuid4()),
                           stage=lambda_local.STAGE, source_ip=request.remote_addr or "127.0.0.1",
                           headers={k.lower(): v for k, v in request.headers.items()}, query=dict(request.args))


def _answer(response_type: str, seen: gateway.Request) -> Response:
    """An answer API Gateway gives itself, from the template's gateway responses."""
    answer = gateway.answer(response_type, seen)
    return Response(answer.body, status=answer.status, headers=answer.headers)


def _covers(resource: str, method_arn: str) -> bool:
    from fnmatch import fnmatchcase

    return fnmatchcase(method_arn, resource)


def seed_keys(secrets: str) -> list[str]:
    """Store the keys of LOCAL_API_KEYS (comma-separated) as digests; returns them."""
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
    server_pid = os.getpid()

    def on_term(*_: Any) -> None:
        # The server runs its cleanup (which stops the engine); a forked worker just ends.
        if os.getpid() == server_pid:
            sys.exit(0)
        os._exit(1)

    signal.signal(signal.SIGTERM, on_term)
    dynamodb_local.use_dummy_credentials()
    port = int(os.environ.get("PORT", "3000"))
    try:
        with database() as endpoint:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
            dynamodb_local.create_ledger_table(endpoint, TABLE_NAME)
            app = LocalApi(rate_limits=os.environ.get("RATE_LIMITS", "on") != "off")
            keys = seed_keys(os.environ.get("LOCAL_API_KEYS") or DEFAULT_KEY)
            app.warm()
            # moto loses updates under concurrency: with it, requests are served one at a time.
            processes = 1 if os.environ.get("DB") == "memory" else 16
            test_keys = [k for k in keys if k.startswith("sk_test_")]
            print(f"DynamoDB at {endpoint}, table {TABLE_NAME}", file=sys.stderr, flush=True)
            print(f"ready http://127.0.0.1:{port} key={(test_keys or keys)[0]}", flush=True)
            run_simple("127.0.0.1", port, app, processes=processes, threaded=False, use_reloader=False,
                       request_handler=_QuietHandler)
    except dynamodb_local.EngineUnavailable as problem:
        print(f"cannot start: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


from werkzeug.serving import WSGIRequestHandler  # noqa: E402


class _QuietHandler(WSGIRequestHandler):
    """Access lines go to stderr; stdout carries the functions' JSON logs. Errors the HTTP layer
    answers itself (a request line too long, a malformed request) are Stripe-shaped too."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        body = json.dumps({"error": {"type": "invalid_request_error",
                                     "message": message or "The request could not be read."}}).encode()
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def log(self, type: str, message: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {message % args}\n")


if __name__ == "__main__":
    sys.exit(main())
