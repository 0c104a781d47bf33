"""IAM as AWS enforces it: every function runs with the role the SAM transform of template.yaml gives it
(tools.local_aws), and each role holds exactly what its code paths use, no more."""

import re
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.support.rivals import lose_to_rivals, post_one_unit
from tests.support.scheduling import drain, entries_for, plan, run_scheduler, run_worker
from tests.support.streams import event_stream
from tests.support.waiting import eventually
from tools import async_invoke, local_aws, template
from tools.local_aws import iam

pytestmark = pytest.mark.dynamodb_local
# What Lambda's SQS event source mapping needs from the function's role, as AWS documents it (the SQS
# actions of AWSLambdaSQSQueueExecutionRole). No visibility change: the mapping lets a failed record
# become visible again when its visibility timeout ends; a visibility the code changes (a webhook
# delivery's backoff) is granted to that function for its own call and checked as one.
SQS_EVENT_SOURCE = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
# What Lambda's DynamoDB stream event source mapping needs (AWSLambdaDynamoDBExecutionRole's stream actions).
STREAM_EVENT_SOURCE = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                       "dynamodb:ListStreams"}
# Granted for what the Lambda service does with the role, not for calls the code makes.
USED_BY_THE_SERVICE = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", *SQS_EVENT_SOURCE,
                       *STREAM_EVENT_SOURCE}


@pytest.fixture
def template_without(tmp_path):
    """Use a copy of template.yaml with one action removed from one function's policies."""

    def remove(function: str, action: str) -> None:
        text = template.TEMPLATE.read_text()
        start = text.index(f"\n  {function}:\n")
        end = text.index("\n\n", start)  # the function's block ends at the next blank line
        block = re.sub(rf"\n +- {re.escape(action)}\n", "\n", text[start:end], count=1)
        assert block != text[start:end], f"{action} not in {function}'s policies"
        copy = Path(tmp_path) / "template.yaml"
        copy.write_text(text[:start] + block + text[end:])
        template.use(copy)

    yield remove
    template.use(template.TEMPLATE)


def test_a_role_missing_a_needed_action_fails_as_on_aws(api, template_without):
    customer = api.customer()["id"]
    template_without("CreateBalanceTransactionFunction", "dynamodb:BatchGetItem")
    path = f"/v1/customers/{customer}/balance_transactions"
    assert api.post(path, {"amount": 100, "currency": "usd"}).status == 200  # one GetItem: still allowed
    refused = api.post(path, {"amount": 100, "currency": "usd"}, headers={"Idempotency-Key": "k1"})
    assert refused.status == 500 and refused.error["type"] == "api_error"
    assert refused.headers["Stripe-Should-Retry"] == "false"  # a denial repeats on every retry

    from ledger import dal

    with local_aws.acting_as("CreateBalanceTransactionFunction"), pytest.raises(ClientError) as denied:
        dal.read("test", customer, claim=("client", "k1"))
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "not authorized to perform: dynamodb:BatchGetItem" in str(denied.value)


