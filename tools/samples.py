"""`make samples`: the customer and transaction that the sample events in events/ name, stored in the
local run's table (once), so every sample answers as shipped, with `make invoke` or `sam local invoke`.

The sample chain is a real one (one transaction, sequence 1), so `make verify` finds it intact.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.models import CustomerRecord

CUSTOMER = "cus_NffrFeUfNV2Hib"
TRANSACTION = "cbtxn_1xNObo0000001JnY6kYZpT8a"  # created 2026-11-01T06:00:00Z, sequence 1
DELETABLE = "cus_SampleDeletable"  # what the delete sample deletes: stored anew by every seed
EVENT = "evt_1xNObo00000000000000000000001"  # the sample customer's customer.created (stream position 1)
WEBHOOK_ENDPOINT = "we_1SampleEndpoint000000000"
DELETABLE_WEBHOOK_ENDPOINT = "we_1SampleDeletable00000000"  # what the delete sample deletes: stored anew by every seed


def seed() -> None:
    """Store the sample customer and its transaction in the table the layer points at, unless present."""
    from ledger import dal, ids
    from ledger.models import BalanceTransactionRecord, CustomerRecord, Source

    position = ids.transaction_position(TRANSACTION)
    assert position is not None
    created, sequence = position
    customer = CustomerRecord(id=CUSTOMER, mode="test", created=created, sequence=sequence,
                              last_transaction_created=created, currency="usd", balances={"usd": -500},
                              email="jenny.rosen@example.com", name="Jenny Rosen")
    transaction = BalanceTransactionRecord(id=TRANSACTION, customer=CUSTOMER, mode="test", sequence=sequence,
                                           created=created, amount=-500, currency="usd", ending_balance=-500,
                                           type="adjustment", description="Sample credit",
                                           source=Source(origin="api"))
    with contextlib.suppress(dal.StaleCustomer):  # already there
        dal.commit_customer(customer, None, transaction)
    _seed_event(customer)
    deletable = CustomerRecord(id=DELETABLE, mode="test", created=created, name="Deletable Sample")
    current = dal.get_customer("test", DELETABLE)
    dal.commit_customer(deletable.model_copy(update={"version": current.version + 1}) if current else deletable,
                        current.version if current else None)
    _seed_webhook_endpoints(created)


def _seed_webhook_endpoints(created: int) -> None:
    """The endpoint the retrieve and update samples name, and the one the delete sample deletes (the
    update sample may have changed the first: it is kept as it is)."""
    from ledger.dal import webhook_endpoints as stored
    from ledger.models import WebhookEndpointRecord

    for endpoint_id, description in ((WEBHOOK_ENDPOINT, "Sample receiver"),
                                     (DELETABLE_WEBHOOK_ENDPOINT, "Deletable sample receiver")):
        if stored.get_endpoint("test", endpoint_id) is None:
            stored.put_endpoint(WebhookEndpointRecord(
                id=endpoint_id, mode="test", url="https://example.com/webhooks", enabled_events=["customer.created"],
                secret="whsec_" + "0" * 32, created=created, description=description), None)


def _seed_event(customer: CustomerRecord) -> None:
    """The event EVENT names, as the stream would have recorded it, kept from expiring (every seed
    renews it)."""
    from ledger import clock, events, ids
    from ledger.dal import events as stored

    position = ids.event_position(EVENT)
    assert position is not None
    event = events.derive(stored.Change(position=position[1], created=position[0], old=None, new=customer))
    assert event is not None and event.id == EVENT
    stored.put_event(event.model_copy(update={"expires_at": clock.now() + events.RETENTION_S}), replace=True)


def main() -> int:
    from tools import dynamodb_local, lambda_local
    from tools.local_api import TABLE_NAME

    with dynamodb_local.ledger_table(name=TABLE_NAME):
        lambda_local.use_layer()
        seed()
    print(f"samples: {CUSTOMER} with {TRANSACTION} in the local table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
