"""`make invoke FN=<LogicalId> EVENT=<file>`: run one function with an event file against the same
database as `make run` (the running engine if there is one, else one started for this call), and
print only the function's result as JSON on stdout (its logs and metrics go to stderr)."""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from tools import dynamodb_local, lambda_local, template
from tools.local_api import TABLE_NAME

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def load_event(path: Path) -> dict:
    """The event, with EventBridge Scheduler's placeholder filled with the current time (as the
    scheduler would), so a sample never goes stale."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.loads(path.read_text().replace(SCHEDULED_TIME, now))


def main(function: str, event_file: str) -> int:
    if function not in template.functions():
        print(f"unknown function {function}; one of: {', '.join(template.functions())}", file=sys.stderr)
        return 2
    out = sys.stdout
    # Powertools logs and EMF metrics print to stdout: during the call, stdout is stderr.
    with contextlib.redirect_stdout(sys.stderr), dynamodb_local.ledger_table(name=TABLE_NAME):
        lambda_local.configure(function, TABLE_NAME)
        handler = lambda_local.load_handler(function)
        try:
            result = handler(load_event(Path(event_file)), lambda_local.LambdaContext(function))
        except Exception as failure:  # what Lambda returns for a function error
            print(json.dumps({"errorType": type(failure).__name__, "errorMessage": str(failure)}, indent=2), file=out)
            return 1
    print(json.dumps(result, indent=2), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]) if len(sys.argv) == 3 else 2)
