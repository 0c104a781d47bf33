"""A short run of `make fuzz` (tools/fuzz.py): hostile requests on every route, through the whole request
path on DynamoDB Local, and not one 5xx or malformed answer. `make fuzz` runs 10,000."""

import pytest

from tools import fuzz
from tools.local_api import DEFAULT_KEY

pytestmark = pytest.mark.dynamodb_local


def test_hostile_requests_never_get_a_server_error(ledger_table):
    from tests.support.api import _app

    customers, transactions = fuzz.seed_ledger(_app(), DEFAULT_KEY)
    tally = fuzz.run(_app(), 600, 20261128, customers, transactions, DEFAULT_KEY)
    assert (tally.cases, tally.server_errors, tally.malformed) == (600, [], [])
    assert sum(n for status, n in tally.statuses.items() if status < 300) > 0  # not refusals alone
