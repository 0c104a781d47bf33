"""The table's key layout and attribute codec: only the data-access modules build keys.

Layout and why: docs/design.md ("Data model"). Every key is scoped by mode (test/live).
"""

import hashlib
from typing import Any

from ledger.models import BalanceTransactionRecord, CustomerRecord, IdempotencyRecord, Mode

CUSTOMER_SK = "~customer"
IDEMPOTENCY_SK = "idempotency"
API_KEYS_PK = "apikeys"
TXN_PREFIX = "txn#"
TXN_TOP = "txn#~"  # above every transaction key, below the customer's
CUSTOMERS_BY_CREATED = "customers_by_created"
CUSTOMERS_BY_EMAIL = "customers_by_email"
CUSTOMER_INDEX_LOW, CUSTOMER_INDEX_HIGH = "0", "~"  # below and above every customer index key
# Keys hold `created` as ten digits, compared as text: every bound is clamped into that range first
# (an eleven-digit bound would sort below every key). Ten digits last until the year 2286.
CREATED_MAX = 9_999_999_999


def partition(mode: Mode, customer_id: str) -> str:
    return f"{mode}#{customer_id}"


def customer_key(mode: Mode, customer_id: str) -> dict[str, Any]:
    return {"pk": {"S": partition(mode, customer_id)}, "sk": {"S": CUSTOMER_SK}}


def transaction_sk(created: int, sequence: int) -> str:
    return f"{TXN_PREFIX}{created:010d}#{sequence:012d}"


def transaction_key(mode: Mode, customer_id: str, created: int, sequence: int) -> dict[str, Any]:
    return {"pk": {"S": partition(mode, customer_id)}, "sk": {"S": transaction_sk(created, sequence)}}


def created_floor_sk(created: int) -> str:
    """Lowest transaction key created at or after `created` (above every key when none can be)."""
    return TXN_TOP if created > CREATED_MAX else f"{TXN_PREFIX}{max(created, 0):010d}#"


def created_ceiling_sk(created: int) -> str:
    """Highest transaction key created at or before `created` (below every key when none can be)."""
    return TXN_PREFIX if created < 0 else f"{TXN_PREFIX}{min(created, CREATED_MAX):010d}#~"


def customer_index_floor(created: int) -> str:
    """Lowest customer index key created at or after `created`."""
    return CUSTOMER_INDEX_HIGH if created > CREATED_MAX else f"{max(created, 0):010d}#"


def customer_index_ceiling(created: int) -> str:
    """Highest customer index key created at or before `created`."""
    return CUSTOMER_INDEX_LOW if created < 0 else f"{min(created, CREATED_MAX):010d}#~"


def customer_index_key(record: CustomerRecord) -> str:
    """A customer's position in both customer indexes (and a list cursor's)."""
    return f"{record.created:010d}#{record.id}"


def all_customers_partition(mode: Mode) -> str:
    return f"{mode}#customers"


def email_partition(mode: Mode, email: str) -> str:
    """The by-email index partition: a digest, so that any email Stripe accepts (512 characters of up to
    four bytes each) fits DynamoDB's 2,048-byte partition key."""
    return f"{mode}#email#{hashlib.sha256(email.encode()).hexdigest()}"


def claim_key(mode: Mode, namespace: str, key: str) -> dict[str, Any]:
    prefix = "idem" if namespace == "client" else "sysidem"
    return {"pk": {"S": f"{mode}#{prefix}#{key}"}, "sk": {"S": IDEMPOTENCY_SK}}


def api_key_key(digest: str) -> dict[str, Any]:
    return {"pk": {"S": API_KEYS_PK}, "sk": {"S": digest}}


# --- attribute values ----------------------------------------------------------------------------

def to_av(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {k: to_av(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"L": [to_av(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")  # floats never reach the table


def from_av(av: dict[str, Any]) -> Any:
    (kind, value), = av.items()
    if kind == "N":
        return int(value)
    if kind == "M":
        return {k: from_av(v) for k, v in value.items()}
    if kind == "NULL":
        return None
    if kind == "L":
        return [from_av(v) for v in value]
    return value  # S, BOOL


def item(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: to_av(v) for k, v in attributes.items() if v is not None}


def plain(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: from_av(v) for k, v in stored.items()}


# --- items ---------------------------------------------------------------------------------------

def customer_item(record: CustomerRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = record.model_dump()
    attributes.update(pk=partition(record.mode, record.id), sk=CUSTOMER_SK)
    if not record.deleted:  # a deleted customer leaves both indexes
        attributes.update(gsi1pk=all_customers_partition(record.mode), gsi1sk=customer_index_key(record))
        if record.email:
            attributes.update(gsi2pk=email_partition(record.mode, record.email), gsi2sk=customer_index_key(record))
    return item(attributes)


def transaction_item(record: BalanceTransactionRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = record.model_dump()
    attributes.update(pk=partition(record.mode, record.customer), sk=transaction_sk(record.created, record.sequence))
    return item(attributes)


def claim_item(record: IdempotencyRecord) -> dict[str, Any]:
    return {**claim_key(record.mode, record.namespace, record.key), **item(record.model_dump())}


def customer(stored: dict[str, Any] | None) -> CustomerRecord | None:
    return CustomerRecord.model_validate(plain(stored)) if stored else None


def transaction(stored: dict[str, Any]) -> BalanceTransactionRecord:
    return BalanceTransactionRecord.model_validate(plain(stored))


def is_customer(stored: dict[str, Any]) -> bool:
    return bool(stored["sk"]["S"] == CUSTOMER_SK)
