"""`make verify`: walk every customer's chain in a table and report every break.

  python -m tools.verify                   the local run's table (its engine, started if needed)
  python -m tools.verify --table NAME      a deployed table, with your AWS credentials and region

Checks, per customer: gap-free sequence numbers, per-currency ending_balance arithmetic, `created`
never going backwards, and balance = last ending_balance = sum of amounts. Reads only (it Scans for
customers, so run it against production at a quiet hour or on a PITR restore). Exit 1 on any break.
"""

from __future__ import annotations

import argparse
import sys

from tools import dynamodb_local, lambda_local, progress
from tools.local_api import TABLE_NAME


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="verify", description=__doc__.split("\n")[0])
    parser.add_argument("--table", help="a deployed table (uses your AWS credentials)")
    args = parser.parse_args(argv)
    with dynamodb_local.ledger_table(args.table, TABLE_NAME):
        lambda_local.use_layer()
        from ledger import audit

        shown = progress.Progress("verify")
        customers, transactions, problems = audit.audit_table(
            lambda walked, transactions: shown.update(walked, f"customers, {transactions} transactions"))
        shown.close()
    for problem in problems:
        print(problem)
    print(f"verify: customers={customers} transactions={transactions} problems={len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
