"""The promise, on the real recordings: no canary survives the default policy, in any form.

Canary forms searched: the value and the variants listed in canaries.json, lower-cased,
URL-encoded (`quote`, `quote_plus`, `%40`), JSON-escaped, and digits only for values with six or
more digits. The same search over the unmasked stream must find them: the test can fail.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

import pytest

from replayport.privacy import PrivacyPolicy, mask_session, scan_text
from tests.corpus import SESSIONS, load_canaries
from tests.privacy.helpers import canary_ids, canary_matcher, dump, session_events


def _plain_forms() -> dict[str, set[str]]:
    """An independent re-statement of the forms, without CanaryMatcher."""
    forms: dict[str, set[str]] = {}
    for canary in load_canaries():
        found: set[str] = set()
        for value in (canary["value"], *canary.get("variants", [])):
            found |= {
                value,
                value.lower(),
                quote(value, safe=""),
                quote_plus(value),
                value.replace("@", "%40"),
                value.replace("@", "\\u0040"),
            }
        forms[canary["id"]] = found
    return forms


def _digit_forms() -> dict[str, re.Pattern[str]]:
    patterns = {}
    for canary in load_canaries():
        digits = re.sub(r"\D", "", canary["value"])
        if len(digits) >= 6:
            patterns[canary["id"]] = re.compile(rf"(?<!\d){digits}(?!\d)")
    return patterns


def _leaks(text: str) -> set[str]:
    lowered = text.lower()
    hits = {
        canary_id
        for canary_id, forms in _plain_forms().items()
        if any(form in text or form.lower() in lowered for form in forms)
    }
    hits |= {canary_id for canary_id, pattern in _digit_forms().items() if pattern.search(text)}
    return hits


def _expected_in(session: str) -> set[str]:
    """Canaries the corpus says are in this session's replay data."""
    return {
        canary["id"]
        for canary in load_canaries()
        if canary["found"].get(session, {}).get("rrweb_locations")
    }


@pytest.mark.parametrize("session", SESSIONS)
def test_default_policy_leaves_no_canary(session: str) -> None:
    masked = mask_session(session_events(session), PrivacyPolicy())
    text = dump(masked.events)
    assert _leaks(text) == set()
    matches = canary_matcher().find(text)
    assert [canary_ids()[index] for index, _, _ in matches] == []


@pytest.mark.parametrize("session", SESSIONS)
def test_audit_scan_of_masked_session_finds_nothing(session: str) -> None:
    masked = mask_session(session_events(session), PrivacyPolicy())
    findings = scan_text(dump(masked.events), canary_matcher())
    assert [(f.rule, f.context) for f in findings] == []


@pytest.mark.parametrize("session", SESSIONS)
def test_disabled_policy_leaks_every_planted_canary(session: str) -> None:
    events = session_events(session)
    masked = mask_session(events, PrivacyPolicy(enabled=False))
    text = dump(masked.events)
    expected = _expected_in(session)
    assert expected, "the corpus plants canaries in every session"
    assert expected <= _leaks(text)
    matched = {canary_ids()[index] for index, _, _ in canary_matcher().find(text)}
    assert expected <= matched
    findings = scan_text(text, canary_matcher())
    rules = {f.rule for f in findings}
    assert {"canary", "email", "token"} <= rules and rules & {"jwt", "secret"}
    # leaks that only exist inside packed content are found there too
    assert any(f.inside for f in findings)


@pytest.mark.parametrize("session", SESSIONS)
def test_findings_never_contain_the_value(session: str) -> None:
    masked = mask_session(session_events(session), PrivacyPolicy(enabled=False))
    findings = scan_text(dump(masked.events), canary_matcher())
    for finding in findings:
        assert _leaks(finding.context) == set()
        assert "@" not in finding.context


@pytest.mark.parametrize("session", SESSIONS)
def test_redaction_counts_are_recorded_without_values(session: str) -> None:
    masked = mask_session(session_events(session), PrivacyPolicy())
    counts = masked.redactions
    assert counts["text_nodes"] > 100
    assert counts["email"] > 0 and counts["token"] > 0
    assert counts["query_values"] > 0 and counts["urls"] > 0
    assert all(isinstance(key, str) and isinstance(n, int) for key, n in counts.items())
    assert _leaks(" ".join(counts)) == set()
    assert masked.excluded is False
    assert len(masked.events) == len(session_events(session))
