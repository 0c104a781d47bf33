"""Exactly-once requests: an Idempotency-Key claims the request's outcome.

Only committed outcomes are saved, and always atomically with the change they guard (the record is
one more item of the change's TransactWriteItems), so a change never exists without its record or
the other way round. A request that failed before committing saved nothing and runs again on retry.
A retry of a committed request (same key, same fingerprint, not expired) replays the saved response;
the same key with other parameters is an idempotency_error. Client keys and the keys the system
derives for itself (scheduled adjustments) live in separate namespaces.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ledger import clock, errors, wire
from ledger.models import IdempotencyRecord, Mode

CLIENT_RETENTION_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


class Replay(Exception):
    """The request was already committed: answer with its saved response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("replay")
        self.record = record


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Claim:
    """A request's claim on an idempotency key. `render` turns the operation's result into the
    response body, so the body is known before the commit that saves it."""

    mode: Mode
    key: str
    fingerprint: str
    render: Callable[[Any], dict[str, Any]]
    namespace: Literal["client", "system"] = "client"
    retention_seconds: int = CLIENT_RETENTION_SECONDS
    body: dict[str, Any] | None = field(default=None, init=False)

    def record(self, result: Any) -> IdempotencyRecord:
        """The record to commit with the change that produced `result` (its body is kept for the reply)."""
        self.body = self.render(result)
        now = clock.now()
        return IdempotencyRecord(mode=self.mode, namespace=self.namespace, key=self.key,
                                 fingerprint=self.fingerprint, status=200,
                                 body=wire.dumps(self.body), created=now,
                                 expires_at=now + self.retention_seconds)

    def check(self, saved: IdempotencyRecord | None) -> None:
        """Raise Replay for a live record of this request, an error for a live record of another."""
        if saved is None or saved.expires_at <= clock.now():
            return
        if saved.fingerprint != self.fingerprint:
            raise errors.StripeError(
                400, "Keys for idempotent requests can only be used with the same parameters they were first "
                f"used with. Try using a key other than '{self.key}' if you meant to execute a different request.",
                type="idempotency_error")
        raise Replay(saved)


def key_in_use(key: str) -> errors.StripeError:
    return errors.StripeError(
        409, f"There is currently another in-progress request using this Idempotent Key ('{key}'). "
        "Please try again later.", code="idempotency_key_in_use", should_retry=True)


def client_claim(mode: Mode, key: str, operation: str, path: str, params: dict[str, Any],
                 render: Callable[[Any], dict[str, Any]]) -> Claim:
    from ledger.fields import is_text

    if not key or len(key) > MAX_KEY_LENGTH or not is_text(key):
        raise errors.invalid(f"Idempotency keys must be 1 to {MAX_KEY_LENGTH} printable characters long.",
                             param="Idempotency-Key")
    return Claim(mode=mode, key=key, fingerprint=fingerprint(operation, path, params, mode), render=render)
