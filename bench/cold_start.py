"""One fresh process, as a Lambda sandbox would be: either import a function and answer its event
(`function`), or do only what any Python Lambda must (import boto3, create the DynamoDB client, make
the same DynamoDB calls: `baseline`). With `--repeat N` it answers N events and reports its peak
memory. Prints one JSON line. Imports nothing of the project's tooling, so nothing is measured that a
Lambda would not load."""

import time

STARTED = time.perf_counter()

import importlib.util  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from contextlib import redirect_stdout, suppress  # noqa: E402
from typing import Any  # noqa: E402


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def run_function(code_dir: str, layer_dir: str, events: list[Any], repeat: int) -> None:
    sys.path.insert(0, layer_dir)
    spec = importlib.util.spec_from_file_location("app", f"{code_dir}/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for i in range(repeat):
        result = module.lambda_handler(events[i % len(events)], Context())
        status = result.get("statusCode", 200) if isinstance(result, dict) else 200
        if status >= 500:
            raise SystemExit(f"function answered {status}: {result}")


def run_baseline(calls: list) -> None:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 3})
    client = boto3.client("dynamodb", config=config)
    for operation, params in calls:
        # A replayed conditional write fails its condition: still one round trip.
        with suppress(client.exceptions.ClientError):
            getattr(client, operation)(**params)


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sink = io.StringIO()
    with redirect_stdout(sink):  # the function's logs and EMF metrics
        if spec["kind"] == "function":
            run_function(spec["code_dir"], spec["layer_dir"], spec["events"], spec.get("repeat", 1))
        else:
            run_baseline(spec["calls"])
    print(json.dumps({"inside_seconds": time.perf_counter() - STARTED,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
