"""An SQS queue delivered to a function as Lambda's SQS event source mapping delivers it, for the local
run and the tests, with template.yaml as the source (batch size, ReportBatchItemFailures): received
messages are handed over in Lambda's record shape; those the function reports failed (or all, when it
raises) stay in the queue and come back when their visibility ends; the others are deleted.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from tools import template
from tools.local_aws.stack import ACCOUNT, REGION

Invoke = Any  # (function, event) -> result
RECEIVES_PER_DRAIN_MAX = 1_000  # ReceiveMessage calls per drain
POLL_WAIT_S = 1  # long polling, as Lambda's pollers do


def queue_mappings() -> dict[str, dict[str, Any]]:
    """function -> its SQS event source mapping's properties (as the SAM transform makes it)."""
    found = {}
    for resource in template.transformed()["Resources"].values():
        props = resource.get("Properties", {})
        source = json.dumps(props.get("EventSourceArn", ""))
        if resource["Type"] == "AWS::Lambda::EventSourceMapping" and "Queue" in source and "Stream" not in source:
            found[props["FunctionName"]["Ref"]] = props
    return found


def lambda_sqs_event(messages: list[dict[str, Any]], queue_url: str) -> dict[str, Any]:
    """A Lambda SQS event built from received messages, as the event source mapping builds it."""
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_url.rstrip('/').rsplit('/', 1)[-1]}"
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()}, "messageAttributes": {},
        "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION,
    } for m in messages]}


class QueueMapping:
    def __init__(self, function: str, queue_url: str, sqs: Any, invoke: Invoke) -> None:
        props = queue_mappings()[function]
        self.function, self.queue_url, self.sqs, self.invoke = function, queue_url, sqs, invoke
        self.batch_size = int(props.get("BatchSize", 10))
        self.reports_items = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])

    def drain(self, wait_s: int = 0) -> int:
        """Hand over every message visible now; returns how many were handed over."""
        handed = 0
        for _receive in range(RECEIVES_PER_DRAIN_MAX):
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size,
                                                AttributeNames=["All"], WaitTimeSeconds=wait_s).get("Messages", [])
            if not messages:
                return handed
            handed += len(messages)
            for message in self._succeeded(messages):
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return handed

    def _succeeded(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            result = self.invoke(self.function, lambda_sqs_event(messages, self.queue_url))
        except Exception:
            return []
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures") or []} if (
            self.reports_items) else set()
        return [m for m in messages if m["MessageId"] not in failed]

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set (the local run's background thread)."""
        while not stop.is_set():
            try:
                self.drain(wait_s=POLL_WAIT_S)
            except Exception as problem:
                print(f"queue: {self.function}: {problem}", flush=True)
                stop.wait(POLL_WAIT_S)
