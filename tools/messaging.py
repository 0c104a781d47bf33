"""The local run's queues and event buses: every AWS::SQS::Queue and AWS::Events::EventBus of
template.yaml, made on an in-process moto server with the template's attributes, and named to the
functions as the stack would name them (LOCAL_RESOURCE_<LogicalId>, which tools.template and
tools.local_aws resolve references with)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

from tools import dynamodb_local, template
from tools.local_aws.stack import LOCAL_RESOURCE
from tools.sqs_local import queue_mappings

ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_EVENTBRIDGE")


@contextlib.contextmanager
def local_queues_and_buses() -> Iterator[Any]:
    """Start moto for SQS and EventBridge, make the template's queues and buses; yields an SQS client."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server would log every poll
    port = dynamodb_local.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    for name in ENDPOINT_VARIABLES:
        os.environ[name] = url
    sqs, events = boto3.client("sqs", endpoint_url=url), boto3.client("events", endpoint_url=url)
    try:
        queues = template.resources("AWS::SQS::Queue")
        # Dead-letter queues first: the others' redrive policies name them.
        for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q]["Properties"]):
            os.environ[LOCAL_RESOURCE + logical_id] = _make_queue(sqs, logical_id, queues[logical_id]["Properties"])
        for logical_id in template.resources("AWS::Events::EventBus"):
            events.create_event_bus(Name=logical_id)
            os.environ[LOCAL_RESOURCE + logical_id] = logical_id
        yield sqs
    finally:
        server.stop()


def _make_queue(sqs: Any, logical_id: str, props: dict[str, Any]) -> str:
    """The queue with the template's attributes (visibility, retention, redrive); returns its URL."""
    fifo = bool(props.get("FifoQueue"))
    attributes = {"FifoQueue": "true"} if fifo else {}
    for name in ("VisibilityTimeout", "MessageRetentionPeriod"):
        if name in props:
            attributes[name] = str(props[name])
    redrive = props.get("RedrivePolicy")
    if redrive:
        target = os.environ[LOCAL_RESOURCE + redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]]
        target_arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": target_arn,
                                                  "maxReceiveCount": str(redrive["maxReceiveCount"])})
    made = sqs.create_queue(QueueName=logical_id + (".fifo" if fifo else ""), Attributes=attributes)
    return str(made["QueueUrl"])


def consumed_queues() -> dict[str, str]:
    """function -> the URL of the queue its SQS event source mapping reads (once the queues exist)."""
    found = {}
    for function, props in queue_mappings().items():
        logical_id = props["EventSourceArn"]["Fn::GetAtt"][0]
        found[function] = os.environ[LOCAL_RESOURCE + logical_id]
    return found
