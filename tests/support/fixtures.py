"""Fixtures: a DynamoDB Local engine per test session, a fresh ledger table per test (on it or on
moto), and an in-process API that routes like template.yaml and invokes the real handlers."""

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.support.api import LIVE_KEY, TEST_KEY, Api
from tools import dynamodb_local

_tables = itertools.count()


def _seed_keys() -> None:
    from ledger import api_keys

    api_keys.register(TEST_KEY)
    api_keys.register(LIVE_KEY)


def _point_ledger_at(table_name: str, endpoint: str | None) -> None:
    """Make the layer use this table and engine (its settings and client are cached per process)."""
    from ledger import config, dal

    os.environ["TABLE_NAME"] = table_name
    if endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    else:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    config.settings.cache_clear()
    dal.client.cache_clear()


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """One in-memory DynamoDB Local engine for the session. In CI it must start: no silent skip.
    TEST_DYNAMODB_ENDPOINT names an engine already running instead (`make mutate` shares one)."""
    if os.environ.get("TEST_DYNAMODB_ENDPOINT"):
        yield os.environ["TEST_DYNAMODB_ENDPOINT"]
        return
    try:
        process = dynamodb_local.start(port := dynamodb_local.free_port())
    except dynamodb_local.EngineUnavailable as problem:
        if os.environ.get("CI"):
            pytest.fail(f"DynamoDB Local is required in CI: {problem}")
        pytest.skip(f"DynamoDB Local unavailable: {problem}")
    yield f"http://127.0.0.1:{port}"
    dynamodb_local.stop(process)


@pytest.fixture
def ledger_table(dynamodb_endpoint: str) -> Iterator[str]:
    """A fresh ledger table on DynamoDB Local, created from template.yaml; yields its name."""
    name = f"ledger-{os.getpid()}-{next(_tables)}"
    dynamodb_local.create_ledger_table(dynamodb_endpoint, name)
    _point_ledger_at(name, dynamodb_endpoint)
    _seed_keys()
    yield name
    dynamodb_local.client(dynamodb_endpoint).delete_table(TableName=name)
    _point_ledger_at("ledger-test", None)


@pytest.fixture
def moto_table() -> Iterator[str]:
    """A ledger table on moto (single-threaded unit tests only: moto loses updates under threads)."""
    from moto import mock_aws

    with mock_aws():
        _point_ledger_at("ledger-moto", None)
        import boto3

        from tools import template

        boto3.client("dynamodb").create_table(**template.create_table_arguments("ledger-moto"))
        _seed_keys()
        yield "ledger-moto"
    _point_ledger_at("ledger-test", None)


@pytest.fixture
def api_on_moto(moto_table: str) -> Api:
    return Api()


@pytest.fixture
def api(ledger_table: str) -> Api:
    return Api()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto in server mode for S3 and SQS plumbing, while DynamoDB stays on DynamoDB Local."""
    from moto.server import ThreadedMotoServer

    port = dynamodb_local.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def plan_queue(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """A FIFO queue and a bucket on moto, wired into the layer's settings; yields their names."""
    import boto3

    from ledger import config
    from ledger.dal import plans

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server)
    plans._client.cache_clear()
    suffix = next(_tables)
    sqs = boto3.client("sqs", endpoint_url=moto_server)
    queue_url = sqs.create_queue(QueueName=f"adjustments-{suffix}.fifo", Attributes={
        "FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})[
        "QueueUrl"]
    s3 = boto3.client("s3", endpoint_url=moto_server)
    bucket = f"plans-{suffix}"
    s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("ADJUSTMENTS_QUEUE_URL", queue_url)
    monkeypatch.setenv("PLAN_BUCKET_NAME", bucket)
    config.settings.cache_clear()
    yield {"queue_url": queue_url, "bucket": bucket, "sqs": sqs, "s3": s3}
    monkeypatch.delenv("ADJUSTMENTS_QUEUE_URL")
    monkeypatch.delenv("PLAN_BUCKET_NAME")
    config.settings.cache_clear()
    plans._client.cache_clear()


@pytest.fixture
def emf(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """stdout, where the handlers print their EMF documents; metrics an earlier test left are flushed."""
    from ledger.observability import flush_metrics

    flush_metrics()
    capsys.readouterr()
    yield capsys
    flush_metrics()
