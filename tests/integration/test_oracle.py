"""The independent oracle (tools/oracle.py) finds every kind of break it claims to, on real chains that
are then corrupted, and passes intact ones: the tests' chain checks rely on it."""

import pytest

from ledger import dal
from ledger.dal import keys
from tools import oracle

pytestmark = pytest.mark.dynamodb_local


def _set(table, customer_id, sk, **values):
    names = {f"#{k}": k for k in values}
    dal.client().update_item(TableName=table, Key={"pk": {"S": keys.partition("test", customer_id)}, "sk": {"S": sk}},
                             UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
                             ExpressionAttributeNames=names,
                             ExpressionAttributeValues={f":{k}": v for k, v in values.items()})


@pytest.fixture
def chain(api, ledger_table):
    customer = api.customer(balance=100)["id"]
    api.transaction(customer, 50)
    api.transaction(customer, -20, "eur")
    api.transaction(customer, 25)
    stored = dal.whole_chain("test", customer)
    return ledger_table, customer, [keys.transaction_sk(t.created, t.sequence) for t in stored]


def test_an_intact_chain_has_no_problem(chain):
    table, customer, _ = chain
    assert oracle.problems(table, "test", customer) == []


@pytest.mark.parametrize(("change", "reported"), [
    ({"ending_balance": {"N": "999"}}, "ending_balance 999, expected 150"),
    ({"sequence": {"N": "7"}}, "sequence 7, expected 2"),
    ({"amount": {"N": "0"}}, "is not a non-zero integer"),
    ({"customer": {"S": "cus_someoneElse"}}, "names customer cus_someoneElse"),
    ({"created": {"N": "1"}}, "before its predecessor"),
])
def test_each_break_is_reported(chain, change, reported):
    table, customer, sks = chain
    _set(table, customer, sks[1], **change)
    assert any(reported in p for p in oracle.problems(table, "test", customer)), oracle.problems(table, "test",
                                                                                                 customer)


def test_a_missing_transaction_and_a_wrong_balance_are_reported(chain):
    table, customer, sks = chain
    dal.client().delete_item(TableName=table, Key={"pk": {"S": keys.partition("test", customer)}, "sk": {"S": sks[0]}})
    found = oracle.problems(table, "test", customer)
    assert any("expected 1" in p for p in found) and any("customer sequence 4 but 3" in p for p in found)
    _set(table, customer, keys.CUSTOMER_SK, balances={"M": {"usd": {"N": "1"}, "eur": {"N": "-20"}}})
    assert any("balances" in p for p in oracle.problems(table, "test", customer))
