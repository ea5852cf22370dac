"""Privacy: the only place that knows what personal data is.

Pure (no dlt, no HTTP, no Arrow, no database): policies, DOM masking of rrweb streams,
free-text detectors with validators, URL scrubbing, keyed identifier hashing, and the scanning
used by `replayport audit`.

```python
policy = PrivacyPolicy.from_mapping(config)          # [replayport.privacy]
masked = mask_session(events, policy)                # masked.events, .excluded, .redactions
identity = pseudonymise_identity(meta, person, IdentifierHasher(key), policy)
```
"""

from __future__ import annotations

from replayport.privacy.audit import AuditFinding, CanaryMatcher, load_canaries, scan_text
from replayport.privacy.detectors import (
    DETECTOR_NAMES,
    Finding,
    Scrubber,
    find_pii,
    scrub_text,
)
from replayport.privacy.hashing import IdentifierHasher, hash_key_id
from replayport.privacy.identity import SessionIdentity, pseudonymise_identity
from replayport.privacy.masker import MaskedSession, mask_session
from replayport.privacy.policy import POLICY_SCHEMA, PrivacyPolicy
from replayport.privacy.urls import scrub_url

__all__ = [
    "DETECTOR_NAMES",
    "POLICY_SCHEMA",
    "AuditFinding",
    "CanaryMatcher",
    "Finding",
    "IdentifierHasher",
    "MaskedSession",
    "PrivacyPolicy",
    "Scrubber",
    "SessionIdentity",
    "find_pii",
    "hash_key_id",
    "load_canaries",
    "mask_session",
    "pseudonymise_identity",
    "scan_text",
    "scrub_text",
    "scrub_url",
]
