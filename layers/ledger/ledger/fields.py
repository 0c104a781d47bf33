"""The rules of every value a caller may send (amounts, currencies, text, metadata, expansions, created
ranges), as annotated types for the parameter models (ledger.params) and the scheduled plans.

Form values arrive as strings (or, in JSON bodies, as JSON values). Each rule raises a
PydanticCustomError whose type is the Stripe error code, and whose context may name the parameter.
"""

import re
from functools import partial
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from ledger import currencies, errors
from ledger.config import MAX_AMOUNT

_INTEGER = re.compile(r"-?[0-9]{1,19}")
NO_CODE = "invalid_param"  # an error Stripe reports without a code
METADATA_MAX_KEYS, METADATA_KEY_MAX, METADATA_VALUE_MAX = 50, 40, 500


def fail(code: str, message: str, param: str | None = None) -> PydanticCustomError:
    return PydanticCustomError(code, message, {"param": param} if param else None)


def integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    raise fail("parameter_invalid_integer", f"Invalid integer: {_shown(value)}")


def _bounded(value: Any) -> int:
    number = integer(value)
    if abs(number) > MAX_AMOUNT:
        raise fail("parameter_invalid_integer",
                    f"Invalid integer: {number}; the absolute value must be at most {MAX_AMOUNT}")
    return number


def amount_rule(number: int) -> int:
    """An amount of money moved: not zero, and bounded."""
    if abs(number) > MAX_AMOUNT:
        raise fail("parameter_invalid_integer",
                    f"Invalid integer: {number}; the absolute value must be at most {MAX_AMOUNT}")
    if number == 0:
        raise fail("parameter_invalid_integer", "Invalid integer: 0; the amount must not be zero")
    return number


def _nonzero_amount(value: Any) -> int:
    return amount_rule(integer(value))


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def is_text(value: str) -> bool:
    """Valid Unicode without control characters (a lone surrogate from a JSON escape or an
    undecodable byte is not text, and must never reach a key or the table)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in value)


def _text(value: Any, max_length: int) -> str | None:
    if value is None:  # JSON null, or a caller inside the ledger leaving it unset
        return None
    if not isinstance(value, str) or not is_text(value):
        raise fail(NO_CODE, f"Invalid string: {_shown(value)!r}")
    if len(value) > max_length:
        raise fail(NO_CODE, f"Invalid string: must be at most {max_length} characters")
    return value or None


def text(max_length: int) -> Any:
    """A string of at most `max_length`; empty means unset (null). Annotated with its wire schema
    (WithJsonSchema), which `make openapi` publishes. The rule is a module function, not a closure, so
    that it is looked up when a value is checked (mutation testing swaps functions at that point)."""
    # null (JSON bodies) unsets, like the empty string in a form.
    return [BeforeValidator(partial(_text, max_length=max_length)),
            WithJsonSchema({"type": ["string", "null"], "maxLength": max_length})]


def _currency(value: Any) -> str:
    code = currencies.normalize(value) if isinstance(value, str) else None
    if code is None:
        raise fail("invalid_currency" if isinstance(value, str) else NO_CODE,
                    f"Invalid currency: {_shown(value)}. Stripe currently supports these currencies: "
                    + ", ".join(sorted(currencies.SUPPORTED)))
    return code


def _expand(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    elif isinstance(value, dict) and value and all(k.isdigit() for k in value):  # expand[0]=…&expand[1]=…
        value = [value[k] for k in sorted(value, key=int)]
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 255 for v in value):
        raise fail(NO_CODE, "Invalid array")
    return value


EVENT_TYPES_MAX = 20  # Stripe's limit on `types[]`


def _event_types(value: Any) -> list[str] | None:
    if value is None or value == "":
        return None
    types = _expand(value)
    if len(types) > EVENT_TYPES_MAX:
        raise fail(NO_CODE, f"You may filter by at most {EVENT_TYPES_MAX} types.")
    return types


_BOUNDS = {"minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT}
Integer = Annotated[int, BeforeValidator(integer), WithJsonSchema({"type": "integer"})]
Amount = Annotated[int, BeforeValidator(_nonzero_amount),
                   WithJsonSchema({"type": "integer", **_BOUNDS, "not": {"const": 0}})]
Balance = Annotated[int, BeforeValidator(_bounded), WithJsonSchema({"type": "integer", **_BOUNDS})]
Currency = Annotated[str, BeforeValidator(_currency),
                     WithJsonSchema({"type": "string", "enum": sorted(currencies.SUPPORTED)})]
Expand = Annotated[list[str], BeforeValidator(_expand),
                   WithJsonSchema({"type": "array", "items": {"type": "string", "maxLength": 255}})]
EventTypes = Annotated[list[str] | None, BeforeValidator(_event_types), WithJsonSchema(
    {"type": "array", "items": {"type": "string", "maxLength": 255}, "maxItems": EVENT_TYPES_MAX})]
# Object ids (cursors, the invoice filter): no id of ours is longer than 255 characters.
Cursor = Annotated[str | None, *text(255)]


class MetadataUpdate(BaseModel):
    """`metadata=` clears every key; `metadata[k]=` removes k; other keys are set (merged on update)."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    clear: bool = False
    changes: dict[str, str | None] = Field(default_factory=dict)

    def apply(self, existing: dict[str, str]) -> dict[str, str]:
        merged = {} if self.clear else dict(existing)
        for key, value in self.changes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if len(merged) > METADATA_MAX_KEYS:
            raise errors.invalid(f"You can have at most {METADATA_MAX_KEYS} keys in metadata.", param="metadata")
        return merged


