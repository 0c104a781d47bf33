"""Every metric the layer and the functions emit is named on the operations page, where an operator
looks for it."""

import re

from tools import lambda_local, template

OPERATIONS = template.ROOT / "docs" / "operations.md"
# How a metric is named: count("…"), single_metric(name="…"), or a helper's `…_metric="…"` argument.
EMITTED = re.compile(r'(?:\bcount\(|\bsingle_metric\(name=|\b\w+_metric=)"(\w+)"')


def emitted_metrics() -> set[str]:
    modules = [*(lambda_local.LAYER_DIR / "ledger").rglob("*.py"), *(template.ROOT / "functions").rglob("*.py")]
    return {name for module in modules for name in EMITTED.findall(module.read_text())}


def test_every_emitted_metric_is_documented():
    emitted = emitted_metrics()
    # The pattern still finds each way of naming one.
    assert {"TransactionEditConflictsRetried", "LockTimeouts", "EventRecordFailures"} <= emitted
    documented = set(re.findall(r"`(\w+)`", OPERATIONS.read_text()))
    assert emitted - documented == set(), "name these metrics in docs/operations.md"
