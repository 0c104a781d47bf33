"""The optimistic commit loop that keeps every customer's chain sequential: each write reads the
customer, decides its next state, and commits it conditioned on the version it read, so no two
transactions of a customer ever share a predecessor. How losers retry, and why: docs/design.md
("Writes and the chain").
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ledger import dal, errors, retry
from ledger.config import settings
from ledger.idempotency import Claim, key_in_use
from ledger.models import BalanceTransactionRecord, CustomerRecord, Mode, RequestRef
from ledger.observability import count

# A loser pauses longer than the winner's whole read-and-write cycle, so the writer that just committed
# does not simply win again while it waits (tuned with `make bench`).
BACKOFF_BASE_MS = 100
BACKOFF_CAP_MS = 500
FIRST_RETRY_JITTER_MS = 5  # spreads the writers that lost together, without growing the backoff
ATTEMPTS_MAX = 1_000  # far more than a budget's worth of attempts: the budget is the bound that acts


def write_policy() -> retry.Policy:
    """How every write to a customer or a transaction retries a lost race."""
    return retry.Policy(attempts_max=ATTEMPTS_MAX, budget_ms=settings().write_budget_ms,
                        backoff_base_ms=BACKOFF_BASE_MS, backoff_cap_ms=BACKOFF_CAP_MS)


@dataclass(frozen=True)
class Change:
    """A customer's next state and the transaction it records (None for changes without money)."""

    customer: CustomerRecord
    transaction: BalanceTransactionRecord | None = None

    def stamped(self, request: RequestRef | None) -> "Change":
        """The change as stored: naming the request that made it (its events' `request`)."""
        if request is None:
            return self
        transaction = self.transaction.model_copy(update={"last_request": request}) if self.transaction else None
        return Change(self.customer.model_copy(update={"last_request": request}), transaction)


def write_customer(
    mode: Mode, customer_id: str, decide: Callable[[CustomerRecord], Change], claim: Claim | None = None,
    customer_param: str = "id", request: RequestRef | None = None,
) -> Change:
    """Apply `decide` to the live customer and commit the result, retrying on version conflicts.

    `decide` must be pure: it may run several times, and may raise a StripeError to refuse. An unknown
    customer is a 404 naming `customer_param`. A spent budget is 429 lock_timeout, nothing written.
    """
    attempts = retry.Attempts(write_policy())
    snapshot = dal.read(mode, customer_id, claim=_claim_key(claim))
    if claim is not None:
        claim.check(snapshot.claim)
    current = snapshot.customer
    try:
        for attempt in attempts:
            if current is None or current.deleted:
                raise errors.no_such_customer(customer_id, param=customer_param)
            change = decide(current)
            try:
                _commit(current, change, claim, request)
            except dal.ClaimTaken:
                raise settle_claim_race(mode, claim) from None
            except dal.StaleCustomer as stale:
                count("VersionConflictsRetried")
                current = _after_losing(attempts, attempt, stale, mode, customer_id)
                continue
            if change.transaction is not None:
                count("BalanceTransactionsCreated")
            return change
    except retry.Exhausted:
        count("LockTimeouts")
        raise errors.lock_timeout() from None
    raise AssertionError("unreachable: the attempts end by returning or raising")


def _commit(current: CustomerRecord, change: Change, claim: Claim | None, request: RequestRef | None) -> None:
    if change.transaction is None and change.customer == current:  # nothing changes: only the claim
        if claim is not None:
            dal.commit_claim(claim.record(change))
        return
    stored = change.stamped(request)
    dal.commit_customer(stored.customer, current.version, stored.transaction,
                        claim.record(change) if claim is not None else None)


def _after_losing(attempts: retry.Attempts, attempt: int, stale: dal.StaleCustomer, mode: Mode,
                  customer_id: str) -> CustomerRecord | None:
    """The state to retry from. The first time, and once the request is past half its budget (so a
    busy writer cannot starve it), the state the engine handed back, at once; otherwise, after a pause,
    a fresh read (a state fetched before sleeping would be stale against a busy writer)."""
    budget_ms = attempts.policy.budget_ms
    urgent = budget_ms / 2 <= attempts.elapsed_ms < budget_ms
    if stale.current is not None and (attempt == 0 or urgent):
        if attempt == 0:
            attempts.jitter(FIRST_RETRY_JITTER_MS)
        return stale.current
    attempts.pause()
    return dal.get_customer(mode, customer_id)


T = TypeVar("T")


def retrying(write: Callable[[], T], stale: type[Exception], mode: Mode, claim: Claim | None, *,
             conflict_metric: str) -> T:
    """Run `write` (read, decide, conditional write) again while it loses races (`stale`), with the
    write policy's backoff and budget: for objects written on their own, not through a customer's
    chain (a transaction's edit, a webhook endpoint). A key another request committed first settles the
    race (replay or refusal); a spent budget is 429 lock_timeout, nothing written."""
    attempts = retry.Attempts(write_policy())
    try:
        for _attempt in attempts:
            try:
                return write()
            except dal.ClaimTaken:
                raise settle_claim_race(mode, claim) from None
            except stale:
                count(conflict_metric)
                attempts.pause()
    except retry.Exhausted:
        count("LockTimeouts")
        raise errors.lock_timeout() from None
    raise AssertionError("unreachable: the attempts end by returning or raising")


def create_customer(change: Change, claim: Claim | None = None, request: RequestRef | None = None) -> Change:
    """Commit a new customer (and its `initial` transaction) in one write."""
    if claim is not None:
        claim.check(dal.read(change.customer.mode, claim=_claim_key(claim)).claim)
    stored = change.stamped(request)
    try:
        dal.commit_customer(stored.customer, None, stored.transaction,
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
