"""The data-access layer: the only code that talks to DynamoDB (and, in `plans`, to S3 and SQS).

Split by what it stores: `keys` (the key layout and attribute codec, private to this package),
`customers`, `transactions`, `idempotency`, `api_keys`, `snapshot` (one read of what a request needs
together) and `scans` (operators only). The layout and why: docs/design.md.
"""

from ledger.dal.api_keys import get_api_key, list_api_keys, put_api_key, revoke_api_key
from ledger.dal.client import client, table
from ledger.dal.conflicts import ClaimTaken, CustomerGone, StaleCustomer, StaleTransaction
from ledger.dal.customers import commit_customer, customer_ids, get_customer, get_customers
from ledger.dal.idempotency import commit_claim
from ledger.dal.scans import ChainTooLong, all_customers, chain_as_committed, whole_chain
from ledger.dal.snapshot import Snapshot, read
from ledger.dal.transactions import commit_transaction_edit, transaction_page

__all__ = [
    "ChainTooLong",
    "ClaimTaken",
    "CustomerGone",
    "Snapshot",
    "StaleCustomer",
    "StaleTransaction",
    "all_customers",
    "chain_as_committed",
    "client",
    "commit_claim",
    "commit_customer",
    "commit_transaction_edit",
    "customer_ids",
    "get_api_key",
    "get_customer",
    "get_customers",
    "list_api_keys",
    "put_api_key",
    "read",
    "revoke_api_key",
    "table",
    "transaction_page",
    "whole_chain",
]
