"""API key management: `make keys ARGS="create --mode test"` (or `python -m tools.keys …`).

  create --mode test|live   issue a key; its secret is printed once and only its digest is stored
  list                      id, mode, prefix and last four of every key (never a secret)
  revoke KEY_ID             revoke a key; API Gateway may accept it for up to 60 s more (cache)

By default this acts on the local run's table (the engine `make run` uses, started if needed). For a
deployed stack pass `--table <TableName output>`: it then uses your AWS credentials and region.
"""

from __future__ import annotations

import argparse
import sys

from tools import dynamodb_local, lambda_local
from tools.local_api import TABLE_NAME


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="keys", description=__doc__.split("\n")[0])
    parser.add_argument("--table", help="a deployed table (uses your AWS credentials)")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create")
    create.add_argument("--mode", choices=["test", "live"], required=True)
    commands.add_parser("list")
    revoke = commands.add_parser("revoke")
    revoke.add_argument("key_id")
    args = parser.parse_args(argv)

    with dynamodb_local.ledger_table(args.table, TABLE_NAME):
        lambda_local.use_layer()
        from ledger import api_keys

        if args.command == "create":
            secret, record = api_keys.issue(args.mode)
            print(f"{record.key_id} {record.mode} {secret}")
            print("Store the secret now: it is not kept and cannot be shown again.", file=sys.stderr)
        elif args.command == "list":
            for record in api_keys.list_keys():
                state = "revoked" if record.revoked else "active"
                print(f"{record.key_id} {record.mode} {record.prefix}****{record.last4} {state}")
        elif not api_keys.revoke(args.key_id):
            print(f"no key {args.key_id}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
