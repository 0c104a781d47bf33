"""The ledger's invariants, checked over one customer's chain. Used by the tests and by operators
to audit a table: it reports every break it finds, it fixes nothing."""

from collections.abc import Callable
from dataclasses import dataclass

from ledger import errors
from ledger.models import BalanceTransactionRecord, Caller, CustomerRecord

# One customer's audit in one request (GET /v1/customers/{customer}/chain_check) reads its whole chain:
# bounded so that it answers well inside the function's timeout. Longer chains: `make verify`.
CHECKED_TRANSACTIONS_MAX = 50_000
# A break is reported only when a second reading shows one too: a commit landing just as the read reaches
# the customer item (read last) could show that item a transaction ahead of the chain read before it.
READINGS_MAX = 2


def chain_problems(customer: CustomerRecord, transactions: list[BalanceTransactionRecord]) -> list[str]:
    """Every way `transactions` (in key order) break the chain of `customer`; empty when intact.

    - sequence numbers run 1..n without gap or repeat, and the customer's sequence is n;
    - in each currency, ending_balance[i] = ending_balance[i-1] + amount[i];
    - `created` never goes backwards along the chain;
    - each currency's balance on the customer equals its last ending_balance (= the sum of amounts).
    """
    problems: list[str] = []
    where = f"{customer.mode}/{customer.id}"
    running: dict[str, int] = {}
    last_created = 0
    seen_ids: set[str] = set()
    for expected, txn in enumerate(transactions, start=1):
        if txn.sequence != expected:
            problems.append(f"{where}: transaction {txn.id} has sequence {txn.sequence}, expected {expected}")
        if txn.id in seen_ids:
            problems.append(f"{where}: transaction id {txn.id} appears twice")
        seen_ids.add(txn.id)
        if txn.created < last_created:
            problems.append(f"{where}: {txn.id} created {txn.created} before its predecessor ({last_created})")
        last_created = max(last_created, txn.created)
        previous = running.get(txn.currency, 0)
        if txn.ending_balance != previous + txn.amount:
            problems.append(f"{where}: {txn.id} ends at {txn.ending_balance} but {previous} + {txn.amount} "
                            f"= {previous + txn.amount} ({txn.currency})")
        running[txn.currency] = previous + txn.amount
    if customer.sequence != len(transactions):
        problems.append(f"{where}: customer sequence is {customer.sequence} but the chain holds "
                        f"{len(transactions)} transactions")
    stored = {c: b for c, b in customer.balances.items() if b or c in running}
    if stored != running:
        problems.append(f"{where}: balances {stored} differ from the chain's sums {running}")
    return problems


def audit_table(progress: Callable[[int, int], None] | None = None) -> tuple[int, int, list[str]]:
    """Walk every customer's chain in the table: (customers, transactions, problems). `progress` is told
    the customers and transactions walked so far, after each customer."""
    from ledger import dal

    customers = transactions = 0
    problems: list[str] = []
    for customer in dal.all_customers():
        chain = dal.whole_chain(customer.mode, customer.id)
        customers += 1
        transactions += len(chain)
        problems.extend(chain_problems(customer, chain))
        if progress is not None:
            progress(customers, transactions)
    return customers, transactions, problems


@dataclass(frozen=True)
class ChainCheck:
    """One customer's chain as `chain_problems` judges it: intact when `problems` is empty."""

    customer: CustomerRecord
    transactions: int
    problems: list[str]


def check_customer(caller: Caller, customer_id: str) -> ChainCheck:
    """The same checks as `make verify`, for one customer of the caller's mode, on its chain as one
    commit left it. A deleted customer is checked too: its ledger is kept forever."""
    from ledger import dal

    for _ in range(READINGS_MAX):
        try:
            customer, chain = dal.chain_as_committed(caller.mode, customer_id, CHECKED_TRANSACTIONS_MAX)
        except dal.ChainTooLong:
            raise errors.invalid(f"The chain of {customer_id} holds more than {CHECKED_TRANSACTIONS_MAX:,} "
                                 "transactions: check it with `make verify`.", param="customer") from None
        if customer is None:
            raise errors.no_such_customer(customer_id, param="customer")
        checked = ChainCheck(customer, len(chain), chain_problems(customer, chain))
        if not checked.problems:
            break
    return checked
