"""Stripe-shaped errors. Anything a client can cause is one of these, never a bare exception."""

from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/"
# Stripe's error schema bounds these (an error quotes client input back: a parameter name can be a
# whole body sent under the wrong Content-Type).
PARAM_MAX_CHARS = 5_000
MESSAGE_MAX_CHARS = 40_000


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        should_retry: bool | None = None,
    ) -> None:
        message, param = _bounded(_encodable(message), MESSAGE_MAX_CHARS), _bounded(_encodable(param), PARAM_MAX_CHARS)
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.code, self.param, self.should_retry = code, param, should_retry

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_URL + self.code.replace("_", "-")  # Stripe's pages use hyphens
        if self.param:
            error["param"] = self.param
        return {"error": error}


def _encodable(text: str | None) -> Any:
    """Text that encodes as UTF-8 whatever a client sent: a lone surrogate (from a JSON escape) is shown
    as its escape, since an error quotes the client's input back."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if text else text


def _bounded(text: Any, max_chars: int) -> Any:
    """At most `max_chars` characters, cut with an ellipsis."""
    return text[: max_chars - 1] + "…" if text and len(text) > max_chars else text


def invalid(message: str, *, code: str | None = None, param: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=param)


def no_such(kind: str, object_id: str, *, param: str = "id", status: int = 404) -> StripeError:
    """An unknown object: 404 naming the path parameter (`id` for the object the URL is about, as
    Stripe does, `customer` for its parent); a cursor naming an unknown object is a 400."""
    return StripeError(status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def no_such_customer(customer_id: str, *, param: str = "id", status: int = 404) -> StripeError:
    return no_such("customer", customer_id, param=param, status=status)


def no_such_transaction(txn_id: str, *, param: str = "id", status: int = 404) -> StripeError:
    return no_such("customer balance transaction", txn_id, param=param, status=status)


def lock_timeout() -> StripeError:
    return StripeError(
        429,
        "This object cannot be accessed right now because another API request or Stripe process is "
        "currently accessing it. If you see this error intermittently, retry the request.",
        code="lock_timeout",
        should_retry=True,
    )


def api_error(message: str = "An unexpected error occurred. Retry the request.", status: int = 500,
              *, should_retry: bool = True) -> StripeError:
    return StripeError(status, message, type="api_error", should_retry=should_retry)
