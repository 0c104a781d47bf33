"""What callers may ask for, validated with pydantic into Stripe's error vocabulary.

Form values arrive as strings (or, in JSON bodies, as JSON values). Each rule raises a
PydanticCustomError whose type is the Stripe error code; `to_stripe_error` turns the first failure
into the 400 Stripe would send, naming the offending parameter.
"""

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from ledger import currencies, errors
from ledger.config import MAX_AMOUNT

_INTEGER = re.compile(r"-?[0-9]{1,19}")
_NO_CODE = "invalid_param"  # an error Stripe reports without a code
METADATA_MAX_KEYS, METADATA_KEY_MAX, METADATA_VALUE_MAX = 50, 40, 500


def _fail(code: str, message: str, param: str | None = None) -> PydanticCustomError:
    return PydanticCustomError(code, message, {"param": param} if param else None)


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    raise _fail("parameter_invalid_integer", f"Invalid integer: {_shown(value)}")


def _bounded(value: Any) -> int:
    number = _integer(value)
    if abs(number) > MAX_AMOUNT:
        raise _fail("parameter_invalid_integer",
                    f"Invalid integer: {number}; the absolute value must be at most {MAX_AMOUNT}")
    return number


def _nonzero_amount(value: Any) -> int:
    number = _bounded(value)
    if number == 0:
        raise _fail("parameter_invalid_integer", "Invalid integer: 0; the amount must not be zero")
    return number


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


def _text(max_length: int) -> Any:
    """A string of at most `max_length`; empty means unset (null). Annotated with its wire schema
    (WithJsonSchema), which `make openapi` publishes."""

    def check(value: Any) -> str | None:
        if value is None:  # JSON null, or a caller inside the ledger leaving it unset
            return None
        if not isinstance(value, str) or not is_text(value):
            raise _fail(_NO_CODE, f"Invalid string: {_shown(value)!r}")
        if len(value) > max_length:
            raise _fail(_NO_CODE, f"Invalid string: must be at most {max_length} characters")
        return value or None

    # null (JSON bodies) unsets, like the empty string in a form.
    return [BeforeValidator(check), WithJsonSchema({"type": ["string", "null"], "maxLength": max_length})]


def _currency(value: Any) -> str:
    code = currencies.normalize(value) if isinstance(value, str) else None
    if code is None:
        raise _fail("invalid_currency" if isinstance(value, str) else _NO_CODE,
                    f"Invalid currency: {_shown(value)}. Stripe currently supports these currencies: "
                    + ", ".join(sorted(currencies.SUPPORTED)))
    return code


def _expand(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    elif isinstance(value, dict) and value and all(k.isdigit() for k in value):  # expand[0]=…&expand[1]=…
        value = [value[k] for k in sorted(value, key=int)]
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 255 for v in value):
        raise _fail(_NO_CODE, "Invalid array")
    return value


