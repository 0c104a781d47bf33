"""The HTTP answers of an operation: bodies with their headers (Request-Id always; what Stripe echoes),
replays of saved answers, and errors, including the mapping of unexpected failures to a retryable 503
(the database's), a 500 not worth retrying (a call AWS refuses as configured), or a 500 (ours), never
with a trace."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger import errors, wire
from ledger.models import IdempotencyRecord
from ledger.observability import logger

JSON = "application/json"


@dataclass(frozen=True)
class Document:
    """Text with its own media type and headers: a static file (the console's page, script and style
    sheet), whose type is not the operation's one."""

    text: str
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


Body = dict[str, Any] | str | Document  # a JSON document, text in the operation's media type, or a file
_THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
              "InternalServerError", "ServiceUnavailable"}
_UNREACHABLE = {"ConnectTimeoutError", "ReadTimeoutError", "EndpointConnectionError", "ConnectionClosedError",
                "Exhausted"}  # the last: unprocessed keys a BatchGetItem kept returning (throttling)
# Refusals that repeat on every retry: the role lacks a permission, or a request breaks a service limit
# the code failed to check first. A client retrying them only multiplies the failure.
_REFUSED = {"AccessDenied", "AccessDeniedException", "ValidationException"}


def respond(status: int, body: Body, request_id: str, extra: dict[str, str] | None = None,
            media_type: str = JSON) -> dict[str, Any]:
    if isinstance(body, Document):
        media_type, extra = body.media_type, {**body.headers, **(extra or {})}
    text = body.text if isinstance(body, Document) else body if isinstance(body, str) else wire.dumps(body)
    headers = {"Content-Type": media_type, "Request-Id": request_id, "Cache-Control": "no-cache, no-store",
               **(extra or {})}
    return {"statusCode": status, "headers": headers, "body": text}


def replayed(record: IdempotencyRecord, request_id: str) -> dict[str, Any]:
    logger.info("replayed", extra={"idempotency_key_created": record.created})
    return respond(record.status, record.body, request_id, {"Idempotent-Replayed": "true"})


def error_response(error: errors.StripeError, request_id: str) -> dict[str, Any]:
    extra = {} if error.should_retry is None else {"Stripe-Should-Retry": str(error.should_retry).lower()}
    return respond(error.status, error.body(), request_id, extra)


def unexpected(failure: Exception) -> errors.StripeError:
    """Throttling and timeouts of the database are worth a retry; a refusal by AWS is not (it repeats
    until the deployment or the code changes); anything else is our bug."""
    response = getattr(failure, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    if code in _THROTTLED or type(failure).__name__ in _UNREACHABLE:
        logger.warning("database unavailable", extra={"error": type(failure).__name__, "code": code})
        return errors.api_error("The ledger's database is temporarily unavailable. Retry the request.", 503)
    if code in _REFUSED:
        logger.exception("refused by AWS", extra={"code": code})
        return errors.api_error("An unexpected error occurred. Retrying will not help: the error has been "
                                "logged for the operators.", should_retry=False)
    logger.exception("unexpected failure")
    return errors.api_error()


def echoed(event: dict[str, Any]) -> dict[str, str]:
    """What Stripe echoes on every response: the Idempotency-Key sent (SDKs expose it), and the API
    version the request asked for, else this deployment's."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    echo = {"Stripe-Version": _header_text(headers.get("stripe-version")) or wire.API_VERSION}
    key = _header_text(headers.get("idempotency-key"))
    if key:
        echo["Idempotency-Key"] = key
    return echo


def _header_text(value: str | None) -> str | None:
    """A header value that may be sent back as is (printable ASCII, bounded), else None."""
    if value and len(value) <= 255 and all(" " <= c <= "~" for c in value):
        return value
    return None


def request_id_of(event: dict[str, Any]) -> str:
    gateway_id = (event.get("requestContext") or {}).get("requestId") or "local"
    return "req_" + gateway_id.replace("-", "")
