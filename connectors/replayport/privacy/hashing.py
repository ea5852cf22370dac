"""Keyed identifier hashing: the one function that turns identifiers into join keys.

DESIGN.md "Identifier hash": lowercase hex HMAC-SHA256(hash key, normalised value); values are
trimmed, emails are also lower-cased; `hash_key_id` is the first 8 hex characters of SHA-256 of
the key. PostHog identifiers (distinct id, person id, email) and payment identifiers (customer
id, payment email) go through the same functions, so dbt can join `email_hash` /
`distinct_id_hash` / `customer_id_hash` across sources without the key ever entering the
warehouse.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from replayport.errors import HashKeyMissingError

__all__ = [
    "IdentifierHasher",
    "hash_identifier",
    "hash_key_id",
    "normalise_email",
    "normalise_identifier",
]


def _key_bytes(key: str | bytes) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise HashKeyMissingError()
    return key


def hash_key_id(key: str | bytes) -> str:
    """The key's public id: the first 8 lowercase hex chars of SHA-256 of the key.

    Recorded next to every hash (`hash_key_id` column) so that rows hashed with different keys
    are never joined by mistake after a rotation. Revealing it does not help recover the key.

    Raises:
        HashKeyMissingError: The key is empty.
    """
    return hashlib.sha256(_key_bytes(key)).hexdigest()[:8]


def normalise_identifier(value: Any) -> str | None:
    """An identifier as it is hashed: `str(value)` trimmed; None when nothing is left.

    Non-string identifiers (PostHog's integer person `id`) are hashed as their decimal text.
    """
    if value is None:
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    return text or None


def normalise_email(value: Any) -> str | None:
    """An email as it is hashed: trimmed and lower-cased; None when nothing is left.

    Lower-casing the local part is technically lossy (RFC 5321 allows case-sensitive local
    parts) but every real provider treats them case-insensitively, and both sides of a join
    (PostHog person email, Stripe customer email) must normalise the same way.
    """
    text = normalise_identifier(value)
    return text.lower() if text is not None else None


def hash_identifier(key: str | bytes, value: str) -> str:
    """Lowercase hex HMAC-SHA256(key, value) of an already normalised value."""
    return hmac.new(_key_bytes(key), value.encode("utf-8"), hashlib.sha256).hexdigest()


class IdentifierHasher:
    """Hashes identifiers with one secret key.

    Use `hash_id` for opaque identifiers (PostHog distinct id, person id, payment customer id,
    payment id) and `hash_email` for email addresses. Both return None for None or blank input,
    so a missing identifier stays missing instead of becoming the hash of "".

    The key is kept only inside the instance; `repr()` shows the key id, never the key.

    Args:
        key: The secret hash key (`REPLAYPORT__HASH_KEY`); text is encoded as UTF-8.

    Raises:
        HashKeyMissingError: The key is empty.
    """

    __slots__ = ("_key", "key_id")

    def __init__(self, key: str | bytes) -> None:
        self._key = _key_bytes(key)
        self.key_id: str = hash_key_id(self._key)
        """First 8 hex chars of SHA-256 of the key (the `hash_key_id` column)."""

    def __repr__(self) -> str:
        return f"IdentifierHasher(key_id={self.key_id!r})"

    def hash_id(self, value: Any) -> str | None:
        """HMAC of a trimmed identifier (case preserved); None for None/blank."""
        text = normalise_identifier(value)
        return hash_identifier(self._key, text) if text is not None else None

    def hash_email(self, value: Any) -> str | None:
        """HMAC of a trimmed, lower-cased email; None for None/blank."""
        text = normalise_email(value)
        return hash_identifier(self._key, text) if text is not None else None
