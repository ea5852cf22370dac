"""Pseudonymous session identity: hashed identifiers plus allow-listed person properties."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, NamedTuple

from replayport.privacy.hashing import IdentifierHasher
from replayport.privacy.masker import compile_policy
from replayport.privacy.payloads import PayloadScrubber
from replayport.privacy.policy import PrivacyPolicy
from replayport.rrweb.types import PersonMeta, RecordingMeta

__all__ = ["SessionIdentity", "pseudonymise_identity"]


class SessionIdentity(NamedTuple):
    """Who a session belongs to, without saying who that is."""

    distinct_id_hash: str | None
    """HMAC of the recording's `distinct_id` (else the person's first distinct id)."""
    person_id_hash: str | None
    """HMAC of the person's `uuid` (else its numeric `id`)."""
    email_hash: str | None
    """HMAC of the person's `email` (or `$email`) property, trimmed and lower-cased."""
    person_properties: dict[str, Any]
    """Allow-listed person properties, detector-scrubbed."""


def pseudonymise_identity(
    meta: RecordingMeta | Mapping[str, Any] | None,
    person: PersonMeta | Mapping[str, Any] | None,
    hasher: IdentifierHasher,
    policy: PrivacyPolicy,
) -> SessionIdentity:
    """Hash a recording's identifiers and filter its person properties.

    Args:
        meta: The recording's listing element (its `distinct_id`, and `person` when `person`
            is not given), or None for file sources without one.
        person: The person, when known separately (export files); else taken from `meta`.
        hasher: The keyed hasher shared with payment identities, so joins work.
        policy: Supplies `person_property_allowlist` and the detectors.

    Returns:
        The hashes (None when the identifier is unknown) and the kept person properties.
    """
    meta = meta if isinstance(meta, Mapping) else {}
    if not isinstance(person, Mapping):
        nested = meta.get("person")
        person = nested if isinstance(nested, Mapping) else {}
    distinct_id = meta.get("distinct_id")
    if not _present(distinct_id):
        distinct_ids = person.get("distinct_ids")
        if isinstance(distinct_ids, list) and distinct_ids:
            distinct_id = distinct_ids[0]
    person_id = person.get("uuid")
    if not _present(person_id):
        person_id = person.get("id")
    properties = person.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    email = properties.get("email")
    if not _present(email):
        email = properties.get("$email")
    return SessionIdentity(
        distinct_id_hash=hasher.hash_id(distinct_id) if _present(distinct_id) else None,
        person_id_hash=hasher.hash_id(person_id) if _present(person_id) else None,
        email_hash=hasher.hash_email(email) if isinstance(email, str) else None,
        person_properties=_allowed_properties(properties, policy),
    )


def _present(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    return bool(str(value).strip())


def _allowed_properties(properties: Mapping[str, Any], policy: PrivacyPolicy) -> dict[str, Any]:
    allowed = policy.person_property_allowlist
    if not allowed or not properties:
        return {}
    compiled = compile_policy(policy)
    scrub = PayloadScrubber(
        compiled.scrubber,
        compiled.urls,
        header_allowlist=(),
        capture_network_bodies=False,
        counts=Counter(),
    )
    # copy before scrubbing: the caller's person dict is not ours to change
    return {key: scrub.value(_copy(properties[key])) for key in allowed if key in properties}


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
