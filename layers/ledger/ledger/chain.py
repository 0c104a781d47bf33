"""The optimistic commit loop that keeps every customer's chain sequential.

Each write to a customer reads it, decides its next state from what it read, and commits that state
conditioned on the version it read. Two writers that read the same version cannot both commit, so no
two transactions of a customer ever share a predecessor. A loser retries at once from the state the
engine handed back with the failed condition (no re-read); if it loses again it backs off (full
jitter) and re-reads after the pause, since a state fetched before sleeping is stale against a busy
writer. A request still losing halfway through its time budget stops yielding and retries at once
from each state handed back, so a busy writer cannot starve it. When the budget is spent it answers
429 lock_timeout, having written nothing.

A request with an idempotency key commits its record in the same transaction: a retry of a committed
request, or a concurrent request with the same key, finds the record and replays it.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger import dal, errors
from ledger.config import settings
from ledger.idempotency import Claim, key_in_use
from ledger.models import BalanceTransactionRecord, CustomerRecord, Mode
from ledger.observability import count

# Under contention the writer that just committed reads first and tends to win again, so the others
# only add failed attempts: pausing them longer (base 100 ms rather than 50) cut failed attempts per
# success by a third at 8 writers and raised throughput, with no lock timeout (bench/suite.py).
BACKOFF_BASE_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 0.5
FIRST_RETRY_JITTER_SECONDS = 0.005


@dataclass(frozen=True)
class Change:
    """A customer's next state and the transaction it records (None for changes without money)."""

    customer: CustomerRecord
    transaction: BalanceTransactionRecord | None = None


def write_customer(
    mode: Mode, customer_id: str, decide: Callable[[CustomerRecord], Change], claim: Claim | None = None,
    customer_param: str = "id",
) -> Change:
    """Apply `decide` to the live customer and commit the result, retrying on version conflicts.

    `decide` must be pure: it may run several times, and may raise a StripeError to refuse. An unknown
    customer is a 404 naming `customer_param`.
    """
    started, budget = time.monotonic(), settings().write_budget_seconds
    deadline, urgent_at = started + budget, started + budget / 2
    snapshot = dal.read(mode, customer_id, claim=_claim_key(claim))
    if claim is not None:
        claim.check(snapshot.claim)
    current = snapshot.customer
    for attempt in range(10_000):
        if current is None or current.deleted:
            raise errors.no_such_customer(customer_id, param=customer_param)
        change = decide(current)
        unchanged = change.transaction is None and change.customer == current
        try:
            if unchanged:
                if claim is not None:
                    dal.commit_claim(claim.record(change))
                return change  # nothing changes: nothing but the claim is written
            record = claim.record(change) if claim is not None else None
            dal.commit_customer(change.customer, current.version, change.transaction, record)
        except dal.ClaimTaken:
            raise settle_claim_race(mode, claim) from None
        except dal.StaleCustomer as stale:
            count("VersionConflictsRetried")
            now = time.monotonic()
            if stale.current is not None and (attempt == 0 or urgent_at <= now < deadline):
                # The state that beat us, fresh from the engine. The first time, retry from it after a
                # pause of up to one commit, so the writers that lost together do not all collide again;
                # once urgent, at once: that lands before the winner's next read-and-write cycle.
                if attempt == 0:
                    time.sleep(random.uniform(0, FIRST_RETRY_JITTER_SECONDS))
                current = stale.current
                continue
            # Back off, then read: a state fetched before the pause would be stale after it.
            pause = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))
            if now + pause > deadline:
                count("LockTimeouts")
                raise errors.lock_timeout() from stale
            time.sleep(pause)
            current = dal.get_customer(mode, customer_id)
            continue
        if change.transaction is not None:
            count("BalanceTransactionsCreated")
        return change
    raise errors.lock_timeout()


def create_customer(change: Change, claim: Claim | None = None) -> Change:
    """Commit a new customer (and its `initial` transaction) in one write."""
    if claim is not None:
        claim.check(dal.read(change.customer.mode, claim=_claim_key(claim)).claim)
    try:
        dal.commit_customer(change.customer, None, change.transaction,
                            claim.record(change) if claim is not None else None)
    except dal.ClaimTaken:
        raise settle_claim_race(change.customer.mode, claim) from None
    if change.transaction is not None:
        count("BalanceTransactionsCreated")
    return change


def settle_claim_race(mode: Mode, claim: Claim | None) -> Exception:
    """Another request committed this key first: replay it (or refuse other parameters). Returns the
    exception to raise; if its record is already gone, the key is reported busy."""
    assert claim is not None
    try:
        claim.check(dal.read(mode, claim=_claim_key(claim)).claim)
    except Exception as settled:  # Replay or idempotency_error
        return settled
    return key_in_use(claim.key)


def _claim_key(claim: Claim | None) -> tuple[str, str] | None:
    return (claim.namespace, claim.key) if claim is not None else None
