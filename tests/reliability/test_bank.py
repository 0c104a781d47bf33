"""The bank workload's short version (the long one is `make reliability`), and proof that its
checker and the table verifier can fail."""

import itertools

import pytest

from tools import bank

pytestmark = pytest.mark.dynamodb_local


def test_bank_workload_with_faults_has_no_anomaly(ledger_table, dynamodb_endpoint):
    # A fixed amount of work (6 clients, 100 operations each), not a fixed time: the check means the
    # same on a busy machine, where a time-boxed run did less (the time is only a cap).
    report = bank.workload(dynamodb_endpoint, ledger_table, seed=20261126, seconds=120, threads=3, processes=1,
                           max_ops=100)
    print(f"reliability: ops={report['ops']} faults={report['faults']} anomalies={len(report['anomalies'])}")
    assert report["anomalies"] == []
    assert report["ops"] > 400 and report["faults"] > 20
    assert {"throttled", "lost_after_commit", "died_before_write"} <= set(report["faults_by_kind"])


def test_checker_catches_a_ledger_without_its_version_condition(ledger_table, dynamodb_endpoint, monkeypatch):
    from ledger import clock
    from ledger.dal import customers

    monkeypatch.setattr(customers, "_version_condition",
                        lambda expected: {"ConditionExpression": "attribute_exists(pk)"}
                        if expected is not None else {"ConditionExpression": "attribute_not_exists(pk)"})
    ticks = itertools.count(1_800_000_000)
    clock.use(lambda: next(ticks))  # every read a new second: racing writers get distinct keys
    try:
        report = bank.workload(dynamodb_endpoint, ledger_table, seed=7, seconds=5, threads=6, processes=0,
                               rate=0.0, hot=1, cold=0)
    finally:
        import time

        clock.use(time.time)
    assert report["anomalies"], "lost updates went unnoticed"
    assert any("balances" in a or "ends at" in a or "sequence" in a for a in report["anomalies"])
