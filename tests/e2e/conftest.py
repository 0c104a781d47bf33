"""The local HTTP server (`make run`'s own code) as a subprocess, over the session's DynamoDB Local."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.api import LIVE_KEY, _app
from tools import dynamodb_local
from tools.local_api import DEFAULT_KEY, TABLE_NAME


@pytest.fixture(scope="session")
def server(dynamodb_endpoint: str) -> Iterator[str]:
    port = dynamodb_local.free_port()
    env = {**os.environ, "PORT": str(port), "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
           "LOCAL_API_KEYS": f"{DEFAULT_KEY},{LIVE_KEY}", "RATE_LIMITS": "off"}
    process = subprocess.Popen([sys.executable, "-m", "tools.local_api"], env=env, cwd=dynamodb_local.ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = process.stdout.readline().strip()
    assert ready == f"ready http://127.0.0.1:{port} key={DEFAULT_KEY}", ready
    # Keep reading the server's logs, or a full pipe would block it mid-request.
    import threading

    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(50):
        try:
            urllib.request.urlopen(f"{base}/v1/nothing-here")
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(10)


@pytest.fixture
def stripe_client(server: str):
    import stripe

    stripe.api_key = DEFAULT_KEY
    stripe.api_base = server
    stripe.max_network_retries = 2
    return stripe


@pytest.fixture
def server_table(server: str, dynamodb_endpoint: str) -> Iterator[str]:
    """Point this process's ledger at the server's table (to seed or audit it directly)."""
    from tests.support.fixtures import _point_ledger_at

    _point_ledger_at(TABLE_NAME, dynamodb_endpoint)
    yield TABLE_NAME
    _point_ledger_at("ledger-test", None)


@pytest.fixture
def in_process_server(ledger_table: str) -> Iterator[str]:
    """The same app served from a thread of the test process, so a test can inject faults into the
    layer the handlers use (a subprocess server is out of reach)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", dynamodb_local.free_port(), _app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
