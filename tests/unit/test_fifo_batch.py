"""The adjustment worker's partial batch response: in order, stopping at the first failure."""

import pytest

from ledger import fifo_batch, scheduled_adjustments
from tools import lambda_local


def batch(*bodies: str) -> dict:
    return {"Records": [{"messageId": f"m{i}", "body": body, "eventSource": "aws:sqs"}
                        for i, body in enumerate(bodies, start=1)]}


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
    assert run(batch('{"n": 1}', '{"n": 2}', '{"n": 3}')) == {"batchItemFailures": []}
    assert applied == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_first_failure_returns_it_and_every_later_record(applied):
    result = run(batch('{"n": 1}', '{"fail": true}', '{"n": 3}', '{"n": 4}'))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"},
                                            {"itemIdentifier": "m4"}]}
    assert applied == [{"n": 1}]  # nothing after the failure was applied out of turn


def test_a_batch_that_fails_entirely_fails_the_invocation(applied):
    with pytest.raises(fifo_batch.BatchFailed):
        run(batch('{"fail": true}', '{"n": 2}'))
    assert applied == []


def test_an_empty_batch_is_answered():
    assert fifo_batch.process_in_order({"Records": []}, lambda _: None) == {"batchItemFailures": []}
