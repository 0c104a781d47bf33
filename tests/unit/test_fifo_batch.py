"""The adjustment worker's partial batch response: in order within a customer's message group, and a
failure stays with its group."""

import pytest

from ledger import fifo_batch, scheduled_adjustments
from tools import lambda_local


def batch(*records: tuple[str, str]) -> dict:
    """(message group, body) pairs as an SQS FIFO event."""
    return {"Records": [{"messageId": f"m{i}", "body": body, "eventSource": "aws:sqs",
                         "attributes": {"MessageGroupId": group}}
                        for i, (group, body) in enumerate(records, start=1)]}


@pytest.fixture
def applied(monkeypatch):
    """Bodies applied by the worker, in order; a body "fail" raises as a transient failure would."""
    seen: list[dict] = []

    def apply_message(message: dict) -> None:
        if message.get("fail"):
            raise TimeoutError("DynamoDB did not answer")
        seen.append(message)

    monkeypatch.setattr(scheduled_adjustments, "apply_message", apply_message)
    return seen


def run(event: dict) -> dict:
    handler = lambda_local.load_handler("AdjustmentWorkerFunction")
    return handler(event, lambda_local.LambdaContext("AdjustmentWorkerFunction"))


def test_every_record_applied_in_order(applied):
    assert run(batch(("a", '{"n": 1}'), ("b", '{"n": 2}'), ("a", '{"n": 3}'))) == {"batchItemFailures": []}
    assert applied == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_a_failure_returns_its_groups_later_records_and_no_other_groups(applied):
    result = run(batch(("a", '{"n": 1}'), ("b", '{"fail": true}'), ("a", '{"n": 3}'), ("b", '{"n": 4}'),
                       ("c", '{"n": 5}')))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m4"}]}
    assert applied == [{"n": 1}, {"n": 3}, {"n": 5}]  # b's later record was not applied out of turn


def test_a_batch_that_fails_entirely_fails_the_invocation(applied):
    with pytest.raises(fifo_batch.BatchFailed):
        run(batch(("a", '{"fail": true}'), ("a", '{"n": 2}')))
    assert applied == []


def test_an_empty_batch_is_answered():
    assert fifo_batch.process_in_order({"Records": []}, lambda _: None) == {"batchItemFailures": []}
