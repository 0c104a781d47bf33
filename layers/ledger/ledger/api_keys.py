"""Secret API keys: issued once, stored only as SHA-256 digests, looked up by digest.

`sk_test_` keys act in test mode, `sk_live_` keys in live mode. Keys are high-entropy random
strings, so an unsalted SHA-256 is a sound digest (there is nothing to brute-force), and it lets the
authorizer find a key with one GetItem.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import string

from ledger import clock, dal
from ledger.models import ApiKeyRecord, Mode

PREFIXES: dict[str, Mode] = {"sk_test_": "test", "sk_live_": "live"}
_SECRET_KEY = re.compile(r"sk_(test|live)_[A-Za-z0-9]{1,247}")
_ALPHABET = string.ascii_letters + string.digits


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def mode_of(secret: str) -> Mode | None:
    return next((mode for prefix, mode in PREFIXES.items() if secret.startswith(prefix)), None)


# Every kind of Stripe key, so that a key of another kind is shown (and refused) by its own kind.
_KEY_KINDS = re.compile(r"(sk|pk|rk)_(test|live)_")


def mask(secret: str) -> str:
    """How a key may be shown: its prefix and last four characters only."""
    found = _KEY_KINDS.match(secret)
    prefix = found.group(0) if found else ""
    return f"{prefix}****{secret[-4:]}" if len(secret) > len(prefix) + 4 else f"{prefix}****"


def is_publishable(secret: str) -> bool:
    return secret.startswith(("pk_test_", "pk_live_"))


def is_restricted(secret: str) -> bool:
    return secret.startswith(("rk_test_", "rk_live_"))


def secret_from_authorization(header: str | None) -> str | None:
    """The key in `Authorization: Bearer sk_…` or HTTP Basic (`-u sk_…:`, key as user name)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            user, _, _password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    return None


def register(secret: str) -> ApiKeyRecord:
    """Store a given key (seeding a local run); storing one twice keeps the first record."""
    mode = mode_of(secret)
    if mode is None or not _SECRET_KEY.fullmatch(secret):
        raise ValueError("API keys are sk_test_ or sk_live_ followed by up to 247 letters and digits")
    record = ApiKeyRecord(key_id="key_" + digest(secret)[:16], digest=digest(secret), mode=mode,
                          prefix=secret[:8], last4=secret[-4:], created=clock.now())
    if not dal.put_api_key(record):
        existing = dal.get_api_key(record.digest)
        assert existing is not None
        return existing
    return record


def issue(mode: Mode) -> tuple[str, ApiKeyRecord]:
    """A new random key: the secret is returned once and never stored."""
    prefix = next(p for p, m in PREFIXES.items() if m == mode)
    secret = prefix + "".join(secrets.choice(_ALPHABET) for _ in range(40))
    return secret, register(secret)


def authenticate(secret: str) -> ApiKeyRecord | None:
    """The live key record for `secret`, or None (unknown, revoked, or of the wrong shape: then without
    a lookup)."""
    mode = mode_of(secret)
    if mode is None or not _SECRET_KEY.fullmatch(secret):
        return None
    wanted = digest(secret)
    record = dal.get_api_key(wanted)
    if record is None or record.revoked or record.mode != mode:
        return None
    return record if hmac.compare_digest(record.digest, wanted) else None


def list_keys() -> list[ApiKeyRecord]:
    return sorted(dal.list_api_keys(), key=lambda r: (r.created, r.key_id))


def revoke(key_id: str) -> bool:
    for record in dal.list_api_keys():
        if record.key_id == key_id:
            dal.revoke_api_key(record.digest)
            return True
    return False
