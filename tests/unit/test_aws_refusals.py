"""What a client is told when AWS refuses or fails a call: a Stripe api_error without a trace, and a
Stripe-Should-Retry header that tells the SDK the truth. Throttling passes; a denied permission or a
request over a service limit repeats on every retry, so the SDK is told not to retry it."""

import pytest
from botocore.exceptions import ClientError

from ledger import dal
from tests.support.api import Api

pytestmark = pytest.mark.usefixtures("moto_table")
SECRET = "arn:aws:iam::123456789012:role/ledger-RetrieveCustomerFunctionRole"  # what AWS's message names


def _failing_with(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise ClientError({"Error": {"Code": code, "Message": f"{SECRET} is not authorized"}}, "GetItem")

    monkeypatch.setattr(dal, "get_customer", refused)


@pytest.mark.parametrize(("code", "status", "retry"), [
    ("AccessDeniedException", 500, "false"),  # DynamoDB's denial
    ("AccessDenied", 500, "false"),  # SQS's and S3's
    ("ValidationException", 500, "false"),  # a limit the code should have checked first
    ("ProvisionedThroughputExceededException", 503, "true"),
    ("ThrottlingException", 503, "true"),
])
def test_an_aws_failure_says_whether_a_retry_can_help(api_on_moto: Api, monkeypatch: pytest.MonkeyPatch,
                                                       code: str, status: int, retry: str) -> None:
    customer = api_on_moto.customer()["id"]
    _failing_with(monkeypatch, code)
    reply = api_on_moto.get(f"/v1/customers/{customer}")
    assert (reply.status, reply.error["type"]) == (status, "api_error")
    assert reply.headers["Stripe-Should-Retry"] == retry
    assert set(reply.error) == {"type", "message"}
    for leaked in ("Traceback", SECRET, code):
        assert leaked not in str(reply.body)


def test_a_bug_of_ours_stays_retryable(api_on_moto: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug may be a race that passes on a retry; only AWS's refusals are known to repeat."""
    customer = api_on_moto.customer()["id"]

    def bug(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(dal, "get_customer", bug)
    reply = api_on_moto.get(f"/v1/customers/{customer}")
    assert (reply.status, reply.error["type"], reply.headers["Stripe-Should-Retry"]) == (500, "api_error", "true")
