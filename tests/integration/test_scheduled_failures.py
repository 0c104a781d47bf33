"""A scheduled occurrence is never dropped in silence: EventBridge Scheduler invokes asynchronously, so a
failing occurrence gets Lambda's retries and then its invocation record goes to the on-failure queue
(tools.async_invoke emulates Lambda from the template's EventInvokeConfig); a redrive applies only the
entries still missing."""

from collections import Counter

import pytest

from ledger import balance_transactions, retry
from ledger.scheduled_adjustments import apply
from tests.support.scheduling import entries_for, plan, scheduled_entries
from tools import async_invoke, redrive

pytestmark = pytest.mark.dynamodb_local


@pytest.fixture
def failure_queue(plan_queue, monkeypatch):
    sqs = plan_queue["sqs"]
    url = sqs.create_queue(QueueName=f"schedule-failures-{id(monkeypatch)}")["QueueUrl"]
    monkeypatch.setenv("LOCAL_RESOURCE_ScheduleFailureQueue", url)
    return url


def test_a_failing_occurrence_is_retried_then_kept_then_redriven_once(api, plan_queue, failure_queue,
                                                                      monkeypatch):
    healthy, failing = api.customer()["id"], api.customer()["id"]
    event = plan(entries_for([healthy, failing], per_customer=2))
    real_create, attempts = balance_transactions.create, Counter()

    def create(caller, customer_id, *args, **kwargs):
        if customer_id == failing:  # an outage that outlasts every retry, for this customer only
            attempts[customer_id] += 1
            raise TimeoutError("database unavailable")
        return real_create(caller, customer_id, *args, **kwargs)

    monkeypatch.setattr(balance_transactions, "create", create)
    monkeypatch.setattr(retry.time, "sleep", lambda _s: None)
    assert async_invoke.invoke("ScheduledAdjustmentsFunction", event) is None
    assert attempts[failing] == 3 * 2 * apply.TRANSIENT.attempts_max  # 3 invocations

    (message,) = plan_queue["sqs"].receive_message(QueueUrl=failure_queue, MaxNumberOfMessages=10,
                                                    VisibilityTimeout=0)["Messages"]
    import json

    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == event
    assert record["responsePayload"]["errorType"] == "OccurrenceIncomplete"
    assert Counter(c for c, _, _ in scheduled_entries([healthy, failing])) == {healthy: 2}

    monkeypatch.setattr(balance_transactions, "create", real_create)  # the outage is over
    done, failed = redrive.redrive_queue(failure_queue, redrive._local_invoke, plan_queue["sqs"])
    assert (done, failed) == (1, 0)
    found = scheduled_entries([healthy, failing])
    assert len(found) == 4 and len(set(found)) == 4  # every entry once: none doubled by the retries
    assert redrive.redrive_queue(failure_queue, redrive._local_invoke, plan_queue["sqs"]) == (0, 0)


def test_without_a_queue_the_record_is_kept_locally_for_make_redrive(api, tmp_path, monkeypatch):
    monkeypatch.setattr(async_invoke, "LOCAL_DESTINATIONS", tmp_path)
    customer = api.customer()["id"]
    stale = plan(entries_for([customer]), when="2020-01-01T00:00:00Z")  # refused: older than 14 days
    assert async_invoke.invoke("ScheduledAdjustmentsFunction", stale) is None
    kept = async_invoke.local_destination("ScheduleFailureQueue").read_text().splitlines()
    assert len(kept) == 1
    assert redrive.redrive_file(redrive._local_invoke) == (0, 1)  # still refused: the record stays


def test_one_customers_failure_stays_with_that_customer(api, plan_queue, monkeypatch):
    """The worker's queue, as Lambda's event source mapping drives it: a customer whose entries keep
    failing reaches the dead-letter queue alone; every other customer's entries apply once, and none of
    them is ever returned to the queue for a failure that is not theirs."""
    import json

    from tests.support.scheduling import run_scheduler, run_worker

    sqs, queue = plan_queue["sqs"], plan_queue["queue_url"]
    dlq = sqs.create_queue(QueueName=f"dlq-{id(monkeypatch)}.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})
    healthy, failing = [api.customer()["id"] for _ in range(6)], api.customer()["id"]
    real_create = balance_transactions.create

    def create(caller, customer_id, *args, **kwargs):
        if customer_id == failing:
            raise TimeoutError("this customer's partition keeps timing out")
        return real_create(caller, customer_id, *args, **kwargs)

    monkeypatch.setattr(balance_transactions, "create", create)
    monkeypatch.setattr(retry.time, "sleep", lambda _s: None)
    summary = run_scheduler(plan(entries_for([failing, *healthy], per_customer=30), name="fan-out"))
    assert summary["queued"] == 7 * 30

    returned: Counter[str] = Counter()
    for _round in range(200):  # bounded: the queue drains in far fewer rounds
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"],
                                       VisibilityTimeout=60).get("Messages", [])
        if not messages:
            break
        try:
            failed = {f["itemIdentifier"] for f in run_worker(messages)["batchItemFailures"]}
        except Exception:  # every record failed: the whole batch returns
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed:
                returned[message["Attributes"]["MessageGroupId"]] += 1
                sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert set(returned) == {f"test:{failing}"}
    found = scheduled_entries(healthy)
    assert len(found) == 6 * 30 and len(set(found)) == len(found)
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert dead and {m["Attributes"]["MessageGroupId"] for m in dead} == {f"test:{failing}"}
