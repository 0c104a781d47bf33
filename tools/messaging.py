"""The local run's queues and event buses: every AWS::SQS::Queue and AWS::Events::EventBus of
template.yaml, made on an in-process moto server, and named to the functions as the stack would name
them (LOCAL_RESOURCE_<LogicalId>, which tools.template and tools.local_aws resolve references with)."""

from __future__ import annotations

import contextlib
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
        for logical_id, queue in template.resources("AWS::SQS::Queue").items():
            fifo = bool(queue["Properties"].get("FifoQueue"))
            attributes = {"FifoQueue": "true"} if fifo else {}
            made = sqs.create_queue(QueueName=logical_id + (".fifo" if fifo else ""), Attributes=attributes)
            os.environ[LOCAL_RESOURCE + logical_id] = made["QueueUrl"]
        for logical_id in template.resources("AWS::Events::EventBus"):
            events.create_event_bus(Name=logical_id)
            os.environ[LOCAL_RESOURCE + logical_id] = logical_id
        yield sqs
    finally:
        server.stop()


def consumed_queues() -> dict[str, str]:
    """function -> the URL of the queue its SQS event source mapping reads (once the queues exist)."""
    found = {}
    for function, props in queue_mappings().items():
        logical_id = props["EventSourceArn"]["Fn::GetAtt"][0]
        found[function] = os.environ[LOCAL_RESOURCE + logical_id]
    return found
