"""Rival writers: the layer's next commits of a customer each lose to a rival that commits just before
them, so a test sees a real lost race (DynamoDB refuses the stale condition), not a simulated one."""

from collections.abc import Callable
from typing import Any

import pytest

Commit = Callable[..., None]  # the real dal.commit_customer
Rival = Callable[[Commit, Any], None]  # commits ahead of the writer, given the customer as stored


def bump_version(commit: Commit, live: Any) -> None:
    """The least a rival can do: store the customer as it is, but for a newer version."""
    commit(live.model_copy(update={"version": live.version + 1}), live.version)


def post_one_unit(commit: Commit, live: Any) -> None:
    """A rival that posts a transaction of one unit, as another request would (the chain moves on)."""
    from ledger import balance_transactions
    from ledger.models import Source

    rival = balance_transactions.next_transaction(live, amount=1, currency="usd", kind="adjustment",
                                                  source=Source(origin="api"))
    commit(rival.customer, live.version, rival.transaction)


def lose_to_rivals(monkeypatch: pytest.MonkeyPatch, times: int = 1, rival: Rival = bump_version) -> None:
    """The next `times` commits to an existing customer each lose to `rival`; a new customer's commit
    (no version to lose) is left alone. The rival's own read and write are requests like any other."""
    from ledger import dal

    real_commit, left = dal.commit_customer, [times]

    def commit_after_a_rival(record: Any, expected_version: int | None, *args: Any, **kwargs: Any) -> None:
        if left[0] > 0 and expected_version is not None:
            left[0] -= 1
            rival(real_commit, dal.get_customer(record.mode, record.id))
        return real_commit(record, expected_version, *args, **kwargs)

    monkeypatch.setattr(dal, "commit_customer", commit_after_a_rival)
