"""`make verify` walks every chain in a table and reports breaks: it passes an intact table and
fails a corrupted one."""

import os
import subprocess
import sys

import pytest

from ledger import audit, dal
from ledger.dal import keys
from tools import template

pytestmark = pytest.mark.dynamodb_local


def _verify(table, endpoint):
    env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
    return subprocess.run([sys.executable, "-m", "tools.verify", "--table", table], capture_output=True, text=True,
                          cwd=template.ROOT, env=env)


def _corrupt(table, customer_id, txn_position, **changes):
    key = {"pk": {"S": keys.partition("test", customer_id)}, "sk": {"S": keys.transaction_sk(*txn_position)}}
    names = {f"#{k}": k for k in changes}
    values = {f":{k}": {"N": str(v)} for k, v in changes.items()}
    dal.client().update_item(TableName=table, Key=key, UpdateExpression="SET " + ", ".join(
        f"#{k} = :{k}" for k in changes), ExpressionAttributeNames=names, ExpressionAttributeValues=values)


def test_intact_table_verifies(api, ledger_table, dynamodb_endpoint):
    customer = api.customer(balance=100)
    api.transaction(customer["id"], -30, "eur")
    result = _verify(ledger_table, dynamodb_endpoint)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("verify: customers=1 transactions=2 problems=0")


def test_corrupted_ending_balance_and_gap_are_reported(api, ledger_table, dynamodb_endpoint):
    customer = api.customer(balance=100)
    second = api.transaction(customer["id"], 50)
    api.transaction(customer["id"], 25)
    chain = dal.whole_chain("test", customer["id"])
    _corrupt(ledger_table, customer["id"], (chain[1].created, chain[1].sequence), ending_balance=999)
    result = _verify(ledger_table, dynamodb_endpoint)
    assert result.returncode == 1
    assert f"{second['id']} ends at 999 but 100 + 50 = 150" in result.stdout
    assert "problems=" in result.stdout.splitlines()[-1]

    dal.client().delete_item(TableName=ledger_table, Key={
        "pk": {"S": keys.partition("test", customer["id"])},
        "sk": {"S": keys.transaction_sk(chain[0].created, chain[0].sequence)}})
    _, _, problems = audit.audit_table()
    assert any("expected 1" in p for p in problems)  # the gap
    assert any("customer sequence is 3 but the chain holds 2" in p for p in problems)
