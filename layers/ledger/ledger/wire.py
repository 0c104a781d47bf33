"""How every JSON body the ledger sends is written: compact, and UTF-8 rather than \\u escapes.

A first response and its idempotent replays are the same text, and a stored response costs at most four
bytes per character (an escaped astral character costs twelve), which keeps the largest response any
write can return well inside DynamoDB's 400 KB item limit (tests/integration/test_aws_limits.py).
"""

import json
from typing import Any

# The Stripe API version this ledger answers as (its objects follow that version of Stripe's spec);
# a request's Stripe-Version header is echoed instead when it sends one.
API_VERSION = "2026-09-30.endive"


def dumps(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
