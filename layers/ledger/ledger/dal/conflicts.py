"""What a conditional write can run into: the ledger's rules decide what each means for a request."""

from ledger.models import CustomerRecord


class StaleCustomer(Exception):
    """The customer changed since it was read. `current` is its new state when the engine returned it."""

    def __init__(self, current: CustomerRecord | None) -> None:
        super().__init__("customer version changed")
        self.current = current


class StaleTransaction(Exception):
    """The transaction's description or metadata changed since it was read."""


class CustomerGone(Exception):
    """The customer was deleted (or never existed) when a write checked for it."""


class ClaimTaken(Exception):
    """Another request committed with the same idempotency key first."""
