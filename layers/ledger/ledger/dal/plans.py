"""Where large plans come from (S3, or a local file) and where their entries go (the FIFO queue the
worker consumes). The only code that talks to S3 and SQS."""

import json
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from ledger import retry

SQS_BATCH = 10  # SendMessageBatch's limit
# Entries of a batch SQS did not take: sent again a few times, then the occurrence fails (and its retry
# sends everything again, which deduplication and the entries' idempotency keys make harmless).
PARTIAL_BATCH = retry.Policy(attempts_max=5, budget_ms=20_000, backoff_base_ms=100, backoff_cap_ms=2_000)


@cache
def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 5})
    return boto3.client(service, config=config)


def read_lines(bucket: str | None, key: str | None, path: str | None) -> Iterator[str]:
    """The lines of a JSON Lines plan in S3 (bucket, key) or in a local file (path, for local runs)."""
    if path is not None:
        with open(path, encoding="utf-8") as lines:
            yield from lines
        return
    body = _client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    for line in body.iter_lines():
        yield line.decode("utf-8")


def send(queue_url: str, messages: Iterable[tuple[dict[str, Any], str, str]]) -> int:
    """Send (body, group id, deduplication id) triples in batches of ten; returns how many were sent.
    What SQS keeps refusing raises retry.Exhausted."""
    pending = [{"Id": str(i), "MessageBody": json.dumps(body, separators=(",", ":")), "MessageGroupId": group,
                "MessageDeduplicationId": dedup} for i, (body, group, dedup) in enumerate(messages)]
    sent = 0
    for start in range(0, len(pending), SQS_BATCH):
        batch = pending[start:start + SQS_BATCH]
        attempts = retry.Attempts(PARTIAL_BATCH)
        for _attempt in attempts:
            response = _client("sqs").send_message_batch(QueueUrl=queue_url, Entries=batch)
            sent += len(response.get("Successful", []))
            failed = {f["Id"] for f in response.get("Failed", [])}
            batch = [entry for entry in batch if entry["Id"] in failed]
            if not batch:
                break
            attempts.pause()
    return sent
