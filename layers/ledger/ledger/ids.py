"""Object ids in Stripe's shapes.

A balance transaction id carries its position in the customer's chain (created second and sequence
number) followed by random characters, so a retrieve is one key lookup and ids stay unguessable. The
stored item's id is always compared with the requested one, so a forged position finds nothing.
"""

import re
import secrets
import string

_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase  # ASCII order
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_CREATED_WIDTH, _SEQUENCE_WIDTH, _RANDOM_WIDTH = 6, 7, 11
TRANSACTION_PREFIX = "cbtxn_"
CUSTOMER_PREFIX = "cus_"


def _random(width: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(width))


def _encode(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def _decode(text: str) -> int | None:
    value = 0
    for char in text:
        if char not in _INDEX:
            return None
        value = value * 62 + _INDEX[char]
    return value


_CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]{1,251}")


def is_customer_id(object_id: str) -> bool:
    """Whether an id could name one of our customers. Anything else (another prefix, too long for a
    DynamoDB key, characters no id of ours has) is simply not found, without asking the database: the
    functions' roles may only touch customer partitions (`{mode}#cus_…`)."""
    return bool(_CUSTOMER_ID.fullmatch(object_id))


def customer_id() -> str:
    return CUSTOMER_PREFIX + _random(14)


def invoice_prefix() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def transaction_id(created: int, sequence: int) -> str:
    return (
        TRANSACTION_PREFIX
        + _encode(created, _CREATED_WIDTH)
        + _encode(sequence, _SEQUENCE_WIDTH)
        + _random(_RANDOM_WIDTH)
    )


def transaction_position(txn_id: str) -> tuple[int, int] | None:
    """(created, sequence) encoded in a transaction id, or None when it is not one of ours."""
    body = txn_id[len(TRANSACTION_PREFIX) :]
    if not txn_id.startswith(TRANSACTION_PREFIX) or len(body) != _CREATED_WIDTH + _SEQUENCE_WIDTH + _RANDOM_WIDTH:
        return None
    created = _decode(body[:_CREATED_WIDTH])
    sequence = _decode(body[_CREATED_WIDTH : _CREATED_WIDTH + _SEQUENCE_WIDTH])
    if created is None or sequence is None or _decode(body[-_RANDOM_WIDTH:]) is None:
        return None
    return created, sequence


EVENT_PREFIX = "evt_"
_POSITION_WIDTH = 23  # a stream sequence number (at most forty digits) in base 62


def event_id(created: int, position: int) -> str:
    """An event's id: when and where in the stream its change was seen, so one change has one id and a
    retrieve is one key lookup."""
    return EVENT_PREFIX + _encode(created, _CREATED_WIDTH) + _encode(position, _POSITION_WIDTH)


def event_position(event_id: str) -> tuple[int, int] | None:
    """(created, stream position) encoded in an event id, or None when it is not one of ours."""
    body = event_id[len(EVENT_PREFIX):]
    if not event_id.startswith(EVENT_PREFIX) or len(body) != _CREATED_WIDTH + _POSITION_WIDTH:
        return None
    created, position = _decode(body[:_CREATED_WIDTH]), _decode(body[_CREATED_WIDTH:])
    if created is None or position is None:
        return None
    return created, position


WEBHOOK_ENDPOINT_PREFIX = "we_"
_WEBHOOK_ENDPOINT_ID = re.compile(r"we_[A-Za-z0-9]{24}")
WEBHOOK_SECRET_PREFIX = "whsec_"


def webhook_endpoint_id() -> str:
    return WEBHOOK_ENDPOINT_PREFIX + _random(24)


def is_webhook_endpoint_id(object_id: str) -> bool:
    """Whether an id could name one of our webhook endpoints; anything else is not looked up."""
    return bool(_WEBHOOK_ENDPOINT_ID.fullmatch(object_id))


def webhook_secret() -> str:
    """An endpoint's signing secret: 32 base62 characters from `secrets` (about 190 bits)."""
    return WEBHOOK_SECRET_PREFIX + _random(32)
