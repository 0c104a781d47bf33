"""`operation`: the one wrapper every API function uses, so each handler only says which domain
function it calls, and the operation declares how its result renders.

The wrapper parses the event (parameters, path, the caller from the authorizer context), validates
the parameters into the operation's pydantic model, claims the Idempotency-Key of a POST or DELETE,
runs the handler, and renders the response with a `Request-Id`. Every failure becomes a Stripe-shaped
error: clients never see a traceback.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.logging import correlation_paths

from ledger import errors, idempotency, wire
from ledger.api import form
from ledger.models import Caller
from ledger.observability import flush_metrics, logger
from ledger.params import Params, parse

P = TypeVar("P", bound=Params)
_THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
              "InternalServerError", "ServiceUnavailable"}
_UNREACHABLE = {"ConnectTimeoutError", "ReadTimeoutError", "EndpointConnectionError", "ConnectionClosedError",
                "Exhausted"}  # the last: unprocessed keys a BatchGetItem kept returning (throttling)
Render = Callable[[Any, Any], dict[str, Any]]
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class ApiRequest(Generic[P]):
    caller: Caller
    path: dict[str, str]
    params: P
    claim: idempotency.Claim | None = None  # set for POST and DELETE requests with an Idempotency-Key


def operation(model: type[P], render: Render) -> Callable[[Callable[[ApiRequest[P]], Any]], LambdaHandler]:
    def decorate(run: Callable[[ApiRequest[P]], Any]) -> LambdaHandler:
        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
        @functools.wraps(run)
        def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            response = _answer(event, context)
            response["headers"].update(_echoed(event))
            return response

        def _answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
            request_id = request_id_of(event)
            try:
                request = _request(event, model, render, context)
                result = run(request)
                body = request.claim.body if request.claim and request.claim.body else render(result, request.params)
                return respond(200, body, request_id)
            except idempotency.Replay as replay:
                return _replayed(replay.record, request_id)
            except errors.StripeError as refused:
                logger.info("refused", extra={"status": refused.status, "code": refused.code,
                                              "param": refused.param})
                return error_response(refused, request_id)
            except Exception as failure:  # nothing a client sends may become a 500 with a trace
                return error_response(_unexpected(failure), request_id)
            finally:
                flush_metrics()

        # What the operation accepts and how it renders, for `make openapi`.
        lambda_handler.params_model = model  # type: ignore[attr-defined]
        lambda_handler.render = render  # type: ignore[attr-defined]
        return lambda_handler

    return decorate


def _echoed(event: dict[str, Any]) -> dict[str, str]:
    """What Stripe echoes on every response: the Idempotency-Key sent (SDKs expose it), and the API
    version the request asked for, else this deployment's."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    echoed = {"Stripe-Version": _header_text(headers.get("stripe-version")) or wire.API_VERSION}
    key = _header_text(headers.get("idempotency-key"))
    if key:
        echoed["Idempotency-Key"] = key
    return echoed


def _header_text(value: str | None) -> str | None:
    """A header value that may be sent back as is (printable ASCII, bounded), else None."""
    if value and len(value) <= 255 and all(" " <= c <= "~" for c in value):
        return value
    return None


def request_id_of(event: dict[str, Any]) -> str:
    gateway_id = (event.get("requestContext") or {}).get("requestId") or "local"
    return "req_" + gateway_id.replace("-", "")


def _request(event: dict[str, Any], model: type[P], render: Render, context: Any) -> ApiRequest[P]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    caller = _caller(event)
    if "stripe-account" in headers:
        raise errors.invalid("Connected accounts are not supported: remove the Stripe-Account header.",
                             param="Stripe-Account")
    raw = form.parameters(event)
    params = parse(model, raw)
    claim = None
    if "idempotency-key" in headers and event.get("httpMethod") in ("POST", "DELETE"):
        operation_name = getattr(context, "function_name", "") or event.get("resource", "")
        claim = idempotency.client_claim(caller.mode, headers["idempotency-key"], operation_name,
                                         event.get("path", ""), raw,
                                         functools.partial(_render_with, render, params))
    return ApiRequest(caller=caller, path=event.get("pathParameters") or {}, params=params, claim=claim)


def _render_with(render: Render, params: Any, result: Any) -> dict[str, Any]:
    return render(result, params)


def _caller(event: dict[str, Any]) -> Caller:
    """Who is calling, from the authorizer's context. Without one the function refuses to run: it
    was invoked around the authorizer."""
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    if authorizer.get("mode") not in ("test", "live"):
        raise errors.StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                                 "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                                 "YOUR_SECRET_KEY').")
    return Caller(mode=authorizer["mode"], key_id=authorizer.get("key_id"), request_id=request_id_of(event))


def respond(status: int, body: dict[str, Any], request_id: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    return _respond_text(status, wire.dumps(body), request_id, extra)


def _respond_text(status: int, body: str, request_id: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Request-Id": request_id,
               "Cache-Control": "no-cache, no-store", **(extra or {})}
    return {"statusCode": status, "headers": headers, "body": body}


def _replayed(record: Any, request_id: str) -> dict[str, Any]:
    logger.info("replayed", extra={"idempotency_key_created": record.created})
    return _respond_text(record.status, record.body, request_id, {"Idempotent-Replayed": "true"})


def error_response(error: errors.StripeError, request_id: str) -> dict[str, Any]:
    extra = {} if error.should_retry is None else {"Stripe-Should-Retry": str(error.should_retry).lower()}
    return respond(error.status, error.body(), request_id, extra)


def _unexpected(failure: Exception) -> errors.StripeError:
    """Throttling and timeouts of the database are worth a retry; anything else is our bug."""
    response = getattr(failure, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    if code in _THROTTLED or type(failure).__name__ in _UNREACHABLE:
        logger.warning("database unavailable", extra={"error": type(failure).__name__, "code": code})
        return errors.api_error("The ledger's database is temporarily unavailable. Retry the request.", 503)
    logger.exception("unexpected failure")
    return errors.api_error()
