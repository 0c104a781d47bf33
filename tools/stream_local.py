"""DynamoDB Streams delivered to a function as Lambda's event source mapping delivers them, for the
local run and the tests, with template.yaml as the source: the mapping's batch size, filter criteria,
retries and on-failure destination.

Each shard is read in order from its last checkpoint; records that pass the filter are handed over in
batches, in Lambda's record shape. A batch whose function reports a failed item (ReportBatchItemFailures)
is retried from that record; one that raises, whole. When the retries are spent, the batch's range goes
to the on-failure destination (a file under .local/destinations, as for asynchronous invocations) and
the shard moves on, as Lambda does.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Callable
from typing import Any

from tools import async_invoke, dynamodb_local, template

Invoke = Callable[[str, dict[str, Any]], Any]
SHARDS_MAX = 1_000  # shards listed per pass (DynamoDB keeps a stream's shards for 24 hours)
READS_PER_SHARD_MAX = 1_000  # GetRecords calls per shard and pass
POLL_INTERVAL_S = 0.2  # Lambda polls each shard about four times a second


def stream_mappings() -> dict[str, dict[str, Any]]:
    """function -> its DynamoDB stream event source mapping's properties (as the SAM transform makes it)."""
    found = {}
    for resource in template.transformed()["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::EventSourceMapping" and "StreamArn" in json.dumps(
                props.get("EventSourceArn", "")):
            found[props["FunctionName"]["Ref"]] = props
    return found


def matches(pattern: Any, value: Any) -> bool:
    """Lambda's event filtering, for the pattern forms the template uses: nested objects, and lists of
    exact values or {"prefix": …}. Any other form is refused rather than guessed."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and matches(v, value[k]) for k, v in pattern.items())
    if isinstance(pattern, list):
        return any(_matches_one(p, value) for p in pattern)
    raise ValueError(f"unsupported filter pattern: {pattern!r}")


def _matches_one(option: Any, value: Any) -> bool:
    if isinstance(option, dict):
        if set(option) != {"prefix"}:
            raise ValueError(f"unsupported filter pattern: {option!r}")
        return isinstance(value, str) and value.startswith(option["prefix"])
    return bool(option == value)


class StreamMapping:
    """One function's mapping onto the table's stream, read from the engine at `endpoint`."""

    def __init__(self, function: str, endpoint: str, table_name: str, invoke: Invoke) -> None:
        props = stream_mappings()[function]
        self.function, self.invoke = function, invoke
        self.batch_size = int(props.get("BatchSize", 100))
        self.retries_max = int(props.get("MaximumRetryAttempts", -1))
        self.patterns = [json.loads(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])]
        self.reports_items = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        self.destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        import boto3

        dynamodb = dynamodb_local.client(endpoint)
        self.stream_arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self.streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1",
                                    aws_access_key_id="local", aws_secret_access_key="local")
        self.checkpoints: dict[str, str] = {}  # shard -> last sequence number handled
        self.lock = threading.Lock()

    def drain(self) -> int:
        """Deliver every record the stream holds now; returns how many records were handed over."""
        with self.lock:
            delivered = 0
            shards = self.streams.describe_stream(StreamArn=self.stream_arn, Limit=100)["StreamDescription"]["Shards"]
            for shard in shards[:SHARDS_MAX]:
                delivered += self._drain_shard(shard["ShardId"])
            return delivered

    def _drain_shard(self, shard_id: str) -> int:
        checkpoint = self.checkpoints.get(shard_id)
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": checkpoint} if checkpoint else {
            "ShardIteratorType": "TRIM_HORIZON"}
        iterator = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id,
                                                   **position)["ShardIterator"]
        delivered = 0
        for _read in range(READS_PER_SHARD_MAX):
            if not iterator:
                break
            page = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            records = [lambda_record(r, self.stream_arn) for r in page["Records"]]
            if not records:
                break
            wanted = [r for r in records if not self.patterns or any(matches(p, r) for p in self.patterns)]
            if wanted:
                self._deliver(wanted)
                delivered += len(wanted)
            self.checkpoints[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            iterator = page.get("NextShardIterator")
        return delivered

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        attempts = self.retries_max + 1 if self.retries_max >= 0 else 10_000
        pending = records
        for _attempt in range(attempts):
            failed = self._failed_from(pending)
            if failed is None:
                return
            pending = pending[failed:]
        self._dead_letter(pending)

    def _failed_from(self, records: list[dict[str, Any]]) -> int | None:
        """The index of the first record to retry, or None when the batch succeeded."""
        try:
            result = self.invoke(self.function, {"Records": records})
        except Exception:
            return 0
        failures = (result or {}).get("batchItemFailures") or [] if self.reports_items else []
        numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
        failed = [numbers.index(f["itemIdentifier"]) for f in failures if f.get("itemIdentifier") in numbers]
        return min(failed) if failed else None

    def _dead_letter(self, records: list[dict[str, Any]]) -> None:
        if self.destination is None:
            return
        record = {"requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": self.function},
                  "DDBStreamBatchInfo": {
                      "streamArn": self.stream_arn, "batchSize": len(records),
                      "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                      "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"]}}
        async_invoke.deliver(self.function, self.destination, record)

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set (the local run's background thread)."""
        while not stop.wait(POLL_INTERVAL_S):
            try:
                self.drain()
            except Exception as problem:  # the engine restarting: the next poll tries again
                print(f"stream: {self.function}: {problem}", flush=True)


def _as_aws_sends(value: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB Local's stream writes an empty map as `{}`, where DynamoDB sends `{"M": {}}`."""
    if not value:
        return {"M": {}}
    if "M" in value:
        return {"M": {k: _as_aws_sends(v) for k, v in value["M"].items()}}
    return value


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it to a function (epoch seconds, the stream's ARN)."""
    stream = dict(record["dynamodb"])
    for image in ("NewImage", "OldImage"):
        if image in stream:
            stream[image] = {k: _as_aws_sends(v) for k, v in stream[image].items()}
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime.datetime):
        stream["ApproximateCreationDateTime"] = int(created.timestamp())
    return {"eventID": record["eventID"], "eventName": record["eventName"], "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": stream,
            "eventSourceARN": stream_arn}
