"""One consistent read of what a request needs together: a customer, one of its transactions, and an
idempotency record, in one round trip (GetItem for one, BatchGetItem for more)."""

from typing import Any, NamedTuple

from ledger import ids
from ledger.dal import idempotency, keys
from ledger.dal.client import batch_get, client, table
from ledger.models import BalanceTransactionRecord, CustomerRecord, IdempotencyRecord, Mode


class Snapshot(NamedTuple):
    customer: CustomerRecord | None
    transaction: BalanceTransactionRecord | None
    claim: IdempotencyRecord | None


def read(
    mode: Mode,
    customer_id: str | None = None,
    position: tuple[int, int] | None = None,
    claim: tuple[str, str] | None = None,
) -> Snapshot:
    """Whichever of a customer, its transaction at `position` (created, sequence) and the idempotency
    record (namespace, key) are asked for. An id that cannot be a customer's is not looked up."""
    wanted: dict[str, dict[str, Any]] = {}
    if customer_id is not None and ids.is_customer_id(customer_id):
        wanted["customer"] = keys.customer_key(mode, customer_id)
        if position is not None:
            wanted["transaction"] = keys.transaction_key(mode, customer_id, *position)
    if claim is not None:
        wanted["claim"] = keys.claim_key(mode, *claim)
    asked = list(wanted.values())
    if len(asked) == 1:
        found = client().get_item(TableName=table(), Key=asked[0], ConsistentRead=True).get("Item")
        items = [found] if found else []
    else:
        items = batch_get(asked) if asked else []
    # Each item is matched to the exact key asked for, never guessed from its kind.
    by_key = {(i["pk"]["S"], i["sk"]["S"]): i for i in items}
    found_as = {role: by_key.get((key["pk"]["S"], key["sk"]["S"])) for role, key in wanted.items()}
    stored_transaction = found_as.get("transaction")
    return Snapshot(keys.customer(found_as.get("customer")),
                    keys.transaction(stored_transaction) if stored_transaction else None,
                    idempotency.record(found_as.get("claim")))
