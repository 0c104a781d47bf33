"""An independent oracle of the ledger's promise, written from the contract (Stripe's documented fields,
docs/design.md's layout and invariants), sharing no code with `ledger/`: it reads the table with its
own client, decodes DynamoDB's JSON itself, and checks what the ledger must always hold, so a bug in the
ledger's own auditor (ledger.audit) cannot hide the bugs it should find.

For one customer (partition `{mode}#{customer id}`): its transactions, in key order, are numbered
1..n without gap or repeat and the customer's `sequence` is n; each transaction's `ending_balance` is the
previous one in its currency plus its `amount`; `created` never goes backwards; ids are unique, start
with `cbtxn_` and name this customer; amounts are non-zero integers; and the customer's balance in each
currency is the last ending balance there.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

_CUSTOMER_SK, _TXN_PREFIX, _TXN_TOP = "~customer", "txn#", "txn#~"


def _value(av: dict[str, Any]) -> Any:
    (kind, value), = av.items()
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number
    if kind == "M":
        return {k: _value(v) for k, v in value.items()}
    if kind == "L":
        return [_value(v) for v in value]
    if kind == "NULL":
        return None
    return value


def _client() -> Any:
    import boto3

    return boto3.client("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None)


def stored(table: str, mode: str, customer_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The customer item and its transaction items, in key order, as plain values."""
    client = _client()
    partition = f"{mode}#{customer_id}"
    customer = client.get_item(TableName=table, Key={"pk": {"S": partition}, "sk": {"S": _CUSTOMER_SK}},
                               ConsistentRead=True).get("Item")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("query").paginate(
            TableName=table, ConsistentRead=True, KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues={":pk": {"S": partition}, ":low": {"S": _TXN_PREFIX},
                                       ":high": {"S": _TXN_TOP}}):
        items.extend(page["Items"])
    plain = [{k: _value(v) for k, v in item.items()} for item in items]
    return ({k: _value(v) for k, v in customer.items()} if customer else None), plain


def problems(table: str, mode: str, customer_id: str) -> list[str]:
    """Every way the customer's stored chain breaks the ledger's promise; empty when it holds."""
    customer, chain = stored(table, mode, customer_id)
    where = f"{mode}/{customer_id}"
    if customer is None:
        return [f"{where}: no customer item"] + ([f"{where}: transactions without a customer"] if chain else [])
    found: list[str] = []
    running: dict[str, int] = {}
    last_created, seen = 0, set()
    for number, txn in enumerate(chain, start=1):
        name = f"{where} {txn.get('id')}"
        if txn.get("sequence") != number:
            found.append(f"{name}: sequence {txn.get('sequence')}, expected {number}")
        if txn.get("id") in seen or not str(txn.get("id", "")).startswith("cbtxn_"):
            found.append(f"{name}: repeated or malformed id")
        seen.add(txn.get("id"))
        if txn.get("customer") != customer_id:
            found.append(f"{name}: names customer {txn.get('customer')}")
        amount, currency = txn.get("amount"), str(txn.get("currency"))
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            found.append(f"{name}: amount {amount!r} is not a non-zero integer")
            continue
        expected = running.get(currency, 0) + amount
        if txn.get("ending_balance") != expected:
            found.append(f"{name}: ending_balance {txn.get('ending_balance')}, expected {expected}")
        running[currency] = expected
        if txn.get("created", 0) < last_created:
            found.append(f"{name}: created {txn.get('created')} before its predecessor's {last_created}")
        last_created = max(last_created, txn.get("created", 0))
    if customer.get("sequence", 0) != len(chain):
        found.append(f"{where}: customer sequence {customer.get('sequence')} but {len(chain)} transactions")
    balances = {c: b for c, b in (customer.get("balances") or {}).items() if b or c in running}
    if balances != running:
        found.append(f"{where}: balances {balances} but the chain sums to {running}")
    return found
