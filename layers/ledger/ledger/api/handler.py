"""`operation`: the one wrapper every API function uses, so each handler only says which domain
function it calls and how the result renders.

It parses the event (parameters, path, the caller from the authorizer context), validates the
parameters into the operation's pydantic model, runs the handler, and renders the response with a
`Request-Id`. Every failure becomes a Stripe-shaped error: clients never see a traceback.
"""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.logging import correlation_paths

from ledger import errors
from ledger.api import form
from ledger.models import Caller
from ledger.observability import flush_metrics, logger
from ledger.params import Params, parse

P = TypeVar("P", bound=Params)
_THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
              "InternalServerError", "ServiceUnavailable"}


@dataclass(frozen=True)
class ApiRequest(Generic[P]):
    caller: Caller
    path: dict[str, str]
    params: P


LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def operation(model: type[P]) -> Callable[[Callable[[ApiRequest[P]], dict[str, Any]]], LambdaHandler]:
    def decorate(run: Callable[[ApiRequest[P]], dict[str, Any]]) -> LambdaHandler:
        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
        @functools.wraps(run)
        def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            request_id = request_id_of(event)
            try:
                return respond(200, run(_request(event, model, request_id)), request_id)
            except errors.StripeError as refused:
                logger.info("refused", extra={"status": refused.status, "code": refused.code,
                                              "param": refused.param})
                return error_response(refused, request_id)
            except Exception as failure:  # nothing a client sends may become a 500 with a trace
                return error_response(_unexpected(failure), request_id)
            finally:
                flush_metrics()

        return lambda_handler

    return decorate


def request_id_of(event: dict[str, Any]) -> str:
    gateway_id = (event.get("requestContext") or {}).get("requestId") or "local"
    return "req_" + gateway_id.replace("-", "")


def _request(event: dict[str, Any], model: type[P], request_id: str) -> ApiRequest[P]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if "stripe-account" in headers:
        raise errors.invalid("Connected accounts are not supported: remove the Stripe-Account header.",
                             param="Stripe-Account")
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    caller = Caller(mode="live" if authorizer.get("mode") == "live" else "test",
                    key_id=authorizer.get("key_id"), request_id=request_id)
    return ApiRequest(caller=caller, path=event.get("pathParameters") or {},
                      params=parse(model, form.parameters(event)))


def respond(status: int, body: dict[str, Any], request_id: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Request-Id": request_id,
               "Cache-Control": "no-cache, no-store", **(extra or {})}
    return {"statusCode": status, "headers": headers, "body": json.dumps(body, separators=(",", ":"))}


def error_response(error: errors.StripeError, request_id: str) -> dict[str, Any]:
    extra = {} if error.should_retry is None else {"Stripe-Should-Retry": str(error.should_retry).lower()}
    return respond(error.status, error.body(), request_id, extra)


def _unexpected(failure: Exception) -> errors.StripeError:
    """Throttling and timeouts of the database are worth a retry; anything else is our bug."""
    response = getattr(failure, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    if code in _THROTTLED or type(failure).__name__ in {"ConnectTimeoutError", "ReadTimeoutError",
                                                         "EndpointConnectionError", "ConnectionClosedError"}:
        logger.warning("database unavailable", extra={"error": type(failure).__name__, "code": code})
        return errors.api_error("The ledger's database is temporarily unavailable. Retry the request.", 503)
    logger.exception("unexpected failure")
    return errors.api_error()
