"""Audit scanning: canary forms, packed strings, findings without values."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import orjson

from replayport.privacy.audit import CanaryMatcher, load_canaries, scan_text

EMAIL = "marisol.quillfeather@example.org"
PHONE = "+1 206 555 0188"


def _packed(value: object) -> str:
    """posthog-js `cv` packing: gzip bytes as a Latin-1 string."""
    return gzip.compress(json.dumps(value).encode()).decode("latin-1")


def test_canary_forms() -> None:
    matcher = CanaryMatcher([EMAIL, PHONE, "Marisol Quillfeather", ""])
    assert len(matcher) == 3
    for text in (
        EMAIL,
        EMAIL.upper(),
        "marisol.quillfeather%40example.org",
        "marisol.quillfeather\\u0040example.org",
        "Marisol+Quillfeather",
        "Marisol%20Quillfeather",
        "%2B1%20206%20555%200188",
        "%2B1+206+555+0188",
        "tel:12065550188",
        "x=12065550188&",
    ):
        assert matcher.matches(f"before {text} after"), text
    assert not matcher.matches("ts 112065550188 and 120655501889")  # digits need boundaries
    assert not matcher.matches("Marisol and Quillfeather")


def test_scan_finds_canaries_and_detectors_with_redacted_context() -> None:
    matcher = CanaryMatcher(["Marisol Quillfeather"])
    text = '{"textContent":"Hello, Marisol Quillfeather","other":"write to a@b.org"}'
    findings = scan_text(text, matcher)
    assert [(f.rule, f.inside, f.canary) for f in findings] == [
        ("email", "", None),
        ("canary", "", 0),
    ]
    canary = findings[1]
    assert canary.offset == text.index("Marisol")
    assert "Marisol" not in canary.context and "Hello" not in canary.context
    assert '"textContent":' in canary.context and "[canary]" in canary.context
    assert all("a@b.org" not in f.context and "@" not in f.context for f in findings)


def test_scan_opens_packed_strings() -> None:
    matcher = CanaryMatcher([EMAIL])
    packed = _packed({"adds": [{"node": {"textContent": EMAIL}}]})
    # raw (a decoded cell), JSON-escaped (a JSON line as stored), base64 gzip, base64url JSON
    raw = scan_text(packed, matcher)
    assert {(f.rule, f.inside) for f in raw} == {("canary", "gzip"), ("email", "gzip")}
    escaped = orjson.dumps({"data": {"adds": packed}}).decode()
    assert "\\u001f" in escaped and EMAIL not in escaped
    assert {(f.rule, f.inside) for f in scan_text(escaped, matcher)} == {
        ("canary", "gzip"),
        ("email", "gzip"),
    }
    b64 = base64.b64encode(gzip.compress(EMAIL.encode())).decode()
    found_b64 = {(f.rule, f.inside) for f in scan_text(f"x {b64} y", matcher)}
    assert ("canary", "base64-gzip") in found_b64
    claims = base64.urlsafe_b64encode(json.dumps({"email": EMAIL}).encode()).decode().rstrip("=")
    found = {(f.rule, f.inside) for f in scan_text(f"token {claims}", matcher)}
    assert ("jwt", "") in found and ("canary", "base64url") in found
    nested = _packed({"v": f"claims {claims}"})
    assert ("canary", "gzip/base64url") in {(f.rule, f.inside) for f in scan_text(nested, matcher)}


def test_scan_without_detectors_and_clean_text() -> None:
    assert scan_text("nothing to see, [email] and [card] are placeholders") == []
    assert scan_text('{"token":"[secret]","password":"****"}') == []
    assert scan_text("a@b.org", detectors=False) == []
    assert scan_text("") == []


def test_load_canaries(tmp_path: Path) -> None:
    path = tmp_path / "canaries.txt"
    path.write_text(f"# planted values\n{EMAIL}\n\n  {PHONE}  \n", encoding="utf-8")
    assert load_canaries(path) == [EMAIL, PHONE]
