"""Read back customers' chains and check them with the ledger's own auditor."""

from ledger import audit, dal
from ledger.models import BalanceTransactionRecord, CustomerRecord


def read_chain(customer_id: str, mode: str = "test") -> tuple[CustomerRecord, list[BalanceTransactionRecord]]:
    customer = dal.get_customer(mode, customer_id)
    assert customer is not None, customer_id
    return customer, dal.whole_chain(mode, customer_id)


def assert_intact(customer_id: str, mode: str = "test") -> tuple[CustomerRecord, list[BalanceTransactionRecord]]:
    customer, chain = read_chain(customer_id, mode)
    assert audit.chain_problems(customer, chain) == []
    return customer, chain
