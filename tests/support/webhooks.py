"""Webhook plumbing for tests: a receiver that verifies every delivery with stripe-python, the
deliveries queue and EventBridge bus on moto, and the whole pipeline (stream → events → deliveries)
driven as Lambda's event source mappings would."""

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.streams import event_stream, in_process
from tools import dynamodb_local
from tools.sqs_local import QueueMapping
from tools.stream_local import StreamMapping

SECRET = "whsec_" + "test" * 8


@dataclass
class Receiver:
    """An endpoint: answers `statuses` in turn (then 200), or sleeps `delay_s` first. Every delivery is
    verified with stripe.Webhook.construct_event; `events` holds the verified ones."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # deliveries whose signature did not verify
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, payload: bytes, signature: str) -> int:
        import stripe

        with self.lock:
            self.attempts += 1
            status = self.statuses.pop(0) if self.statuses else 200
        time.sleep(self.delay_s)
        try:
            event = stripe.Webhook.construct_event(payload.decode(), signature, SECRET)
        except stripe.SignatureVerificationError as problem:
            self.refused.append(str(problem))
            return 400
        if 200 <= status < 300:
            with self.lock:
                self.events.append(json.loads(payload))
            assert event.id == self.events[-1]["id"]
        return status


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    """Start receivers, each on its own port: `receivers(statuses=[500], delay_s=0)`."""
    servers: list[ThreadingHTTPServer] = []

    def start(**behaviour: Any) -> Receiver:
        target = Receiver(**behaviour)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = self.rfile.read(int(self.headers["Content-Length"]))
                status = target.receive(payload, self.headers.get("Stripe-Signature", ""))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", dynamodb_local.free_port()), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        target.url = f"http://127.0.0.1:{server.server_port}/hooks"
        return target

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def receiver(receivers: Callable[..., Receiver]) -> Receiver:
    return receivers()


class Pipeline:
    """Each event source mapping made once, so that each keeps its place in the stream."""

    def __init__(self, sqs: Any, queue_url: str, dead_letter_url: str, bus_queue_url: str) -> None:
        self.sqs, self.queue_url, self.dead_letter_url, self.bus_queue_url = sqs, queue_url, dead_letter_url, \
            bus_queue_url
        self.recording = event_stream()
        self.dispatching = StreamMapping("DispatchWebhooksFunction", os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
                                         os.environ["TABLE_NAME"], in_process)
        self.delivering = QueueMapping("DeliverWebhooksFunction", queue_url, sqs, in_process)

    def run(self, seconds: float = 0.0, until: Callable[[], bool] = lambda: False) -> None:
        """Record the stream's events, dispatch them, and deliver what is due; keep delivering retries
        for `seconds`, or until `until()` holds."""
        self.recording.drain()
        self.dispatching.drain()
        deadline = time.monotonic() + seconds
        while True:
            self.delivering.drain()
            if until() or time.monotonic() >= deadline:
                return
            time.sleep(0.2)

    def dead_letters(self) -> list[dict[str, Any]]:
        found = self.sqs.receive_message(QueueUrl=self.dead_letter_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in found]

    def on_the_bus(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for _ in range(20):
            batch = self.sqs.receive_message(QueueUrl=self.bus_queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            found += [json.loads(m["Body"]) for m in batch]
        return found


@pytest.fixture
def pipeline(ledger_table: str, moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    import boto3

    from ledger import config
    from ledger.dal import deliveries

    suffix = ledger_table.rsplit("-", 1)[-1] + str(time.monotonic_ns())
    sqs = boto3.client("sqs", endpoint_url=moto_server)
    events = boto3.client("events", endpoint_url=moto_server)
    queue_url = sqs.create_queue(QueueName=f"deliveries-{suffix}")["QueueUrl"]
    dead_letter_url = sqs.create_queue(QueueName=f"deliveries-dlq-{suffix}")["QueueUrl"]
    bus = f"bus-{suffix}"
    events.create_event_bus(Name=bus)
    bus_queue_url = sqs.create_queue(QueueName=f"bus-{suffix}")["QueueUrl"]
    bus_queue_arn = sqs.get_queue_attributes(QueueUrl=bus_queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["customer-ledger"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": bus_queue_arn}])
    variables = {"AWS_ENDPOINT_URL_SQS": moto_server, "AWS_ENDPOINT_URL_EVENTBRIDGE": moto_server,
                 "DELIVERIES_QUEUE_URL": queue_url, "DELIVERIES_DEAD_LETTER_QUEUE_URL": dead_letter_url,
                 "EVENT_BUS_NAME": bus, "WEBHOOK_RETRY_BASE_S": "1", "WEBHOOK_TIMEOUT_S": "1",
                 "LOCAL_RESOURCE_DeliveriesQueue": queue_url,
                 "LOCAL_RESOURCE_DeliveriesDeadLetterQueue": dead_letter_url, "LOCAL_RESOURCE_EventBus": bus}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    config.settings.cache_clear()
    deliveries._client.cache_clear()
    yield Pipeline(sqs, queue_url, dead_letter_url, bus_queue_url)
    config.settings.cache_clear()  # (monkeypatch restores the variables after this)
    deliveries._client.cache_clear()


def add_endpoint(url: str, enabled_events: list[str] | None = None, mode: str = "test") -> Any:
    """An endpoint stored directly (the Webhook Endpoints API has its own tests)."""
    from ledger import clock, ids
    from ledger.dal import webhook_endpoints
    from ledger.models import WebhookEndpointRecord

    endpoint = WebhookEndpointRecord(id="we_" + ids._random(24), mode=mode, url=url,  # type: ignore[arg-type]
                                     enabled_events=enabled_events or ["*"], secret=SECRET, created=clock.now())
    webhook_endpoints.put_endpoint(endpoint, None)
    return endpoint
