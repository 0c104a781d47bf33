"""Stripe's JSON for our objects: every field of Stripe's schema, nullable ones as null."""

import json
from collections.abc import Collection

from ledger.chain import Change
from ledger.models import BalanceTransactionRecord, CustomerRecord, EventRecord, Page, WebhookEndpointRecord
from ledger.params import Params

JsonObject = dict[str, object]  # every renderer's result: JSON, typed without Any (mypy refuses Any here)

_INVOICE_SETTINGS = {"custom_fields": None, "default_payment_method": None, "footer": None,
                     "rendering_options": None}


def customer(record: CustomerRecord, expand: Collection[str] = ()) -> JsonObject:
    if record.deleted:
        return deleted_customer(record.id)
    rendered: JsonObject = {
        "id": record.id, "object": "customer", "address": None, "balance": record.balance,
        "created": record.created, "currency": record.currency, "default_source": None,
        "delinquent": False, "description": record.description, "discount": None, "email": record.email,
        "invoice_prefix": record.invoice_prefix, "invoice_settings": dict(_INVOICE_SETTINGS),
        "livemode": record.mode == "live", "metadata": dict(record.metadata), "name": record.name,
        "next_invoice_sequence": 1, "phone": record.phone, "preferred_locales": [], "shipping": None,
        "tax_exempt": "none", "test_clock": None,
    }
    if "invoice_credit_balance" in expand:
        # Stripe documents this map with the opposite sign of `balance`: positive = credit.
        rendered["invoice_credit_balance"] = {c: -amount for c, amount in sorted(record.balances.items())}
    return rendered


def deleted_customer(customer_id: str) -> JsonObject:
    return {"id": customer_id, "object": "customer", "deleted": True}


def balance_transaction(
    record: BalanceTransactionRecord, owner: CustomerRecord | None = None, expand: Collection[str] = ()
) -> JsonObject:
    """`customer` is expanded from `owner`, which every caller already holds: no extra read."""
    rendered_customer: object = record.customer
    if "customer" in expand and owner is not None:
        nested = {p.removeprefix("customer.") for p in expand if p.startswith("customer.")}
        rendered_customer = customer(owner, nested)
    return {
        "id": record.id, "object": "customer_balance_transaction", "amount": record.amount,
        "checkout_session": None, "created": record.created, "credit_note": None,
        "currency": record.currency, "customer": rendered_customer, "customer_account": None,
        "description": record.description, "ending_balance": record.ending_balance,
        "invoice": record.invoice, "livemode": record.mode == "live", "metadata": dict(record.metadata),
        "type": record.type,
    }


def balance_transaction_list(page: Page, url: str, expand: list[str]) -> JsonObject:
    nested = {p.removeprefix("data.") for p in expand}
    data = [balance_transaction(item, page.customer, nested) for item in page.items]  # type: ignore[arg-type]
    return {"object": "list", "data": data, "has_more": page.has_more, "url": url}


def customer_list(page: Page, expand: list[str]) -> JsonObject:
    nested = {p.removeprefix("data.") for p in expand}
    data = [customer(item, nested) for item in page.items]  # type: ignore[arg-type]
    return {"object": "list", "data": data, "has_more": page.has_more, "url": "/v1/customers"}


def event(record: EventRecord) -> JsonObject:
    """Stripe's event object: `data.object` as the API rendered it when the change was committed."""
    data: JsonObject = {"object": json.loads(record.object)}
    if record.previous_attributes is not None:
        data["previous_attributes"] = json.loads(record.previous_attributes)
    request = record.request
    return {
        "id": record.id, "object": "event", "api_version": record.api_version, "created": record.created,
        "data": data, "livemode": record.mode == "live", "pending_webhooks": record.pending_webhooks,
        "request": {"id": request.id if request else None,
                    "idempotency_key": request.idempotency_key if request else None},
        "type": record.type,
    }


# --- one renderer per operation's result: (result, params) -> body --------------------------------

def transaction_change(change: Change, params: Params) -> JsonObject:
    """A created or edited transaction (with its customer, for `expand[]=customer`)."""
    assert change.transaction is not None
    return balance_transaction(change.transaction, change.customer, params.expand)


def transaction_view(found: tuple[BalanceTransactionRecord, CustomerRecord], params: Params) -> JsonObject:
    return balance_transaction(found[0], found[1], params.expand)


def transaction_page(page: Page, params: Params) -> JsonObject:
    assert page.customer is not None
    return balance_transaction_list(page, f"/v1/customers/{page.customer.id}/balance_transactions", params.expand)


def customer_change(change: Change, params: Params) -> JsonObject:
    return customer(change.customer, params.expand)


def customer_view(record: CustomerRecord, params: Params) -> JsonObject:
    return customer(record, params.expand)


def customer_deletion(change: Change, _params: Params) -> JsonObject:
    return deleted_customer(change.customer.id)


def customer_page(page: Page, params: Params) -> JsonObject:
    return customer_list(page, params.expand)


def event_view(record: EventRecord, _params: Params) -> JsonObject:
    return event(record)


def event_page(page: Page, _params: Params) -> JsonObject:
    data = [event(item) for item in page.items]  # type: ignore[arg-type]
    return {"object": "list", "data": data, "has_more": page.has_more, "url": "/v1/events"}


def webhook_endpoint(record: WebhookEndpointRecord, with_secret: bool = False) -> JsonObject:
    """Stripe's webhook_endpoint object; `secret` only in the creation's response."""
    rendered: JsonObject = {
        "id": record.id, "object": "webhook_endpoint", "api_version": record.api_version, "application": None,
        "created": record.created, "description": record.description, "enabled_events": list(record.enabled_events),
        "livemode": record.mode == "live", "metadata": dict(record.metadata),
    }
    if with_secret:
        rendered["secret"] = record.secret
    rendered.update(status="disabled" if record.disabled else "enabled", url=record.url)
    return rendered


def webhook_endpoint_creation(record: WebhookEndpointRecord, _params: Params) -> JsonObject:
    return webhook_endpoint(record, with_secret=True)


def webhook_endpoint_view(record: WebhookEndpointRecord, _params: Params) -> JsonObject:
    return webhook_endpoint(record)


def webhook_endpoint_deletion(record: WebhookEndpointRecord, _params: Params) -> JsonObject:
    return {"id": record.id, "object": "webhook_endpoint", "deleted": True}


def webhook_endpoint_page(page: Page, _params: Params) -> JsonObject:
    data = [webhook_endpoint(item) for item in page.items]  # type: ignore[arg-type]
    return {"object": "list", "data": data, "has_more": page.has_more, "url": "/v1/webhook_endpoints"}
