"""Stripe's events for the ledger's committed changes, and reading them back.

Every event is derived from a change the table's stream reports (never from a request), so a request
pays nothing for it, a refused or replayed request (which commits nothing) yields none, and a function
that dies after its commit loses none. A change yields at most one event, stored under an id derived
from its stream position: seeing a change again (the stream is read at least once) stores nothing new.

Types: Stripe's `customer.created`, `customer.updated` (also when a balance transaction moves the
balance, with `previous_attributes.balance`), `customer.deleted`; and this ledger's own
`customer_balance_transaction.created` and `.updated` (Stripe has no event for credit balance
transactions; the SDKs parse any type).
"""

from typing import Any

from ledger import clock, errors, ids, wire
from ledger.api import rendering
from ledger.dal import events as stored
from ledger.dal.events import Change
from ledger.models import BalanceTransactionRecord, Caller, CustomerRecord, EventRecord, Page
from ledger.observability import count
from ledger.params import ListEvents

RETENTION_S = 30 * 24 * 3600  # Stripe keeps events for 30 days
TYPES = ("customer.created", "customer.updated", "customer.deleted",
         "customer_balance_transaction.created", "customer_balance_transaction.updated")


def record(stream_record: dict[str, Any]) -> None:
    """Store the event of one stream record, if its change has one (a change seen before stores
    nothing: its event is keyed by the change)."""
    change = stored.change(stream_record)
    event = derive(change) if change is not None else None
    if event is not None and stored.put_event(event):
        count("EventsRecorded")


def derive(change: Change) -> EventRecord | None:
    """The event of one change, or None when nothing a client sees changed."""
    old, new = change.old, change.new
    if new is None:
        return None  # items are never removed by the ledger (only expired records are)
    if isinstance(new, CustomerRecord):
        assert old is None or isinstance(old, CustomerRecord)
        return _customer_event(change, old, new)
    assert old is None or isinstance(old, BalanceTransactionRecord)
    return _transaction_event(change, old, new)


def _customer_event(change: Change, old: CustomerRecord | None, new: CustomerRecord) -> EventRecord | None:
    if old is None:
        return _event(change, "customer.created", new, rendering.customer(new))
    if new.deleted and not old.deleted:
        return _event(change, "customer.deleted", new, rendering.customer(old))
    before, after = rendering.customer(old), rendering.customer(new)
    previous = previous_attributes(before, after)
    return _event(change, "customer.updated", new, after, previous) if previous else None


def _transaction_event(change: Change, old: BalanceTransactionRecord | None,
                       new: BalanceTransactionRecord) -> EventRecord | None:
    after = rendering.balance_transaction(new)
    if old is None:
        return _event(change, "customer_balance_transaction.created", new, after)
    previous = previous_attributes(rendering.balance_transaction(old), after)
    return _event(change, "customer_balance_transaction.updated", new, after, previous) if previous else None


def previous_attributes(before: dict[str, object], after: dict[str, object]) -> dict[str, object]:
    """Stripe's `previous_attributes`: the earlier value of each field that changed; for a map
    (metadata), only its changed keys, null for a key that was added."""
    previous: dict[str, object] = {}
    for name, value in before.items():
        if after.get(name) == value:
            continue
        was, now = value, after.get(name)
        if isinstance(was, dict) and isinstance(now, dict):
            previous[name] = {k: was.get(k) for k in sorted(was.keys() | now.keys()) if was.get(k) != now.get(k)}
        else:
            previous[name] = was
    return previous


def _event(change: Change, kind: str, subject: CustomerRecord | BalanceTransactionRecord,
           rendered: dict[str, object], previous: dict[str, object] | None = None) -> EventRecord:
    if isinstance(subject, CustomerRecord):
        customer, committed = subject.id, max(subject.created, subject.last_transaction_created)
    else:
        customer, committed = subject.customer, subject.created
    # The stream's time is approximate (DynamoDB Local's is rounded down to the minute): an event is
    # never older than the object it reports.
    created = max(change.created, committed)
    return EventRecord(
        id=ids.event_id(created, change.position), mode=subject.mode, type=kind, created=created,
        position=change.position, customer=customer, api_version=wire.API_VERSION, object=wire.dumps(rendered),
        previous_attributes=wire.dumps(previous) if previous is not None else None,
        request=subject.last_request, expires_at=created + RETENTION_S,
    )


# --- the Events API ----------------------------------------------------------------------------------

def retrieve(caller: Caller, event_id: str) -> EventRecord:
    found = stored.find_event(caller.mode, event_id)
    if found is None or found.expires_at <= clock.now():
        raise errors.no_such("event", event_id)
    return found


def list_page(caller: Caller, params: ListEvents) -> Page:
    """Newest first, of the last 30 days, filtered by `type`/`types` and `created`."""
    oldest = clock.now() - RETENTION_S
    lowest, highest = params.created.bounds() if params.created else (None, None)
    cursor_id = params.starting_after or params.ending_before
    cursor = None
    if cursor_id:
        cursor = ids.event_position(cursor_id)
        if cursor is None or stored.get_event(caller.mode, *cursor) is None:
            param = "starting_after" if params.starting_after else "ending_before"
            raise errors.no_such("event", cursor_id, param=param, status=400)
    types = [params.type] if params.type else params.types
    found, has_more = stored.event_page(
        caller.mode, lowest=max(lowest if lowest is not None else oldest, oldest),
        highest=highest, cursor=cursor,
        newest_first=not params.ending_before, types=types, limit=params.limit)
    if params.ending_before:
        found.reverse()
    return Page(items=found, has_more=has_more)

