"""What the ledger stores: a customer and its balance transactions (pydantic records).

Balances are integers in the currency's smallest unit, keyed by currency, with `balance`'s sign
(negative = credit). `version` is the optimistic lock every write to the customer is conditioned on;
`sequence` counts the customer's transactions (gap-free: only transaction-creating writes bump it).
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["test", "live"]


class Source(BaseModel):
    """Where a transaction came from: stored for audit, never rendered."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    origin: Literal["api", "customer_update", "customer_create", "schedule"]
    request_id: str | None = None
    key_id: str | None = None


class RequestRef(BaseModel):
    """The API request behind a change (Stripe's `event.request`): stamped on what it writes."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    id: str | None = None
    idempotency_key: str | None = None


class CustomerRecord(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    mode: Mode
    created: int
    version: int = 1
    sequence: int = 0
    last_transaction_created: int = 0
    currency: str | None = None
    balances: dict[str, int] = Field(default_factory=dict)
    name: str | None = None
    email: str | None = None
    description: str | None = None
    phone: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    invoice_prefix: str | None = None
    deleted: bool = False
    last_request: RequestRef | None = None

    @property
    def balance(self) -> int:
        """The balance in the customer's default currency (0 while it has none)."""
        return self.balances.get(self.currency, 0) if self.currency else 0


class BalanceTransactionRecord(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    customer: str
    mode: Mode
    sequence: int
    created: int
    amount: int
    currency: str
    ending_balance: int
    type: Literal["adjustment", "initial"]
    description: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    invoice: str | None = None
    revision: int = 1
    source: Source
    last_request: RequestRef | None = None


class Caller(BaseModel):
    """Who is asking: the mode their key acts in, the key's id, this request's id, and whether it
    came through the API or from a scheduled plan (recorded on the transactions it creates)."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    mode: Mode = "test"
    key_id: str | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    origin: Literal["api", "schedule"] = "api"

    @property
    def request(self) -> RequestRef:
        return RequestRef(id=self.request_id, idempotency_key=self.idempotency_key)


class EventRecord(BaseModel):
    """One of Stripe's events, derived from a committed change (docs/design.md, "Events"). `position`
    is the change's place in the table's stream (its sequence number): events of one customer sort in
    chain order by (created, position), and an event's id encodes both, so a retrieve is a key lookup."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    id: str
    mode: Mode
    type: str
    created: int
    position: int
    customer: str
    api_version: str
    object: str  # data.object as the API rendered it then (JSON text)
    previous_attributes: str | None = None  # JSON text, for *.updated events
    request: RequestRef | None = None
    pending_webhooks: int = 0
    expires_at: int  # gone from then on (DynamoDB's TTL deletes the item some time after)


class WebhookEndpointRecord(BaseModel):
    """Where events are POSTed. `secret` (whsec_…) signs every delivery: shown once, at creation."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    id: str
    mode: Mode
    url: str
    enabled_events: list[str]  # event types, or ["*"] for every type
    secret: str
    created: int
    description: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    disabled: bool = False
    api_version: str | None = None
    version: int = 1
    failing_since: int | None = None  # the first failed delivery since the last success

    def wants(self, event_type: str) -> bool:
        return not self.disabled and ("*" in self.enabled_events or event_type in self.enabled_events)


class Page(BaseModel):
    """One page of a list, newest first; `has_more` points in the direction of travel."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, defer_build=True)
    items: list[BalanceTransactionRecord] | list[CustomerRecord] | list[EventRecord] | list[WebhookEndpointRecord]
    has_more: bool
    customer: CustomerRecord | None = None


class ApiKeyRecord(BaseModel):
    """A secret key, stored only as its SHA-256 digest (looked up by it), never in clear."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    key_id: str
    digest: str
    mode: Mode
    prefix: str  # "sk_test_" or "sk_live_"
    last4: str
    created: int
    revoked: bool = False


class IdempotencyRecord(BaseModel):
    """A committed request's outcome, written in the same DynamoDB transaction as its change."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    mode: Mode
    namespace: Literal["client", "system"]
    key: str
    fingerprint: str
    status: int
    body: str  # the response body as sent (JSON text)
    created: int
    expires_at: int

