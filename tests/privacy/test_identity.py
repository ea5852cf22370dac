"""Session identity: hashes and allow-listed person properties, on the corpus metadata."""

from __future__ import annotations

import hashlib
import hmac

import orjson

from replayport.privacy import IdentifierHasher, PrivacyPolicy, pseudonymise_identity
from tests.corpus import load_recording_meta
from tests.privacy.helpers import canary_matcher

KEY = "identity-test-key-0123456789"


def _h(value: str) -> str:
    return hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def test_corpus_identity_is_hashed() -> None:
    meta = load_recording_meta("s1_defaults_desktop")
    before = orjson.dumps(meta)
    identity = pseudonymise_identity(meta, None, IdentifierHasher(KEY), PrivacyPolicy())
    assert identity.distinct_id_hash == _h("01a202b4-79b9-70c3-a690-9b5434880cf6")
    assert identity.person_id_hash == _h(meta["person"]["uuid"])
    assert identity.email_hash == _h("marisol.quillfeather@example.org")
    assert identity.person_properties == {
        "$initial_referring_domain": "$direct",
        "$initial_utm_source": None,
        "$initial_utm_medium": None,
        "$initial_utm_campaign": None,
    }
    assert not canary_matcher().matches(orjson.dumps(identity._asdict()).decode())
    assert orjson.dumps(meta) == before  # the caller's metadata is not modified


def test_fallbacks_and_scrubbing() -> None:
    person = {
        "id": 7,
        "distinct_ids": ["anon-1", "user-1"],
        "properties": {
            "$email": " A@B.org ",
            "$browser": "Chrome",
            "$os": "Mac OS X",
            "$initial_utm_campaign": "spring a@b.org",
            "name": "Marisol",
            "$geoip_city_name": "Seattle",
        },
    }
    identity = pseudonymise_identity(None, person, IdentifierHasher(KEY), PrivacyPolicy())
    assert identity.distinct_id_hash == _h("anon-1")
    assert identity.person_id_hash == _h("7")
    assert identity.email_hash == _h("a@b.org")
    assert identity.person_properties == {
        "$browser": "Chrome",
        "$os": "Mac OS X",
        "$initial_utm_campaign": "spring [email]",
    }


def test_unknown_identity() -> None:
    identity = pseudonymise_identity({}, None, IdentifierHasher(KEY), PrivacyPolicy())
    assert identity == (None, None, None, {})
    custom = PrivacyPolicy(person_property_allowlist=())
    meta = {"distinct_id": "d", "person": {"uuid": "u", "properties": {"$browser": "x"}}}
    assert pseudonymise_identity(meta, None, IdentifierHasher(KEY), custom).person_properties == {}
