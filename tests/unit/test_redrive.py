"""`make redrive` against a deployed stack invokes the scheduled function synchronously: the client
waits longer than the function may run, so a long occurrence is never cut short on the client side."""

from typing import Any

import pytest

from tools import redrive, template


def test_the_lambda_client_outlasts_the_functions_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    made: dict[str, Any] = {}

    def client(service: str, config: Any = None, **_kwargs: Any) -> object:
        made[service] = config
        return object()

    monkeypatch.setattr(boto3, "client", client)
    redrive._aws_invoke("ledger-ScheduledAdjustmentsFunction")
    function_timeout = template.functions()[redrive.FUNCTION]["Properties"]["Timeout"]
    assert made["lambda"].read_timeout > function_timeout
    assert redrive.read_timeout_seconds() == made["lambda"].read_timeout
