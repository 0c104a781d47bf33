"""The optimistic commit loop that keeps every customer's chain sequential.

Each write to a customer reads it, decides its next state from what it read, and commits that state
conditioned on the version it read. Two writers that read the same version cannot both commit, so no
two transactions of a customer ever share a predecessor. A loser retries from the state the engine
handed back (or re-reads it) after a full-jitter backoff; when its time budget is spent it answers
429 lock_timeout, having written nothing.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger import dal, errors
from ledger.config import settings
from ledger.models import BalanceTransactionRecord, CustomerRecord, Mode
from ledger.observability import count

BACKOFF_BASE_SECONDS = 0.005
BACKOFF_CAP_SECONDS = 0.2


@dataclass(frozen=True)
class Change:
    """A customer's next state and the transaction recording it (None for edits without money)."""

    customer: CustomerRecord
    transaction: BalanceTransactionRecord | None = None


def write_customer(mode: Mode, customer_id: str, decide: Callable[[CustomerRecord], Change]) -> Change:
    """Apply `decide` to the live customer and commit the result, retrying on version conflicts.

    `decide` must be pure: it may run several times, and may raise a StripeError to refuse.
    """
    deadline = time.monotonic() + settings().write_budget_seconds
    current = dal.get_customer(mode, customer_id)
    for attempt in range(10_000):
        if current is None or current.deleted:
            raise errors.no_such_customer(customer_id)
        change = decide(current)
        if change.transaction is None and change.customer == current:
            return change  # nothing changes: nothing is written
        try:
            dal.commit_customer(change.customer, current.version, change.transaction)
        except dal.StaleCustomer as stale:
            count("VersionConflictsRetried")
            pause = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))
            if time.monotonic() + pause > deadline:
                count("LockTimeouts")
                raise errors.lock_timeout() from stale
            time.sleep(pause)
            current = stale.current or dal.get_customer(mode, customer_id)
            continue
        if change.transaction is not None:
            count("BalanceTransactionsCreated")
        return change
    raise errors.lock_timeout()


def create_customer(change: Change) -> Change:
    """Commit a new customer (and its `initial` transaction) in one write."""
    dal.commit_customer(change.customer, None, change.transaction)
    if change.transaction is not None:
        count("BalanceTransactionsCreated")
    return change
