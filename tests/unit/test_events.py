"""events/: one sample API Gateway event per function (usable with `sam local invoke`), each run
through its handler as Lambda would call it."""

import json

import pytest

from ledger import dal
from tools import lambda_local, samples, template

EVENTS = template.ROOT / "events"


def _event_files():
    events = {p: json.loads(p.read_text()) for p in EVENTS.glob("*.json")}
    return {f"{e['requestContext']['resourcePath']} {e['httpMethod']}": p for p, e in events.items()
            if "requestContext" in e}


def test_the_operation_events_are_generated_from_the_operations():
    from tools import events

    for route in template.routes():
        assert events.path_of(route).read_text() == events.render(route), "run `make events` and commit events/"


def test_every_route_has_an_event():
    files = _event_files()
    for route in template.routes():
        assert f"{route.path} {route.method}" in files, route.function


@pytest.mark.parametrize("route", template.routes(), ids=lambda r: r.function)
def test_event_runs_through_its_handler(moto_table, route):
    path = _event_files()[f"{route.path} {route.method}"]
    event = json.loads(path.read_text())
    if route.authorized:
        assert event["requestContext"]["authorizer"]["mode"] == "test"
    else:  # the console's page: API Gateway runs no authorizer for it
        assert event["requestContext"]["authorizer"] is None
    samples.seed()
    handler = lambda_local.load_handler(route.function)
    result = handler(event, lambda_local.LambdaContext(route.function))
    assert result["statusCode"] == 200, result["body"]
    assert result["headers"]["Request-Id"].startswith("req_")
    media_type = lambda_local.operation_of(route.function).media_type
    assert result["headers"]["Content-Type"] == media_type
    assert json.loads(result["body"]) if media_type == "application/json" else result["body"]


def test_authorizer_event_allows_the_seeded_sample_key(moto_table):
    event = json.loads((EVENTS / "authorizer.json").read_text())
    decision = lambda_local.load_handler("AuthorizerFunction")(event, lambda_local.LambdaContext("AuthorizerFunction"))
    assert decision["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert decision["context"]["mode"] == "test"


def test_scheduled_and_queue_samples_run_as_shipped(moto_table):
    """The samples hold the scheduler's placeholder, as `sam local invoke` passes them: they are dry
    runs, which assess the current minute (a run that writes must name its occurrence)."""
    samples.seed()
    plan = json.loads((EVENTS / "scheduled_adjustments.json").read_text())
    assert plan["scheduled_time"] == "<aws.scheduler.scheduled-time>" and plan["dry_run"] is True
    summary = lambda_local.load_handler("ScheduledAdjustmentsFunction")(
        plan, lambda_local.LambdaContext("ScheduledAdjustmentsFunction"))
    assert (summary["would_apply"], summary["rejected"], summary["applied"]) == (2, {"customer_missing": 1}, 0)
    batch = json.loads((EVENTS / "adjustment_worker_sqs.json").read_text())
    result = lambda_local.load_handler("AdjustmentWorkerFunction")(
        batch, lambda_local.LambdaContext("AdjustmentWorkerFunction"))
    assert result == {"batchItemFailures": []}
    chain = dal.whole_chain("test", samples.CUSTOMER)
    assert [t.id for t in chain] == [samples.TRANSACTION]  # the dry runs wrote nothing


def test_a_placeholder_in_a_plan_that_writes_is_refused(moto_table):
    from ledger.scheduled_adjustments.plan import PlanError, parse_plan

    plan = json.loads((EVENTS / "scheduled_adjustments.json").read_text())
    with pytest.raises(PlanError, match="placeholder"):
        parse_plan({**plan, "dry_run": False})


def test_the_env_vars_file_sets_only_variables_the_template_declares():
    """`sam local invoke --env-vars events/env.json` overrides declared variables only (others are ignored)."""
    declared = set(template.load()["Globals"]["Function"]["Environment"]["Variables"])
    overrides = json.loads((EVENTS / "env.json").read_text())["Parameters"]
    assert set(overrides) <= declared
    assert overrides["LEDGER_DYNAMODB_ENDPOINT"].endswith(":8000")