_BOUNDS = {"minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT}
Integer = Annotated[int, BeforeValidator(_integer), WithJsonSchema({"type": "integer"})]
Amount = Annotated[int, BeforeValidator(_nonzero_amount),
                   WithJsonSchema({"type": "integer", **_BOUNDS, "not": {"const": 0}})]
Balance = Annotated[int, BeforeValidator(_bounded), WithJsonSchema({"type": "integer", **_BOUNDS})]
Currency = Annotated[str, BeforeValidator(_currency),
                     WithJsonSchema({"type": "string", "enum": sorted(currencies.SUPPORTED)})]
Expand = Annotated[list[str], BeforeValidator(_expand),
                   WithJsonSchema({"type": "array", "items": {"type": "string", "maxLength": 255}})]
# Object ids (cursors, the invoice filter): no id of ours is longer than 255 characters.
Cursor = Annotated[str | None, *_text(255)]


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
        raise _fail(_NO_CODE, "Invalid metadata: must be a hash of string keys and values", "metadata")
    if len(value) > METADATA_MAX_KEYS:
        raise _fail(_NO_CODE, f"You can have at most {METADATA_MAX_KEYS} keys in metadata.", "metadata")
    changes: dict[str, str | None] = {}
    for key, item in value.items():
        param = f"metadata[{key}]"
        if not key or len(key) > METADATA_KEY_MAX or "[" in key or "]" in key or not is_text(key):
            raise _fail(_NO_CODE, f"Metadata keys must be 1 to {METADATA_KEY_MAX} characters without "
                        "square brackets", param)
        if not isinstance(item, str) or not is_text(item):
            raise _fail(_NO_CODE, f"Invalid metadata value for {key}: must be a string", param)
        if len(item) > METADATA_VALUE_MAX:
            raise _fail(_NO_CODE, f"Metadata values can have up to {METADATA_VALUE_MAX} characters", param)
        changes[key] = item or None
    return MetadataUpdate(changes=changes)


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


def _created(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    exact = _integer(value)
    return {"gte": exact, "lte": exact}


class Params(BaseModel):
    """Base of every operation's parameters: unknown ones are refused, expand is checked."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    expandable: ClassVar[frozenset[str]] = frozenset()
    expand: Expand = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_expansions(self) -> "Params":
        for path in self.expand:
            if path not in self.expandable:
                raise _fail(_NO_CODE, f"This property cannot be expanded ({path}).", "expand")
        return self


CUSTOMER_EXPANDABLE = frozenset({"invoice_credit_balance", "default_source", "test_clock"})
TRANSACTION_EXPANDABLE = frozenset(
    {"customer", "invoice", "credit_note", "checkout_session"} | {f"customer.{p}" for p in CUSTOMER_EXPANDABLE}
)


def _in_list(paths: frozenset[str]) -> frozenset[str]:
    return frozenset(f"data.{p}" for p in paths)


Limit = Annotated[int, BeforeValidator(_integer), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 100})]


class ListParams(Params):
    limit: Limit = 10
    starting_after: Cursor = None
    ending_before: Cursor = None
    created: Annotated[CreatedRange | None, BeforeValidator(_created), WithJsonSchema({"anyOf": [
        {"type": "integer"},
        {"type": "object", "additionalProperties": False,
         "properties": {k: {"type": "integer"} for k in ("gt", "gte", "lt", "lte")}}]})] = None

    @model_validator(mode="after")
    def _page_rules(self) -> "ListParams":
        if not 1 <= self.limit <= 100:
            raise _fail("parameter_invalid_integer",
                        f"Invalid limit: {self.limit}. The limit must be between 1 and 100.", "limit")
        if self.starting_after and self.ending_before:
            raise _fail(_NO_CODE, "Received both starting_after and ending_before parameters. "
                        "Please pass in only one.", "ending_before")
        return self


class RetrieveBalanceTransaction(Params):
    expandable = TRANSACTION_EXPANDABLE


class CreateBalanceTransaction(Params):
    expandable = TRANSACTION_EXPANDABLE
    amount: Amount
    currency: Currency
    description: Annotated[str | None, *_text(350)] = None
    metadata: Metadata = None


class UpdateBalanceTransaction(Params):
    expandable = TRANSACTION_EXPANDABLE
    description: Annotated[str | None, *_text(350)] = None
    metadata: Metadata = None


class ListBalanceTransactions(ListParams):
    expandable = _in_list(TRANSACTION_EXPANDABLE)
    invoice: Cursor = None


class CustomerFields(Params):
    expandable = CUSTOMER_EXPANDABLE
    balance: Balance | None = None
    name: Annotated[str | None, *_text(256)] = None
    email: Annotated[str | None, *_text(512)] = None
    description: Annotated[str | None, *_text(5000)] = None
    phone: Annotated[str | None, *_text(20)] = None
    metadata: Metadata = None


class CreateCustomer(CustomerFields):
    pass


class UpdateCustomer(CustomerFields):
    pass


class RetrieveCustomer(Params):
    expandable = CUSTOMER_EXPANDABLE


class DeleteCustomer(Params):
    pass


class ListCustomers(ListParams):
    expandable = _in_list(CUSTOMER_EXPANDABLE)
    email: Annotated[str | None, *_text(512)] = None


def parse(model: type[Params], raw: dict[str, Any]) -> Params:
    try:
        return model.model_validate(raw)
    except ValidationError as failure:
        raise to_stripe_error(failure) from None


def to_stripe_error(failure: ValidationError) -> errors.StripeError:
    """Stripe reports one problem: unknown parameters first, then missing ones, then the rest."""
    rank = {"extra_forbidden": 0, "missing": 1}
    try:
        first = min(failure.errors(), key=lambda e: rank.get(e["type"], 2))
    except UnicodeError:  # pydantic cannot render text that is not valid Unicode; the parser refuses it first
        return errors.invalid("Invalid parameters: every name and value must be valid Unicode.")
    context = first.get("ctx") or {}
    param = context.get("param") or _param_name(first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        return errors.invalid(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)
    if kind == "missing":
        return errors.invalid(f"Missing required param: {param}.", code="parameter_missing", param=param)
    code = kind if kind.startswith(("parameter_", "invalid_currency")) else None
    message = first["msg"] if code or kind == _NO_CODE else f"Invalid value for {param}."
    return errors.invalid(message, code=code, param=param or None)


def _param_name(loc: tuple[Any, ...]) -> str:
    names = [str(part) for part in loc if not str(part).startswith("function-")]
    return names[0] + "".join(f"[{n}]" for n in names[1:]) if names else ""
