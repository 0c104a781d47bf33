"""A shorter write budget for the functions, set where a deployment sets it: the local invoke gives each
function the environment of its template entry on every request (tools.lambda_local.configure), so a
variable set in the test's own environment would be overwritten before the function runs."""

import pytest

from tools import template


def shorten_write_budget(monkeypatch: pytest.MonkeyPatch, budget_ms: int) -> None:
    declared = template.environment

    def environment(function: str, table_name: str) -> dict[str, str]:
        return {**declared(function, table_name), "WRITE_BUDGET_MS": str(budget_ms)}

    monkeypatch.setattr(template, "environment", environment)
