"""Reads for operators (audits, key listings): whole partitions and the whole table, page by page
with boto3's paginators. The one on a request path is the console's chain check of one customer (a
bounded Query); the request functions' roles cannot Scan."""

from collections.abc import Iterator
from typing import Any

from ledger import ids
from ledger.dal import keys
from ledger.dal.client import client, table
from ledger.models import BalanceTransactionRecord, CustomerRecord, Mode


def pages(operation: str, arguments: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item `operation` (query or scan) returns on the ledger's table, across all its pages."""
    for page in client().get_paginator(operation).paginate(TableName=table(), **arguments):
        yield from page["Items"]


def whole_chain(mode: Mode, customer_id: str) -> list[BalanceTransactionRecord]:
    """Every transaction of a customer, in chain order."""
    query = {"KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high", "ConsistentRead": True,
             "ExpressionAttributeValues": {":pk": {"S": keys.partition(mode, customer_id)},
                                           ":low": {"S": keys.TXN_PREFIX}, ":high": {"S": keys.TXN_TOP}}}
    return [keys.transaction(item) for item in pages("query", query)]


def chain_as_committed(mode: Mode, customer_id: str,
                       transactions_max: int) -> tuple[CustomerRecord | None, list[BalanceTransactionRecord]]:
    """A customer and its chain as one commit left them, for an audit of one customer (the console's
    chain check): one ascending Query over the partition's transactions and then the customer item,
    which sorts after them. A commit between two of its pages appends a transaction after every key
    already read and rewrites the customer item, read last: so the pages never mix two commits' views.
    More than `transactions_max` transactions: None and [] (too long to audit in one request)."""
    if not ids.is_customer_id(customer_id):
        return None, []
    query = {"KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high", "ConsistentRead": True,
             "ExpressionAttributeValues": {":pk": {"S": keys.partition(mode, customer_id)},
                                           ":low": {"S": keys.TXN_PREFIX}, ":high": {"S": keys.CUSTOMER_SK}}}
    customer: CustomerRecord | None = None
    chain: list[BalanceTransactionRecord] = []
    for item in pages("query", query):
        if keys.is_customer(item):
            customer = keys.customer(item)
        elif len(chain) < transactions_max:
            chain.append(keys.transaction(item))
        else:
            raise ChainTooLong(customer_id)
    return customer, chain


class ChainTooLong(Exception):
    """A chain longer than an audit within one request may read."""


def all_customers() -> Iterator[CustomerRecord]:
    """Every customer of every mode (a Scan)."""
    scan = {"FilterExpression": "sk = :sk", "ExpressionAttributeValues": {":sk": {"S": keys.CUSTOMER_SK}},
            "ConsistentRead": True}
    for item in pages("scan", scan):
        record = keys.customer(item)
        if record is not None:
            yield record
