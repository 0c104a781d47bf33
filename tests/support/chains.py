"""Read back customers' chains and check them with the independent oracle (tools/oracle.py), which
shares no code with the ledger: a bug in the ledger's own auditor cannot hide a broken chain."""

import os

from ledger import dal
from ledger.models import BalanceTransactionRecord, CustomerRecord
from tools import oracle


def read_chain(customer_id: str, mode: str = "test") -> tuple[CustomerRecord, list[BalanceTransactionRecord]]:
    customer = dal.get_customer(mode, customer_id)
    assert customer is not None, customer_id
    return customer, dal.whole_chain(mode, customer_id)


def assert_intact(customer_id: str, mode: str = "test") -> tuple[CustomerRecord, list[BalanceTransactionRecord]]:
    assert oracle.problems(os.environ["TABLE_NAME"], mode, customer_id) == []
    return read_chain(customer_id, mode)