def test_request_functions_cannot_touch_api_keys(ledger_table):
    from ledger import dal

    for function in ("RetrieveCustomerFunction", "CreateBalanceTransactionFunction", "ListCustomersFunction"):
        with local_aws.acting_as(function), pytest.raises(ClientError) as denied:
            dal.get_api_key("0" * 64)
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def _exercise_every_path(api, plan_queue, monkeypatch) -> None:
    """Every operation through each of its code paths: with and without an Idempotency-Key, replays,
    unchanged requests, expansions, cursors, created bounds, filters; schedules direct, queued, from S3,
    dry run, and the worker."""
    key = iter(range(10_000))

    def idem() -> dict:
        return {"Idempotency-Key": f"iam-{next(key)}"}

    alice = api.customer(email="alice@example.com", balance=500)["id"]
    api.post("/v1/customers", {"name": "Bob"}, headers=idem())
    txn = api.transaction(alice, -100)["id"]
    headers = idem()
    for _ in range(2):  # the second replays
        api.post(f"/v1/customers/{alice}/balance_transactions", {"amount": 5, "currency": "eur"}, headers=headers)
    api.get(f"/v1/customers/{alice}/balance_transactions/{txn}", {"expand": ["customer"]})
    api.get(f"/v1/customers/{alice}/balance_transactions/not_a_transaction")
    api.post(f"/v1/customers/{alice}/balance_transactions/not_a_transaction", {"description": "x"})
    for extra in ({}, idem(), idem()):
        api.post(f"/v1/customers/{alice}/balance_transactions/{txn}", {"description": "edited"}, headers=extra)
    for params in ({}, {"starting_after": txn}, {"ending_before": txn}, {"created": {"lte": 4_000_000_000}}):
        api.get(f"/v1/customers/{alice}/balance_transactions", params)
    api.get(f"/v1/customers/{alice}", {"expand": ["invoice_credit_balance"]})
    for extra in ({}, idem()):
        api.post(f"/v1/customers/{alice}", {"balance": 42}, headers=extra)
    api.post(f"/v1/customers/{alice}", {"balance": 42}, headers=idem())  # unchanged: only the key is saved
    eventually(lambda: api.get("/v1/customers", {"email": "alice@example.com"}).body, lambda page: bool(page["data"]))
    for params in ({}, {"email": "alice@example.com"}, {"starting_after": alice}, {"ending_before": alice},
                   {"created": {"gte": 1}}):
        api.get("/v1/customers", params)
    doomed = api.customer()["id"]
    api.delete(f"/v1/customers/{doomed}", headers=idem())
    api.delete(f"/v1/customers/{api.customer()['id']}")
    api.get(f"/v1/customers/{doomed}")
    for checked in (alice, doomed, "cus_nobody"):  # the chain check: intact, of a deleted customer, none
        api.get(f"/v1/customers/{checked}/chain_check")

    customers = [alice] + [api.customer()["id"] for _ in range(3)]
    run_scheduler(plan(entries_for(customers[:1]), dry_run=True))
    with pytest.MonkeyPatch.context() as patch:
        lose_to_rivals(patch, times=2, rival=post_one_unit)
        run_scheduler(plan(entries_for(customers[:1]), name="direct"))
        run_scheduler(plan(entries_for(customers, per_customer=40), name="queued"))
        lose_to_rivals(patch, times=2, rival=post_one_unit)
        run_worker(drain(plan_queue))
    lines = "\n".join(f'{{"id": "e{i}", "customer": "{alice}", "amount": -1, "currency": "usd"}}' for i in range(3))
    plan_queue["s3"].put_object(Bucket=plan_queue["bucket"], Key="p.jsonl", Body=lines.encode())
    run_scheduler({"plan": "from-s3", "scheduled_time": plan([])["scheduled_time"],
                   "source": {"s3": {"bucket": plan_queue["bucket"], "key": "p.jsonl"}}})
    failures = plan_queue["sqs"].create_queue(QueueName="iam-schedule-failures")["QueueUrl"]
    monkeypatch.setenv("LOCAL_RESOURCE_ScheduleFailureQueue", failures)  # where failed occurrences go
    async_invoke.invoke("ScheduledAdjustmentsFunction", plan(entries_for([alice]), when="2020-01-01T00:00:00Z"))
    _exercise_events(api, plan_queue, monkeypatch)
    _exercise_webhook_endpoints(api)


def _exercise_events(api, plan_queue, monkeypatch) -> None:
    """The stream recorded as events (and a batch that fails every retry, to its dead-letter queue), then
    the Events API with and without filters and cursors."""
    event_stream().drain()
    dead_letters = plan_queue["sqs"].create_queue(QueueName="iam-events-dead-letters")["QueueUrl"]
    monkeypatch.setenv("LOCAL_RESOURCE_EventsDeadLetterQueue", dead_letters)
    api.customer()

    def dies(function, event):
        raise ConnectionError("the function died")

    event_stream(dies).drain()
    newest = api.get("/v1/events", {"limit": 2}).body["data"]
    for params in ({}, {"starting_after": newest[-1]["id"]}, {"ending_before": newest[-1]["id"]},
                   {"type": "customer.*"}, {"types": ["customer.created", "customer.deleted"]},
                   {"created": {"gte": 1}}):
        api.get("/v1/events", params)
    api.get(f"/v1/events/{newest[0]['id']}")
    api.get("/v1/events/evt_unknown")


