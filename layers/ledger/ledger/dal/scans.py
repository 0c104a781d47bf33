"""Reads for operators (audits, key listings): whole partitions and the whole table, page by page
with boto3's paginators. Never on a request path; the request functions' roles cannot Scan."""

from collections.abc import Iterator
from typing import Any

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


def all_customers() -> Iterator[CustomerRecord]:
    """Every customer of every mode (a Scan)."""
    scan = {"FilterExpression": "sk = :sk", "ExpressionAttributeValues": {":sk": {"S": keys.CUSTOMER_SK}},
            "ConsistentRead": True}
    for item in pages("scan", scan):
        record = keys.customer(item)
        if record is not None:
            yield record
