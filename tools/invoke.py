"""`make invoke FN=<LogicalId> EVENT=<file>`: run one function with an event file, as `sam local invoke`
would, against the same database as `make run` (the running engine if there is one, else one started
for this call). The objects the sample events name are stored first (tools/samples.py). Prints only the
function's result as JSON on stdout (its logs and metrics go to stderr)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from tools import dynamodb_local, lambda_local, samples, template
from tools.local_api import TABLE_NAME


def main(function: str, event_file: str) -> int:
    if function not in template.functions():
        print(f"unknown function {function}; one of: {', '.join(template.functions())}", file=sys.stderr)
        return 2
    out = sys.stdout
    # Powertools logs and EMF metrics print to stdout: during the call, stdout is stderr.
    with contextlib.redirect_stdout(sys.stderr), dynamodb_local.ledger_table(name=TABLE_NAME):
        lambda_local.configure(function, TABLE_NAME)
        handler = lambda_local.load_handler(function)
        samples.seed()
        try:
            result = handler(json.loads(Path(event_file).read_text()), lambda_local.LambdaContext(function))
        except Exception as failure:  # what Lambda returns for a function error
            print(json.dumps({"errorType": type(failure).__name__, "errorMessage": str(failure)}, indent=2), file=out)
            return 1
    print(json.dumps(result, indent=2), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]) if len(sys.argv) == 3 else 2)