def _exercise_webhook_endpoints(api) -> None:
    """Webhook endpoints created, edited (changed and unchanged) and deleted with and without an
    Idempotency-Key, replays, the list with cursors, unknown ids."""
    path = "/v1/webhook_endpoints"
    params = {"url": "https://example.com/hooks", "enabled_events": ["*"]}
    plain = api.post(path, params).body["id"]
    for _ in range(2):  # the second replays
        keyed = api.post(path, params, headers={"Idempotency-Key": "iam-endpoint"}).body["id"]
    api.get(f"{path}/{plain}")
    api.get(f"{path}/we_unknown")
    api.post(f"{path}/{plain}", {"description": "edited"})
    api.post(f"{path}/{plain}", {"disabled": "true"}, headers={"Idempotency-Key": "iam-endpoint-edit"})
    api.post(f"{path}/{plain}", {"disabled": "true"}, headers={"Idempotency-Key": "iam-endpoint-same"})
    for listed in ({}, {"starting_after": keyed}, {"ending_before": plain}):
        api.get(path, listed)
    api.delete(f"{path}/{plain}")
    for _ in range(2):
        api.delete(f"{path}/{keyed}", headers={"Idempotency-Key": "iam-endpoint-delete"})


def _exercise_webhook_deliveries(api, pipeline, receivers) -> None:
    """Events dispatched (queued, published, a dispatch that fails every retry dead-lettered), delivered
    (at once, after a failure, given up after three days), endpoints' health recorded."""
    from ledger import clock
    from tests.support.webhooks import add_endpoint

    add_endpoint(receivers(statuses=[500]).url)
    add_endpoint("http://127.0.0.1:9/down", ["customer.created"])
    api.customer()
    pipeline.run(seconds=3)  # the failed attempt comes back after its backoff
    real = clock.now()
    clock.use(lambda: real + 3 * 24 * 3600 + 5)
    try:
        api.customer()
        pipeline.run(seconds=1)
    finally:
        clock.use(time.time)

    def dies(function, event):
        raise ConnectionError("the function died")

    api.customer()
    pipeline.recording.drain()
    pipeline.dispatching.invoke = dies
    pipeline.dispatching.drain()


def test_every_role_holds_exactly_what_its_code_uses(api, plan_queue, pipeline, receivers, monkeypatch):
    local_aws.granted.clear()
    _exercise_every_path(api, plan_queue, monkeypatch)
    _exercise_webhook_deliveries(api, pipeline, receivers)
    import os

    unused = {}
    for function in template.functions():
        role = iam.role_of(function, os.environ)
        used = local_aws.granted.get(function, set())
        for statement in role.statements:
            for action in iam._listed(statement["Action"]):
                if action in USED_BY_THE_SERVICE:
                    continue
                probe = [(a, r) for a, r in used if a == action
                         and iam._like(r, iam._listed(statement["Resource"]))]
                if not probe:
                    unused.setdefault(function, []).append(f"{action} on {statement['Resource']}")
    assert not unused, f"granted but never used: {unused}"


def test_a_queue_driven_function_holds_exactly_what_its_event_source_needs():
    """The least-privilege check skips the service's actions, so they are checked here: a function driven
    by a queue holds exactly what the event source needs, and no other function holds any of it."""
    import os

    for function in template.functions():
        role = iam.role_of(function, os.environ)
        sqs = {action for statement in role.statements for action in iam._listed(statement.get("Action", []))
               if action.lower().startswith("sqs:") and action in USED_BY_THE_SERVICE}
        events = template.functions()[function]["Properties"].get("Events") or {}
        driven = any(event["Type"] == "SQS" for event in events.values())
        assert sqs == (SQS_EVENT_SOURCE if driven else set()), function
        stream = {action for statement in role.statements for action in iam._listed(statement.get("Action", []))
                  if action in STREAM_EVENT_SOURCE}
        reads_stream = any(event["Type"] == "DynamoDB" for event in events.values())
        assert stream == (STREAM_EVENT_SOURCE if reads_stream else set()), function
