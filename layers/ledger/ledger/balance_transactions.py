"""Business rules of balance transactions: posting one onto a customer's chain, reading, editing
its description and metadata, and paging through a chain."""

from ledger import chain, clock, dal, errors, ids
from ledger.config import MAX_AMOUNT
from ledger.idempotency import Claim
from ledger.models import BalanceTransactionRecord, Caller, CustomerRecord, Page, Source
from ledger.params import CreateBalanceTransaction, ListBalanceTransactions, UpdateBalanceTransaction


def next_transaction(
    current: CustomerRecord,
    *,
    amount: int,
    currency: str,
    kind: str,
    source: Source,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
) -> chain.Change:
    """The customer's next state after posting `amount` in `currency`, and the transaction itself.

    The sequence grows by one, `created` never goes backwards along the chain, the first transaction
    sets the customer's currency, and only that currency's balance moves.
    """
    ending_balance = current.balances.get(currency, 0) + amount
    if abs(ending_balance) > MAX_AMOUNT:
        raise errors.invalid(
            f"This transaction would take the customer's {currency} balance to {ending_balance}; "
            f"balances are limited to {MAX_AMOUNT} in absolute value.",
            code="parameter_invalid_integer", param="amount")
    sequence = current.sequence + 1
    created = max(clock.now(), current.last_transaction_created)
    transaction = BalanceTransactionRecord(
        id=ids.transaction_id(created, sequence), customer=current.id, mode=current.mode,
        sequence=sequence, created=created, amount=amount, currency=currency,
        ending_balance=ending_balance, type=kind, description=description, metadata=metadata or {},
        source=source,
    )
    customer = current.model_copy(update={
        "version": current.version + 1, "sequence": sequence, "last_transaction_created": created,
        "currency": current.currency or currency, "balances": {**current.balances, currency: ending_balance},
    })
    return chain.Change(customer, transaction)


def create(
    caller: Caller, customer_id: str, params: CreateBalanceTransaction, claim: Claim | None = None
) -> chain.Change:
    metadata = params.metadata.apply({}) if params.metadata else {}
    source = Source(origin=caller.origin, request_id=caller.request_id, key_id=caller.key_id)

    def post(current: CustomerRecord) -> chain.Change:
        return next_transaction(current, amount=params.amount, currency=params.currency, kind="adjustment",
                                source=source, description=params.description, metadata=metadata)

    return chain.write_customer(caller.mode, customer_id, post, claim, customer_param="customer",
                                request=caller.request)


def retrieve(caller: Caller, customer_id: str, txn_id: str) -> tuple[BalanceTransactionRecord, CustomerRecord]:
    """One consistent read of the customer and the transaction together."""
    transaction, customer, _ = _read(caller, customer_id, txn_id)
    return transaction, customer


def _read(
    caller: Caller, customer_id: str, txn_id: str, claim: Claim | None = None
) -> tuple[BalanceTransactionRecord, CustomerRecord, dal.Snapshot]:
    claim_key = (claim.namespace, claim.key) if claim is not None else None
    snapshot = dal.read(caller.mode, customer_id, ids.transaction_position(txn_id), claim_key)
    customer, transaction = snapshot.customer, snapshot.transaction
    if claim is not None:
        claim.check(snapshot.claim)
    if customer is None or customer.deleted:
        raise errors.no_such_customer(customer_id, param="customer")
    if transaction is None or transaction.id != txn_id:
        raise errors.no_such_transaction(txn_id)
    return transaction, customer, snapshot


def update(
    caller: Caller, customer_id: str, txn_id: str, params: UpdateBalanceTransaction, claim: Claim | None = None
) -> chain.Change:
    """Edit description and metadata only; retried while another edit of the same transaction wins,
    with the same budget and backoff as posting. The result carries the edited transaction (amount,
    currency and balances never change)."""
    fields = params.model_fields_set

    def write() -> chain.Change:
        transaction, customer, _ = _read(caller, customer_id, txn_id, claim)
        # The data-access module moves the revision on; here only what the caller may change.
        edited = transaction.model_copy(update={
            "description": params.description if "description" in fields else transaction.description,
            "metadata": params.metadata.apply(transaction.metadata) if params.metadata else transaction.metadata,
        })
        outcome = chain.Change(customer, edited)
        if edited == transaction:  # nothing changes: nothing but the claim written
            if claim is not None:
                dal.commit_claim(claim.record(outcome))
            return outcome
        try:
            dal.commit_transaction_edit(edited.model_copy(update={"last_request": caller.request}),
                                        transaction.revision, claim.record(outcome) if claim is not None else None)
        except dal.CustomerGone:
            raise errors.no_such_customer(customer_id, param="customer") from None
        return outcome

    return chain.retrying(write, dal.StaleTransaction, caller.mode, claim,
                          conflict_metric="TransactionEditConflictsRetried")


def list_page(caller: Caller, customer_id: str, params: ListBalanceTransactions) -> Page:
    """Newest first. No cursor and no upper `created` bound: one Query returns the customer and the
    page. A cursor costs one more read (customer and cursor together)."""
    lowest, highest = params.created.bounds() if params.created else (None, None)
    cursor_id = params.starting_after or params.ending_before
    cursor = None
    if cursor_id:
        customer, cursor = _customer_and_cursor(caller, customer_id, cursor_id, params)
    elif highest is None and params.invoice is None:
        found, transactions = dal.transaction_page(caller.mode, customer_id, lowest=lowest, with_customer=True,
                                                   limit=params.limit + 2)
        return _page(_live(found, customer_id), transactions, params)
    else:
        customer = _live(dal.get_customer(caller.mode, customer_id), customer_id)
    if params.invoice is not None:
        return Page(items=[], has_more=False, customer=customer)  # no transaction here links an invoice
    _, transactions = dal.transaction_page(caller.mode, customer_id, lowest=lowest, highest=highest, cursor=cursor,
                                           newest_first=not params.ending_before, limit=params.limit + 2)
    return _page(customer, [t for t in transactions if t.id != cursor_id], params)


def _page(customer: CustomerRecord, transactions: list[BalanceTransactionRecord],
          params: ListBalanceTransactions) -> Page:
    items = transactions[: params.limit]
    if params.ending_before:
        items.reverse()  # fetched oldest first from the cursor; pages are always newest first
    return Page(items=items, has_more=len(transactions) > params.limit, customer=customer)


def _live(customer: CustomerRecord | None, customer_id: str) -> CustomerRecord:
    if customer is None or customer.deleted:
        raise errors.no_such_customer(customer_id, param="customer")
    return customer


def _customer_and_cursor(
    caller: Caller, customer_id: str, cursor_id: str, params: ListBalanceTransactions
) -> tuple[CustomerRecord, tuple[int, int]]:
    param = "starting_after" if params.starting_after else "ending_before"
    customer, cursor, _ = dal.read(caller.mode, customer_id, ids.transaction_position(cursor_id))
    customer = _live(customer, customer_id)
    if cursor is None or cursor.id != cursor_id:
        raise errors.no_such_transaction(cursor_id, param=param, status=400)
    return customer, (cursor.created, cursor.sequence)
