"""Every metric the layer emits is named on the operations page, where an operator looks for it."""

import re

from tools import lambda_local, template

OPERATIONS = template.ROOT / "docs" / "operations.md"
EMITTED = re.compile(r'(?:\bcount\(|\bsingle_metric\(name=)"(\w+)"')  # how the layer names a metric


def emitted_metrics() -> set[str]:
    return {name for module in (lambda_local.LAYER_DIR / "ledger").rglob("*.py")
            for name in EMITTED.findall(module.read_text())}


def test_every_emitted_metric_is_documented():
    emitted = emitted_metrics()
    assert "TransactionEditConflictsRetried" in emitted  # the pattern still finds the layer's metrics
    documented = set(re.findall(r"`(\w+)`", OPERATIONS.read_text()))
    assert emitted - documented == set(), "name these metrics in docs/operations.md"
