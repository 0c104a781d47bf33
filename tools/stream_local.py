"""DynamoDB Streams delivered to a function as Lambda's event source mapping delivers them, for the
local run and the tests, with template.yaml as the source: the mapping's batch size, filter criteria,
retries and on-failure destination.

Each shard is read in order from its last checkpoint; records that pass the filter are handed over in
batches, in Lambda's record shape, when a batch is full or the mapping's batching window has passed.
A batch whose function reports a failed item (ReportBatchItemFailures) is retried from that record;
one that raises, whole. When the retries are spent, the batch's range goes to the on-failure
destination (a file under .local/destinations, as for asynchronous invocations) and the shard moves
on, as Lambda does.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
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


@dataclasses.dataclass
class _Shard:
    """Where the mapping stands in one shard: the iterator to read on with, and records read but not yet
    handed over (the ones the filter keeps), waiting for a full batch or the batching window."""

    iterator: str | None = None
    pending: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    last_read: str | None = None  # sequence number of the last record read, kept or filtered out
    first_pending_at: float = 0.0
    closed: bool = False  # read to its end: DynamoDB writes no more to it


class StreamMapping:
    """One function's mapping onto the table's stream, read from the engine at `endpoint`. With
    `positions_dir`, where it stands in each shard outlives the process, as a mapping's position does on
    AWS: a restarted local run goes on from there instead of reading the stream's last day again."""

    def __init__(self, function: str, endpoint: str, table_name: str, invoke: Invoke,
                 positions_dir: Path | None = None) -> None:
        props = stream_mappings()[function]
        self.function, self.invoke = function, invoke
        self.batch_size = int(props.get("BatchSize", 100))
        self.window_s = float(props.get("MaximumBatchingWindowInSeconds", 0))
        self.retries_max = int(props.get("MaximumRetryAttempts", -1))
        self.patterns = [json.loads(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])]
        self.reports_items = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        self.destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        import boto3

        dynamodb = dynamodb_local.client(endpoint)
        self.stream_arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self.streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1",
                                    aws_access_key_id="local", aws_secret_access_key="local")
        self.positions = positions_dir / f"{function}.json" if positions_dir else None
        self.checkpoints: dict[str, str] = self._saved_checkpoints()  # shard -> last sequence number handled
        self.shards: dict[str, _Shard] = {}
        self.lock = threading.Lock()

    def drain(self, flush: bool = True) -> int:
        """Hand over what the stream holds now; returns how many records were handed over. Unless
        `flush`, a batch smaller than the batch size waits for the batching window, as on AWS."""
        with self.lock:
            delivered = 0
            listed = self.streams.describe_stream(StreamArn=self.stream_arn, Limit=100)["StreamDescription"]
            shard_ids = [shard["ShardId"] for shard in listed["Shards"][:SHARDS_MAX]]
            for gone in set(self.shards) - set(shard_ids):  # trimmed after a day
                del self.shards[gone]
            for shard_id in shard_ids:
                state = self.shards.setdefault(shard_id, _Shard())
                try:
                    delivered += self._drain_shard(shard_id, state, flush)
                except self.streams.exceptions.TrimmedDataAccessException:
                    self.shards.pop(shard_id)  # its checkpoint is older than the stream keeps: from the oldest
                    self.checkpoints.pop(shard_id, None)
                except self.streams.exceptions.ExpiredIteratorException:
                    self.shards.pop(shard_id)  # an idle shard's iterator: a new one from the checkpoint next time
                except Exception:  # the engine restarting: read again from the checkpoint next time
                    self.shards.pop(shard_id, None)
                    raise
            return delivered

    def rewind(self) -> None:
        """Forget every position: the next drain reads each shard from its oldest record."""
        with self.lock:
            self.checkpoints.clear()
            self.shards.clear()

    def _drain_shard(self, shard_id: str, state: _Shard, flush: bool) -> int:
        delivered = 0
        for _step in range(READS_PER_SHARD_MAX):
            read = self._read(shard_id, state)
            handed = self._hand_over(shard_id, state, flush)
            delivered += handed
            if not read and not handed:
                break
        if not state.pending and state.last_read is not None:
            self._checkpoint(shard_id, state.last_read)  # past the records the filter dropped
        state.closed = state.iterator is None and not state.pending
        return delivered

    def _read(self, shard_id: str, state: _Shard) -> int:
        """One GetRecords call unless a batch is already waiting; returns how many records it read."""
        if state.closed or len(state.pending) >= self.batch_size:
            return 0
        if state.iterator is None:
            state.iterator = self._iterator(shard_id)
        if state.iterator is None:
            return 0
        page = self.streams.get_records(ShardIterator=state.iterator, Limit=self.batch_size)
        state.iterator = page.get("NextShardIterator")
        records = [lambda_record(r, self.stream_arn) for r in page["Records"]]
        if not records:
            return 0
        if not state.pending:
            state.first_pending_at = time.monotonic()
        state.pending += [r for r in records if not self.patterns or any(matches(p, r) for p in self.patterns)]
        state.last_read = records[-1]["dynamodb"]["SequenceNumber"]
        return len(records)

    def _hand_over(self, shard_id: str, state: _Shard, flush: bool) -> int:
        """One batch, if one is due: full, or its first record older than the batching window."""
        due = flush or len(state.pending) >= self.batch_size or (
            time.monotonic() - state.first_pending_at >= self.window_s)
        if not state.pending or not due:
            return 0
        batch, state.pending = state.pending[:self.batch_size], state.pending[self.batch_size:]
        state.first_pending_at = time.monotonic()
        self._deliver(batch)
        self._checkpoint(shard_id, batch[-1]["dynamodb"]["SequenceNumber"])
        return len(batch)

    def _iterator(self, shard_id: str) -> str | None:
        checkpoint = self.checkpoints.get(shard_id)
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": checkpoint} if checkpoint else {
            "ShardIteratorType": "TRIM_HORIZON"}
        iterator: str | None = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, **position).get("ShardIterator")
        return iterator

    def _checkpoint(self, shard_id: str, sequence_number: str) -> None:
        if self.checkpoints.get(shard_id) == sequence_number:
            return
        self.checkpoints[shard_id] = sequence_number
        if self.positions is not None:
            self.positions.parent.mkdir(parents=True, exist_ok=True)
            saving = self.positions.with_suffix(".saving")
            saving.write_text(json.dumps({"stream": self.stream_arn, "checkpoints": self.checkpoints}))
            saving.replace(self.positions)  # whole or not at all

    def _saved_checkpoints(self) -> dict[str, str]:
        """The positions saved for this stream; none for another stream (the table was created anew)."""
        if self.positions is None or not self.positions.exists():
            return {}
        try:
            saved = json.loads(self.positions.read_text())
        except ValueError:
            return {}
        return dict(saved.get("checkpoints") or {}) if saved.get("stream") == self.stream_arn else {}

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
                self.drain(flush=False)
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
