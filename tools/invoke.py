"""`make invoke FN=<LogicalId> EVENT=<file>`: run one function with an event file, as `sam local invoke`
would, against the same database as `make run` (the running engine if there is one, else one started
for this call). The objects the sample events name are stored first (tools/samples.py). Prints only the
function's result as JSON on stdout (its logs and metrics go to stderr)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from tools import dynamodb_local, lambda_local, progress, samples, template
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
        shown = _plan_progress()
        try:
            result = handler(json.loads(Path(event_file).read_text()), lambda_local.LambdaContext(function))
        except Exception as failure:  # what Lambda returns for a function error
            print(json.dumps({"errorType": type(failure).__name__, "errorMessage": str(failure)}, indent=2), file=out)
            return 1
        finally:
            shown.close()
    print(json.dumps(result, indent=2), file=out)
    return 0


def _plan_progress() -> progress.Progress:
    """A scheduled plan's entries as they are applied (or assessed, in a dry run), on a terminal."""
    from ledger.scheduled_adjustments import apply

    shown = progress.Progress("plan")

    def entry_done(summary: apply.Summary) -> None:
        done = summary.would_apply if summary.dry_run else summary.applied + summary.replayed
        verb = "would apply" if summary.dry_run else "applied"
        shown.update(summary.entries, f"entries, {done} {verb}, {sum(summary.rejected.values())} rejected")

    apply.on_entry = entry_done
    return shown


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]) if len(sys.argv) == 3 else 2)
