"""Business rules of customers. Every change of a balance is a balance transaction: a non-zero
`balance` at creation records an `initial` one, a changed `balance` an `adjustment` for the difference."""

from ledger import chain, clock, dal, errors, ids
from ledger.balance_transactions import next_transaction
from ledger.config import MAX_AMOUNT, settings
from ledger.idempotency import Claim
from ledger.models import Caller, CustomerRecord, Page, Source
from ledger.params import CreateCustomer, CustomerFields, ListCustomers, UpdateCustomer

_PROFILE_FIELDS = ("name", "email", "description", "phone")


def create(caller: Caller, params: CreateCustomer, claim: Claim | None = None) -> chain.Change:
    blank = CustomerRecord(
        id=ids.customer_id(), mode=caller.mode, created=clock.now(), version=0,
        invoice_prefix=ids.invoice_prefix(),
        metadata=params.metadata.apply({}) if params.metadata else {},
        **{f: getattr(params, f) for f in _PROFILE_FIELDS},
    )
    if not params.balance:
        return chain.create_customer(chain.Change(blank.model_copy(update={"version": 1})), claim, caller.request)
    source = Source(origin="customer_create", request_id=caller.request_id, key_id=caller.key_id)
    return chain.create_customer(next_transaction(
        blank, amount=params.balance, currency=settings().default_currency, kind="initial", source=source), claim,
        caller.request)


def retrieve(caller: Caller, customer_id: str) -> CustomerRecord:
    """Deleted customers are returned too (rendered as Stripe's deleted object)."""
    customer = dal.get_customer(caller.mode, customer_id)
    if customer is None:
        raise errors.no_such_customer(customer_id)
    return customer


def update(caller: Caller, customer_id: str, params: UpdateCustomer, claim: Claim | None = None) -> chain.Change:
    source = Source(origin="customer_update", request_id=caller.request_id, key_id=caller.key_id)

    def edit(current: CustomerRecord) -> chain.Change:
        edited = _with_profile(current, params)
        difference = 0 if params.balance is None else params.balance - current.balance
        if abs(difference) > MAX_AMOUNT:
            raise errors.invalid(f"The balance would change by {difference}; a change is limited to "
                                 f"{MAX_AMOUNT} in absolute value.", code="parameter_invalid_integer",
                                 param="balance")
        if difference:
            currency = current.currency or settings().default_currency
            return next_transaction(edited, amount=difference, currency=currency, kind="adjustment",
                                    source=source)
        if edited == current:
            return chain.Change(current)
        return chain.Change(edited.model_copy(update={"version": current.version + 1}))

    return chain.write_customer(caller.mode, customer_id, edit, claim, request=caller.request)


def _with_profile(current: CustomerRecord, params: CustomerFields) -> CustomerRecord:
    changes = {f: getattr(params, f) for f in _PROFILE_FIELDS if f in params.model_fields_set}
    if params.metadata is not None:
        changes["metadata"] = params.metadata.apply(current.metadata)
    return current.model_copy(update=changes)


def delete(caller: Caller, customer_id: str, claim: Claim | None = None) -> chain.Change:
    """Mark the customer deleted (conditioned on its version, like every customer write); its ledger
    is kept forever."""

    def mark(current: CustomerRecord) -> chain.Change:
        return chain.Change(current.model_copy(update={"deleted": True, "version": current.version + 1}))

    return chain.write_customer(caller.mode, customer_id, mark, claim, request=caller.request)


def list_page(caller: Caller, params: ListCustomers) -> Page:
    """Newest first, from an index that holds keys only, then one consistent BatchGetItem."""
    lowest, highest = params.created.bounds() if params.created else (None, None)
    cursor_id = params.starting_after or params.ending_before
    cursor = None
    if cursor_id:
        cursor = dal.get_customer(caller.mode, cursor_id)
        if cursor is None:
            param = "starting_after" if params.starting_after else "ending_before"
            raise errors.no_such_customer(cursor_id, param=param, status=400)
    newest_first = not params.ending_before
    found = dal.customer_ids(caller.mode, email=params.email, lowest=lowest, highest=highest, cursor=cursor,
                             newest_first=newest_first, limit=params.limit + 2)
    found = [cid for cid in found if cid != cursor_id]
    page_ids = found[: params.limit]
    if not newest_first:
        page_ids.reverse()
    records = dal.get_customers(caller.mode, page_ids)
    items = [records[cid] for cid in page_ids if cid in records and not records[cid].deleted
             and (params.email is None or records[cid].email == params.email)]
    return Page(items=items, has_more=len(found) > params.limit)
