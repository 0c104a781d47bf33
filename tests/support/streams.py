"""The table's stream delivered to RecordEventsFunction, as Lambda's event source mapping does it
(tools.stream_local), on the table and engine the test's ledger points at."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools import lambda_local
from tools.stream_local import StreamMapping

RECORD_EVENTS = "RecordEventsFunction"


def in_process(function: str, event: dict[str, Any]) -> Any:
    return lambda_local.load_handler(function)(event, lambda_local.context_for(function))


def event_stream(invoke: Callable[[str, dict[str, Any]], Any] = in_process,
                 positions_dir: Path | None = None) -> StreamMapping:
    return StreamMapping(RECORD_EVENTS, os.environ["AWS_ENDPOINT_URL_DYNAMODB"], os.environ["TABLE_NAME"], invoke,
                         positions_dir)
