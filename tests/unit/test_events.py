"""events/: one sample API Gateway event per function (usable with `sam local invoke`), each run
through its handler as Lambda would call it."""

import json

import pytest

from ledger import dal, ids
from ledger.models import BalanceTransactionRecord, CustomerRecord, Source
from tools import lambda_local, template

EVENTS = template.ROOT / "events"


def _event_files():
    events = {p: json.loads(p.read_text()) for p in EVENTS.glob("*.json")}
    return {f"{e['requestContext']['resourcePath']} {e['httpMethod']}": p for p, e in events.items()
            if "requestContext" in e}


def test_every_route_has_an_event():
    files = _event_files()
    for route in template.routes():
        assert f"{route.path} {route.method}" in files, route.function


def _seed_event_objects(event):
    """The customer and transaction the sample events name, so every sample answers 200."""
    customer_id = "cus_NffrFeUfNV2Hib"
    txn_id = "cbtxn_1xWRQ800000024JnY6kYZpT8"
    created, sequence = ids.transaction_position(txn_id)
    customer = CustomerRecord(id=customer_id, mode="test", created=created, sequence=sequence,
                              last_transaction_created=created, currency="usd", balances={"usd": -500},
                              email="jenny.rosen@example.com")
    txn = BalanceTransactionRecord(id=txn_id, customer=customer_id, mode="test", sequence=sequence,
                                   created=created, amount=-500, currency="usd", ending_balance=-500,
                                   type="adjustment", source=Source(origin="api"))
    # A chain whose only transaction has this sequence is not gap-free, but the samples only read it.
    dal.commit_customer(customer, None, txn)


@pytest.mark.parametrize("route", template.routes(), ids=lambda r: r.function)
def test_event_runs_through_its_handler(moto_table, route):
    path = _event_files()[f"{route.path} {route.method}"]
    event = json.loads(path.read_text())
    assert event["requestContext"]["authorizer"]["mode"] == "test"
    _seed_event_objects(event)
    handler = lambda_local.load_handler(route.function)
    result = handler(event, lambda_local.LambdaContext(route.function))
    assert result["statusCode"] == 200, result["body"]
    assert result["headers"]["Request-Id"].startswith("req_")
    assert json.loads(result["body"])


def test_authorizer_event_allows_the_seeded_sample_key(moto_table):
    event = json.loads((EVENTS / "authorizer.json").read_text())
    decision = lambda_local.load_handler("AuthorizerFunction")(event, lambda_local.LambdaContext("AuthorizerFunction"))
    assert decision["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert decision["context"]["mode"] == "test"


def test_scheduled_and_queue_samples_run_through_their_handlers(moto_table):
    from tools.invoke import load_event

    plan = load_event(EVENTS / "scheduled_adjustments.json")
    assert "<aws.scheduler.scheduled-time>" in (EVENTS / "scheduled_adjustments.json").read_text()
    dal.commit_customer(CustomerRecord(id="cus_NffrFeUfNV2Hib", mode="test", created=1), None)
    summary = lambda_local.load_handler("ScheduledAdjustmentsFunction")(
        plan, lambda_local.LambdaContext("ScheduledAdjustmentsFunction"))
    assert (summary["applied"], summary["rejected"]) == (2, {"customer_missing": 1})
    batch = load_event(EVENTS / "adjustment_worker_sqs.json")
    result = lambda_local.load_handler("AdjustmentWorkerFunction")(
        batch, lambda_local.LambdaContext("AdjustmentWorkerFunction"))
    assert result == {"batchItemFailures": []}
