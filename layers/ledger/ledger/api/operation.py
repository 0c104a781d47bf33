"""`operation`: how an API function declares itself, once. Its handler only says which domain function
it calls; the declaration says what the operation accepts (its parameters model), how its result
renders, the response's schema and media type, and a sample request that succeeds on the sample
objects. OpenAPI, the local run, events/ and the benchmark all read it (CONTRIBUTING.md).

The wrapper parses the event (parameters, path, the caller from the authorizer context), validates the
parameters, claims the Idempotency-Key of a POST or DELETE, runs the handler, and renders the response.
Every failure becomes a Stripe-shaped error: clients never see a traceback.
"""

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.logging import correlation_paths

from ledger import errors, idempotency
from ledger.api import form, responses
from ledger.api.responses import Body
from ledger.models import Caller
from ledger.observability import flush_metrics, logger
from ledger.params import Params, parse

P = TypeVar("P", bound=Params)
R = TypeVar("R")
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class Operation(Generic[P, R]):
    """What an API operation is, besides its route (which template.yaml holds)."""

    params: type[P]
    render: Callable[[R, P], Body]
    response: str | None  # the body's schema: a component of openapi.json (Stripe's), None for plain text
    media_type: str = responses.JSON
    sample: Mapping[str, Any] = field(default_factory=dict)  # parameters that succeed on the sample objects
    # Served without an API key (its route says `Auth: {Authorizer: NONE}`): it reads no data, so its
    # caller is anonymous. Only the console's static files are.
    public: bool = False
    other_media_types: tuple[str, ...] = ()  # what else its answers may be (a public operation's files)


@dataclass(frozen=True)
class ApiRequest(Generic[P]):
    caller: Caller
    path: dict[str, str]
    params: P
    claim: idempotency.Claim | None = None  # set for POST and DELETE requests with an Idempotency-Key


def operation(
    params: type[P], render: Callable[[R, P], Body], *, response: str | None,
    media_type: str = responses.JSON, sample: Mapping[str, Any] | None = None, public: bool = False,
    other_media_types: tuple[str, ...] = (),
) -> Callable[[Callable[[ApiRequest[P]], R]], LambdaHandler]:
    spec = Operation(params, render, response, media_type, sample or {}, public, other_media_types)

    def decorate(run: Callable[[ApiRequest[P]], R]) -> LambdaHandler:
        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
        @functools.wraps(run)
        def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            answer = _answer(spec, run, event, context)
            answer["headers"].update(responses.echoed(event))
            return answer

        lambda_handler.operation = spec  # type: ignore[attr-defined]
        return lambda_handler

    return decorate


def _answer(spec: Operation[P, R], run: Callable[[ApiRequest[P]], R], event: dict[str, Any],
            context: Any) -> dict[str, Any]:
    request_id = responses.request_id_of(event)
    try:
        request = _request(event, spec, context)
        result = run(request)
        body = request.claim.body if request.claim and request.claim.body else spec.render(result, request.params)
        return responses.respond(200, body, request_id, media_type=spec.media_type)
    except idempotency.Replay as replay:
        return responses.replayed(replay.record, request_id)
    except errors.StripeError as refused:
        logger.info("refused", extra={"status": refused.status, "code": refused.code, "param": refused.param})
        return responses.error_response(refused, request_id)
    except Exception as failure:  # nothing a client sends may become a 500 with a trace
        return responses.error_response(responses.unexpected(failure), request_id)
    finally:
        flush_metrics()


def _request(event: dict[str, Any], spec: Operation[P, R], context: Any) -> ApiRequest[P]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if spec.public:
        caller = Caller(request_id=responses.request_id_of(event))  # anonymous: it touches no data
    else:
        caller = _caller(event, headers.get("idempotency-key") if event.get("httpMethod") in ("POST", "DELETE")
                         else None)
    if "stripe-account" in headers:
        raise errors.invalid("Connected accounts are not supported: remove the Stripe-Account header.",
                             param="Stripe-Account")
    raw = form.parameters(event)
    params = parse(spec.params, raw)
    claim = None
    if "idempotency-key" in headers and event.get("httpMethod") in ("POST", "DELETE"):
        operation_name = getattr(context, "function_name", "") or event.get("resource", "")

        def render(result: R) -> dict[str, Any]:
            body = spec.render(result, params)
            assert isinstance(body, dict), "idempotent operations answer JSON"
            return body

        claim = idempotency.client_claim(caller.mode, headers["idempotency-key"], operation_name,
                                         event.get("path", ""), raw, render)
    return ApiRequest(caller=caller, path=event.get("pathParameters") or {}, params=params, claim=claim)


def _caller(event: dict[str, Any], idempotency_key: str | None = None) -> Caller:
    """Who is calling, from the authorizer's context. Without one the function refuses to run: it was
    invoked around the authorizer."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    if authorizer.get("mode") not in ("test", "live"):
        raise errors.StripeError(401, "This function answers only requests its API's authorizer allowed.")
    return Caller(mode=authorizer["mode"], key_id=authorizer.get("key_id"),
                  request_id=responses.request_id_of(event), idempotency_key=idempotency_key)
