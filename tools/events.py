"""`make events`: events/<function>.json, one sample API Gateway event per API operation, generated from
what each operation declares of itself (its route in template.yaml, its sample parameters) and the
sample objects (tools/samples.py). The same events drive `make invoke`, `sam local invoke`, the tests
and the benchmark. The scheduler's, the queue's and the authorizer's events are written by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tools import lambda_local, samples, template

EVENTS = template.ROOT / "events"
SAMPLE_REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
SAMPLE_TIME_MS = 1793512800000  # 2026-11-01T06:00:00Z
SAMPLE_AUTHORIZER = {"principalId": "key_sample", "mode": "test", "key_id": "key_sample"}
# The functions API Gateway does not invoke, and their sample events (written by hand, in the shape
# their event source delivers).
OTHER_SAMPLES = {"AuthorizerFunction": "authorizer.json", "ScheduledAdjustmentsFunction": "scheduled_adjustments.json",
                 "AdjustmentWorkerFunction": "adjustment_worker_sqs.json",
                 "RecordEventsFunction": "record_events_stream.json",
                 "DispatchWebhooksFunction": "dispatch_webhooks_stream.json",
                 "DeliverWebhooksFunction": "deliver_webhooks_sqs.json"}


def other_sample(function: str) -> dict[str, Any]:
    """The sample event of a function API Gateway does not invoke."""
    loaded: dict[str, Any] = json.loads((EVENTS / OTHER_SAMPLES[function]).read_text())
    return loaded


def sample_event(route: template.Route, customer: str = samples.CUSTOMER, transaction: str = samples.TRANSACTION,
                 params: dict[str, Any] | None = None, authorizer: dict[str, Any] | None = None) -> dict[str, Any]:
    """The route's event for its operation's sample parameters (or `params`) on these objects."""
    if params is None:
        params = dict(lambda_local.operation_of(route.function).sample)
    webhook_endpoint = samples.WEBHOOK_ENDPOINT
    if route.method == "DELETE" and customer == samples.CUSTOMER:
        customer = samples.DELETABLE  # the other samples keep their customer
        webhook_endpoint = samples.DELETABLE_WEBHOOK_ENDPOINT  # and their endpoint
    values = {"customer": customer, "transaction": transaction, "id": samples.EVENT,
              "webhook_endpoint": webhook_endpoint}
    path_parameters = {k: v for k, v in values.items() if "{" + k + "}" in route.path}
    fields = lambda_local.form_fields(params)
    headers = [("Authorization", "Bearer sk_test_redacted")]
    if route.method == "POST":
        headers += [("Content-Type", "application/x-www-form-urlencoded"), ("Stripe-Version", "2026-09-30.endive")]
    return lambda_local.api_event(
        route.method, route.path.format(**values), resource=route.path, path_parameters=path_parameters,
        query=fields if route.method != "POST" else (), headers=headers,
        body=urlencode(fields).encode() if route.method == "POST" else b"",
        # A route without authorizer (the console's page) receives no authorizer context, as on AWS.
        authorizer=authorizer or (SAMPLE_AUTHORIZER if route.authorized else None), request_id=SAMPLE_REQUEST_ID,
        request_time_ms=SAMPLE_TIME_MS)


def path_of(route: template.Route) -> Path:
    return EVENTS / f"{route.code_dir.name}.json"


def render(route: template.Route) -> str:
    return json.dumps(sample_event(route), indent=2) + "\n"


def main() -> int:
    for route in template.routes():
        path_of(route).write_text(render(route))
        print(f"wrote {path_of(route).relative_to(template.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