def _metadata(value: Any) -> MetadataUpdate:
    if value == "" or value is None:
        return MetadataUpdate(clear=True)
    if not isinstance(value, dict):
        raise fail(NO_CODE, "Invalid metadata: must be a hash of string keys and values", "metadata")
    if len(value) > METADATA_MAX_KEYS:
        raise fail(NO_CODE, f"You can have at most {METADATA_MAX_KEYS} keys in metadata.", "metadata")
    changes: dict[str, str | None] = {}
    for key, item in value.items():
        metadata_pair_rule(key, item)
        changes[key] = item or None
    return MetadataUpdate(changes=changes)


def metadata_pair_rule(key: Any, item: Any) -> None:
    """One metadata key and value: a key of 1 to 40 characters without brackets, a string value of at
    most 500 characters, both text."""
    param = f"metadata[{key}]"
    if not isinstance(key, str) or not key or len(key) > METADATA_KEY_MAX or "[" in key or "]" in key or (
            not is_text(key)):
        raise fail(NO_CODE, f"Metadata keys must be 1 to {METADATA_KEY_MAX} characters without "
                    "square brackets", param)
    if not isinstance(item, str) or not is_text(item):
        raise fail(NO_CODE, f"Invalid metadata value for {key}: must be a string", param)
    if len(item) > METADATA_VALUE_MAX:
        raise fail(NO_CODE, f"Metadata values can have up to {METADATA_VALUE_MAX} characters", param)


Metadata = Annotated[MetadataUpdate | None, BeforeValidator(_metadata), WithJsonSchema({"anyOf": [
    {"type": "object", "maxProperties": METADATA_MAX_KEYS,
     "propertyNames": {"minLength": 1, "maxLength": METADATA_KEY_MAX, "pattern": r"^[^\[\]]*$"},
     "additionalProperties": {"type": "string", "maxLength": METADATA_VALUE_MAX}},
    {"type": "string", "enum": [""]}, {"type": "null"}]})]


class CreatedRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    gt: Integer | None = None
    gte: Integer | None = None
    lt: Integer | None = None
    lte: Integer | None = None

    def bounds(self) -> tuple[int | None, int | None]:
        """Inclusive (lowest, highest) created second, None where open."""
        lows = [v for v in (self.gte, None if self.gt is None else self.gt + 1) if v is not None]
        highs = [v for v in (self.lte, None if self.lt is None else self.lt - 1) if v is not None]
        return (max(lows) if lows else None, min(highs) if highs else None)


def created_range(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    exact = integer(value)
    return {"gte": exact, "lte": exact}


Description = Annotated[str | None, *text(350)]  # a balance transaction's
Limit = Annotated[int, BeforeValidator(integer), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 100})]
Created = Annotated[CreatedRange | None, BeforeValidator(created_range), WithJsonSchema({"anyOf": [
    {"type": "integer"},
    {"type": "object", "additionalProperties": False,
     "properties": {k: {"type": "integer"} for k in ("gt", "gte", "lt", "lte")}}]})]


def _boolean(value: Any) -> bool:
    """Stripe's form booleans ("true"/"false"), or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise fail(NO_CODE, f"Invalid boolean: {_shown(value)}")


Boolean = Annotated[bool, BeforeValidator(_boolean), WithJsonSchema({"type": "boolean"})]

# --- webhook endpoints ---------------------------------------------------------------------------------

URL_MAX = 2048
URL_INVALID = "url_invalid"  # Stripe's code for a URL it refuses
_URL_SCHEMES = ("http", "https")
# Printable ASCII but for what no URL may hold unescaped: a URL is sent as it is to a receiver.
_URL_CHARACTERS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('"<>\\^`{|}')


def _webhook_url(value: Any) -> str:
    """An absolute http(s) URL with a host, at most URL_MAX characters (https only in live mode: the
    mode is the domain's to check)."""
    if isinstance(value, str) and len(value) > URL_MAX:
        raise fail(URL_INVALID, f"Invalid URL: must be at most {URL_MAX} characters.", "url")
    valid = isinstance(value, str) and bool(value) and set(value) <= _URL_CHARACTERS
    if valid:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value)
            valid = parts.scheme in _URL_SCHEMES and bool(parts.hostname) and (parts.port is None or parts.port > 0)
        except ValueError:  # a bad port or IPv6 literal
            valid = False
    if not valid:
        raise fail(URL_INVALID, f"Invalid URL: {_shown(value)!r}. A webhook endpoint's url must be an absolute "
                   "http or https URL with a host, such as https://example.com/webhooks.", "url")
    return str(value)


WebhookUrl = Annotated[str, BeforeValidator(_webhook_url), WithJsonSchema(
    {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]"})]


def _enabled_events(value: Any) -> list[str]:
    """A non-empty list of event-type strings (which types exist is the domain's to check: ledger.events
    knows them)."""
    if isinstance(value, dict) and value and all(k.isdigit() for k in value):  # enabled_events[0]=…
        value = [value[k] for k in sorted(value, key=int)]
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and is_text(v) and len(v) <= 255 for v in value):
        raise fail(NO_CODE, "Invalid array: enabled_events must be a non-empty list of event types.",
                   "enabled_events")
    return list(value)


EnabledEvents = Annotated[list[str], BeforeValidator(_enabled_events), WithJsonSchema(
    {"type": "array", "items": {"type": "string", "maxLength": 255}, "minItems": 1})]

_API_VERSION = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[a-z]{1,32})?")


def _api_version(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _API_VERSION.fullmatch(value):
        raise fail(NO_CODE, f"Invalid api_version: {_shown(value)!r}. An API version reads like 2026-09-30.endive.",
                   "api_version")
    return value


ApiVersion = Annotated[str | None, BeforeValidator(_api_version), WithJsonSchema(
    {"type": ["string", "null"], "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[a-z]{1,32})?$"})]
