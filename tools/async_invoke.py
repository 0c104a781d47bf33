"""Lambda's asynchronous invocation, as EventBridge Scheduler uses it, for the local run and the tests.

A function error is retried up to the function's `EventInvokeConfig.MaximumRetryAttempts` (Lambda's
default: 2), without Lambda's pauses between attempts; when every attempt failed, Lambda's invocation
record goes to the `OnFailure` destination, sent with the function's own role as Lambda sends it. The
destination is the queue that `LOCAL_RESOURCE_<LogicalId>` names (a queue URL); without one, the record
is appended to `.local/destinations/<LogicalId>.jsonl`, which `make redrive` reads.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from tools import lambda_local, local_aws, template
from tools.local_aws.stack import ACCOUNT, REGION

DEFAULT_RETRY_ATTEMPTS = 2  # Lambda's, when EventInvokeConfig does not say
LOCAL_DESTINATIONS = template.ROOT / ".local" / "destinations"


def invoke_config(function: str) -> dict[str, Any]:
    for resource in template.transformed()["Resources"].values():
        if resource["Type"] == "AWS::Lambda::EventInvokeConfig" and (
                resource["Properties"]["FunctionName"] == {"Ref": function}):
            return resource["Properties"]
    return {}


def invoke(function: str, event: dict[str, Any]) -> dict[str, Any] | None:
    """Invoke `function` as Lambda invokes asynchronously. Returns the last attempt's result, or None
    when every attempt failed (its record then went to the on-failure destination, if any)."""
    config = invoke_config(function)
    attempts = 1 + int(config.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS))
    handler = lambda_local.load_handler(function)
    request_id = str(uuid.uuid4())
    failure: Exception | None = None
    for _attempt in range(attempts):
        try:
            return handler(json.loads(json.dumps(event)), lambda_local.LambdaContext(function))
        except Exception as error:  # a function error: Lambda retries the event
            failure = error
    assert failure is not None
    destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if destination is not None:
        deliver(function, destination, _record(function, event, failure, request_id, attempts))
    return None


def _record(function: str, event: dict[str, Any], failure: Exception, request_id: str,
            attempts: int) -> dict[str, Any]:
    """Lambda's invocation record for an event that failed every attempt."""
    return {
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "requestContext": {"requestId": request_id, "condition": "RetriesExhausted",
                           "approximateInvokeCount": attempts,
                           "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:$LATEST"},
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": str(failure), "errorType": type(failure).__name__},
    }


def deliver(function: str, destination: Any, record: dict[str, Any]) -> None:
    logical_id = destination["Fn::GetAtt"][0]
    queue_url = os.environ.get(f"LOCAL_RESOURCE_{logical_id}")
    if queue_url:
        import boto3

        with local_aws.acting_as(function):  # Lambda sends with the function's execution role
            boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))
        return
    LOCAL_DESTINATIONS.mkdir(parents=True, exist_ok=True)
    with open(LOCAL_DESTINATIONS / f"{logical_id}.jsonl", "a", encoding="utf-8") as queue:
        queue.write(json.dumps(record) + "\n")


def local_destination(logical_id: str) -> Path:
    return LOCAL_DESTINATIONS / f"{logical_id}.jsonl"
