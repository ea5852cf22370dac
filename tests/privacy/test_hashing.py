"""Identifier hashing exactly as DESIGN.md states it."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from replayport.errors import HashKeyMissingError
from replayport.privacy.hashing import IdentifierHasher, hash_key_id

KEY = "test-key-0123456789abcdef"


def _expected(value: str, key: str = KEY) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def test_known_vectors() -> None:
    hasher = IdentifierHasher(KEY)
    assert hasher.hash_id("pat_devcanary_042") == _expected("pat_devcanary_042")
    assert hasher.hash_id("01a202b4-79b9-70c3-a690-9b5434880cf6") == _expected(
        "01a202b4-79b9-70c3-a690-9b5434880cf6"
    )
    assert hasher.hash_email("marisol.quillfeather@example.org") == _expected(
        "marisol.quillfeather@example.org"
    )
    # RFC 4231 test case 2 pins the primitive itself
    assert IdentifierHasher("Jefe").hash_id("what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_normalisation() -> None:
    hasher = IdentifierHasher(KEY)
    assert hasher.hash_email("  Marisol.Quillfeather@Example.ORG \n") == _expected(
        "marisol.quillfeather@example.org"
    )
    assert hasher.hash_id("  Pat_42 ") == _expected("Pat_42")  # ids keep their case
    assert hasher.hash_id(1) == _expected("1")
    assert hasher.hash_id(None) is None and hasher.hash_id("   ") is None
    assert hasher.hash_email("") is None and hasher.hash_email(None) is None
    digest = hasher.hash_id("x")
    assert digest is not None and len(digest) == 64 and digest == digest.lower()


def test_key_id_and_repr() -> None:
    hasher = IdentifierHasher(KEY)
    assert hasher.key_id == hashlib.sha256(KEY.encode()).hexdigest()[:8] == hash_key_id(KEY)
    assert hash_key_id(KEY.encode()) == hasher.key_id
    assert KEY not in repr(hasher) and hasher.key_id in repr(hasher)
    assert IdentifierHasher("other-key-0123456789").hash_id("x") != hasher.hash_id("x")


def test_empty_key_is_refused() -> None:
    with pytest.raises(HashKeyMissingError):
        IdentifierHasher("")
    with pytest.raises(HashKeyMissingError):
        hash_key_id(b"")
