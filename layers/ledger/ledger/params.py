"""What callers may ask for: each operation's parameters as a pydantic model, built from the value rules
of ledger.fields, and the one Stripe error a failed validation becomes: unknown parameters first, then
missing ones, then the rest, naming the offending parameter.
"""

from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ledger import errors
from ledger.fields import (
    NO_CODE,
    URL_INVALID,
    Amount,
    ApiVersion,
    Balance,
    Boolean,
    Created,
    Currency,
    Cursor,
    Description,
    EnabledEvents,
    EventTypes,
    Expand,
    Limit,
    Metadata,
    WebhookUrl,
    fail,
    text,
)


class Params(BaseModel):
    """Base of every operation's parameters: unknown ones are refused, expand is checked."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    expandable: ClassVar[frozenset[str]] = frozenset()
    expand: Expand = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_expansions(self) -> "Params":
        for path in self.expand:
            if path not in self.expandable:
                raise fail(NO_CODE, f"This property cannot be expanded ({path}).", "expand")
        return self


CUSTOMER_EXPANDABLE = frozenset({"invoice_credit_balance", "default_source", "test_clock"})
TRANSACTION_EXPANDABLE = frozenset(
    {"customer", "invoice", "credit_note", "checkout_session"} | {f"customer.{p}" for p in CUSTOMER_EXPANDABLE}
)


class PageParams(Params):
    """A list's paging: `limit` and one cursor."""

    limit: Limit = 10
    starting_after: Cursor = None
    ending_before: Cursor = None

    @model_validator(mode="after")
    def _page_rules(self) -> "PageParams":
        if not 1 <= self.limit <= 100:
            raise fail("parameter_invalid_integer",
                        f"Invalid limit: {self.limit}. The limit must be between 1 and 100.", "limit")
        if self.starting_after and self.ending_before:
            raise fail(NO_CODE, "Received both starting_after and ending_before parameters. "
                        "Please pass in only one.", "ending_before")
        return self


class ListParams(PageParams):
    created: Created = None


class RetrieveBalanceTransaction(Params):
    expandable = TRANSACTION_EXPANDABLE


class CreateBalanceTransaction(Params):
    expandable = TRANSACTION_EXPANDABLE
    amount: Amount
    currency: Currency
    description: Description = None
    metadata: Metadata = None


class UpdateBalanceTransaction(Params):
    expandable = TRANSACTION_EXPANDABLE
    description: Description = None
    metadata: Metadata = None


class ListBalanceTransactions(ListParams):
    expandable = frozenset(f"data.{p}" for p in TRANSACTION_EXPANDABLE)  # a list's objects are under data
    invoice: Cursor = None


class CustomerFields(Params):
    expandable = CUSTOMER_EXPANDABLE
    balance: Balance | None = None
    name: Annotated[str | None, *text(256)] = None
    email: Annotated[str | None, *text(512)] = None
    description: Annotated[str | None, *text(5000)] = None
    phone: Annotated[str | None, *text(20)] = None
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
    expandable = frozenset(f"data.{p}" for p in CUSTOMER_EXPANDABLE)
    email: Annotated[str | None, *text(512)] = None


class RetrieveEvent(Params):
    pass


class ListEvents(ListParams):
    type: Annotated[str | None, *text(255)] = None
    types: EventTypes = None

    @model_validator(mode="after")
    def _one_type_filter(self) -> "ListEvents":
        if self.type and self.types:
            raise fail(NO_CODE, "You may only specify one of these parameters: type, types.", "types")
        return self


class CreateWebhookEndpoint(Params):
    url: WebhookUrl
    enabled_events: EnabledEvents
    description: Annotated[str | None, *text(5000)] = None
    metadata: Metadata = None
    api_version: ApiVersion = None


class UpdateWebhookEndpoint(Params):
    url: WebhookUrl | None = None
    enabled_events: EnabledEvents | None = None
    description: Annotated[str | None, *text(5000)] = None
    metadata: Metadata = None
    disabled: Boolean | None = None


class RetrieveWebhookEndpoint(Params):
    pass


class DeleteWebhookEndpoint(Params):
    pass


class ListWebhookEndpoints(PageParams):
    pass


class CheckChain(Params):
    """GET /v1/customers/{customer}/chain_check: nothing to choose."""


class ConsoleFile(Params):
    """GET /console: the page, or (`asset`) one of its two files."""

    asset: Literal["console.js", "console.css"] | None = None


P = TypeVar("P", bound="Params")


def parse(model: type[P], raw: dict[str, Any]) -> P:
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
    code = kind if kind.startswith(("parameter_", "invalid_currency", URL_INVALID)) else None
    message = first["msg"] if code or kind == NO_CODE else (
        f"Invalid value for {param}." if param else "The request's parameters could not be read.")
    return errors.invalid(message, code=code, param=param or None)


def _param_name(loc: tuple[Any, ...]) -> str:
    # Locations hold only field names and keys: no parameter model has a union of two types (`X | None`
    # is nullable, not a union), so pydantic never adds a union member's tag (`function-before[…]`).
    names = [str(part) for part in loc]
    return names[0] + "".join(f"[{n}]" for n in names[1:]) if names else ""
