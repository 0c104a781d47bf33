"""`make redrive`: run again the scheduled occurrences that failed every retry.

Lambda sends each such occurrence's invocation record to the scheduled function's on-failure destination
(ScheduleFailureQueue); its `requestPayload` is the plan. Redriving invokes the function with it again,
synchronously. Every entry's idempotency key comes from the plan, the occurrence and the entry, so only
the entries still missing are applied. A record is removed once its occurrence succeeds; one that fails
again stays for the next redrive. Occurrences older than 14 days are refused by the function.

  python -m tools.redrive                              the records Lambda's async emulation wrote (.local/destinations)
  python -m tools.redrive --queue-url URL --function F a deployed stack (your AWS credentials and region)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

FUNCTION = "ScheduledAdjustmentsFunction"
DESTINATION = "ScheduleFailureQueue"
RECORDS_MAX = 1000  # per run: a redrive is an operator's step, not a loop that may not end
# Past the function's own timeout: Lambda answers a synchronous invoke only when the function ends.
INVOKE_MARGIN_SECONDS = 60
Invoke = Callable[[dict[str, Any]], bool]  # plan -> whether the occurrence succeeded


def redrive_queue(queue_url: str, invoke: Invoke, sqs: Any, records_max: int = RECORDS_MAX) -> tuple[int, int]:
    """(redriven, failed again) for the records on the queue."""
    done = failed = 0
    while done + failed < records_max:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=960,
                                       WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            break
        for message in messages:
            if invoke(json.loads(message["Body"])["requestPayload"]):
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                done += 1
            else:
                failed += 1
    return done, failed


def redrive_file(invoke: Invoke, records_max: int = RECORDS_MAX) -> tuple[int, int]:
    """The local run's destination file: records that succeed are removed from it."""
    from tools.async_invoke import local_destination

    path = local_destination(DESTINATION)
    records = [line for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    kept = [line for line in records[:records_max] if not invoke(json.loads(line)["requestPayload"])]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in kept + records[records_max:]))
    return min(len(records), records_max) - len(kept), len(kept)


def _local_invoke(plan: dict[str, Any]) -> bool:
    from tools import lambda_local

    try:
        lambda_local.load_handler(FUNCTION)(plan, lambda_local.LambdaContext(FUNCTION))
    except Exception as failure:  # the occurrence failed again: its record stays
        print(f"still failing: {type(failure).__name__}: {failure}", file=sys.stderr)
        return False
    return True


def read_timeout_seconds() -> int:
    """How long to wait for the function's answer: longer than it may run. botocore's default gives up
    on a long occurrence while it still runs, invokes it again beside it, and then fails the redrive."""
    from tools import template

    timeout = template.functions()[FUNCTION]["Properties"].get("Timeout")
    if timeout is None:
        timeout = template.load()["Globals"]["Function"]["Timeout"]
    return int(timeout) + INVOKE_MARGIN_SECONDS


def _aws_invoke(function_name: str) -> Invoke:
    import boto3
    from botocore.config import Config

    client = boto3.client("lambda", config=Config(read_timeout=read_timeout_seconds()))

    def invoke(plan: dict[str, Any]) -> bool:
        response = client.invoke(FunctionName=function_name, InvocationType="RequestResponse",
                                 Payload=json.dumps(plan).encode())
        if "FunctionError" in response:
            print(f"still failing: {response['Payload'].read().decode()[:500]}", file=sys.stderr)
            return False
        return True

    return invoke


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="redrive", description=__doc__.split("\n")[0])
    parser.add_argument("--queue-url", help="the stack's ScheduleFailureQueue (uses your AWS credentials)")
    parser.add_argument("--function", help="the deployed ScheduledAdjustmentsFunction's name")
    args = parser.parse_args(argv)
    if bool(args.queue_url) != bool(args.function):
        parser.error("--queue-url and --function go together")
    if args.queue_url:
        import boto3

        done, failed = redrive_queue(args.queue_url, _aws_invoke(args.function), boto3.client("sqs"))
    else:
        from tools import dynamodb_local, lambda_local
        from tools.local_api import TABLE_NAME

        with dynamodb_local.ledger_table(name=TABLE_NAME):
            lambda_local.configure(FUNCTION, TABLE_NAME)
            done, failed = redrive_file(_local_invoke)
    print(f"redrive: redriven={done} failed_again={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
