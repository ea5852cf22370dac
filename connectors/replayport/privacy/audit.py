"""Scanning text for personal data after masking (pure: the callers read archives/warehouses).

Two kinds of evidence:

- **detectors**: the same validated detectors that scrub (`email`, `card`, `jwt`, …), so a
  value that should have been scrubbed but was not is found whatever it is;
- **canaries**: known fake values planted in test data (`load_canaries`), matched also in the
  forms a leak usually takes: lower-cased, URL-encoded (`quote`, `quote_plus`, `%40`),
  JSON-escaped (`\\u0040`) and, for values with at least 6 digits (cards, phones), digits only.

Leaks hide in packed strings, so `scan_text` also opens and scans inside: posthog-js `cv`
packing (gzip bytes as a Latin-1 string, raw or JSON-escaped as `\\u001f\\u008b…`), base64 gzip
(`H4sI…`) and base64url JSON such as a JWT payload (`eyJ…`).

Findings never contain the matched value: only the rule, an offset and a short context in which
every letter, digit and `@` is masked except JSON keys, e.g. `"textContent":"****** [email] ***`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from os import PathLike
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, quote_plus

from replayport.privacy.detectors import PLACEHOLDERS, Finding, find_pii

__all__ = ["AuditFinding", "CanaryMatcher", "load_canaries", "scan_text"]

_CONTEXT = 24
_MAX_DEPTH = 3
_MAX_UNPACKED = 64 * 1024 * 1024
_JSON_KEY = re.compile(r'"[A-Za-z_$][\w$]*"\s*:')
_ALNUM = re.compile(r"[^\W_]|@")
_GZIP_ESCAPED = re.compile(r'"((?:\\u001f|\x1f)(?:\\u008b|\x8b)(?:[^"\\]|\\.)*)"')
_LATIN1_RUN = re.compile(r"[\x00-\xff]+")
_B64URL_JSON = re.compile(r"(?<![A-Za-z0-9_+/-])eyJ[A-Za-z0-9_+/-]{8,}={0,2}")
_B64_GZIP = re.compile(r"(?<![A-Za-z0-9_+/-])H4sI[A-Za-z0-9_+/-]{16,}={0,2}")
_DIGITS = re.compile(r"\d")


class AuditFinding(NamedTuple):
    """One piece of evidence of personal data. Never contains the value itself."""

    rule: str
    """Detector name (`email`, `card`, …) or `canary`."""
    offset: int
    """Character offset in the scanned text (of the packed string, for findings inside one)."""
    context: str
    """Up to 24 chars either side, letters/digits/`@` masked except JSON keys; match as `[rule]`."""
    inside: str = ""
    """Packing opened to find it: "" (plain text), or e.g. `gzip`, `base64url`, `gzip/base64url`."""
    canary: int | None = None
    """For `canary` findings: the index of the canary (line number − 1 in the canary file)."""


class CanaryMatcher:
    """Finds known canary values in text, in the forms leaks usually take.

    Args:
        values: The canary values (blank ones are ignored).
    """

    def __init__(self, values: Iterable[str]) -> None:
        self.values: tuple[str, ...] = tuple(v for v in values if isinstance(v, str) and v.strip())
        forms: list[tuple[str, int]] = []
        digit_forms: list[tuple[re.Pattern[str], int]] = []
        for index, value in enumerate(self.values):
            for form in _text_forms(value):
                forms.append((form, index))
            digits = "".join(_DIGITS.findall(value))
            if len(digits) >= 6:
                digit_forms.append((re.compile(rf"(?<!\d){digits}(?!\d)"), index))
        # longest first, so that overlapping forms report the most specific one
        self._forms = sorted(set(forms), key=lambda f: -len(f[0]))
        self._digit_forms = digit_forms

    def __len__(self) -> int:
        return len(self.values)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """`(canary index, start, end)` of every match in `text` (case-insensitive)."""
        if not text or not self.values:
            return []
        lowered = text.lower()
        if len(lowered) != len(text):
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        hits: list[tuple[int, int, int]] = []
        for form, index in self._forms:
            start = lowered.find(form)
            while start != -1:
                hits.append((index, start, start + len(form)))
                start = lowered.find(form, start + 1)
        for pattern, index in self._digit_forms:
            hits.extend((index, m.start(), m.end()) for m in pattern.finditer(text))
        hits.sort(key=lambda hit: (hit[1], -hit[2]))
        return hits

    def matches(self, text: str) -> bool:
        """Whether any canary occurs in `text`."""
        return bool(self.find(text))


def _text_forms(value: str) -> set[str]:
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        value.replace("@", "%40"),
        value.replace("@", "\\u0040"),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    return {form.lower() for form in forms if form}


def load_canaries(path: str | PathLike[str]) -> list[str]:
    """Canary values from a text file, one per line (blank lines and `#` comments skipped)."""
    values = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            values.append(stripped)
    return values


def scan_text(
    text: str,
    canaries: CanaryMatcher | None = None,
    *,
    detectors: bool = True,
) -> list[AuditFinding]:
    """Every detector and canary finding in `text`, including inside packed strings.

    Args:
        text: Any text: a JSON cell, a whole JSON line, a file's content.
        canaries: Known values to look for, if any.
        detectors: Also run the PII detectors (False: canaries only).

    Returns:
        Findings in text order; packed content's findings carry `inside` and the offset of the
        packed string.
    """
    return list(_scan(text, canaries, detectors, depth=0, inside="", base=None))


def _scan(
    text: str,
    canaries: CanaryMatcher | None,
    detectors: bool,
    depth: int,
    inside: str,
    base: int | None,
) -> Iterator[AuditFinding]:
    if not text:
        return
    if detectors:
        for finding in find_pii(text):
            if text[finding.start : finding.end] in PLACEHOLDERS:
                continue
            yield _finding(text, finding, inside, base)
    if canaries is not None:
        for index, start, end in canaries.find(text):
            yield _finding(text, Finding("canary", start, end), inside, base, canary=index)
    if depth >= _MAX_DEPTH:
        return
    for offset, label, unpacked in _packed(text):
        nested = f"{inside}/{label}" if inside else label
        yield from _scan(
            unpacked, canaries, detectors, depth + 1, nested, offset if base is None else base
        )


def _finding(
    text: str,
    finding: Finding,
    inside: str,
    base: int | None,
    canary: int | None = None,
) -> AuditFinding:
    left = _redact_context(text[max(0, finding.start - _CONTEXT) : finding.start])
    right = _redact_context(text[finding.end : finding.end + _CONTEXT])
    return AuditFinding(
        rule=finding.rule,
        offset=finding.start if base is None else base,
        context=f"{left}[{finding.rule}]{right}",
        inside=inside,
        canary=canary,
    )


def _redact_context(snippet: str) -> str:
    """Mask letters and digits, keeping JSON keys readable for orientation."""
    keys = [(m.start(), m.end()) for m in _JSON_KEY.finditer(snippet)]
    if not keys:
        return _ALNUM.sub("*", snippet).replace("\n", " ")
    parts = []
    position = 0
    for start, end in keys:
        parts.append(_ALNUM.sub("*", snippet[position:start]))
        parts.append(snippet[start:end])
        position = end
    parts.append(_ALNUM.sub("*", snippet[position:]))
    return "".join(parts).replace("\n", " ")


def _packed(text: str) -> Iterator[tuple[int, str, str]]:
    """`(offset, kind, unpacked text)` for every packed string found in `text`."""
    if "\x1f\x8b" in text:
        for match in _LATIN1_RUN.finditer(text):
            run = match.group()
            start = run.find("\x1f\x8b")
            while start != -1:
                unpacked = _gunzip(run[start:].encode("latin-1"))
                if unpacked is not None:
                    yield match.start() + start, "gzip", unpacked
                start = run.find("\x1f\x8b", start + 2)
    if "u001f" in text or "\x1f" in text:
        for match in _GZIP_ESCAPED.finditer(text):
            try:
                packed = json.loads(f'"{match.group(1)}"')
            except ValueError:
                continue
            try:
                unpacked = _gunzip(packed.encode("latin-1"))
            except UnicodeEncodeError:
                continue
            if unpacked is not None:
                yield match.start(), "gzip", unpacked
    if "eyJ" in text:
        for match in _B64URL_JSON.finditer(text):
            for segment in match.group().split("."):
                decoded = _b64decode(segment)
                if decoded is not None:
                    yield match.start(), "base64url", decoded.decode("utf-8", "replace")
    if "H4sI" in text:
        for match in _B64_GZIP.finditer(text):
            raw = _b64decode(match.group())
            unpacked = _gunzip(raw) if raw is not None else None
            if unpacked is not None:
                yield match.start(), "base64-gzip", unpacked


def _b64decode(segment: str) -> bytes | None:
    cleaned = segment.rstrip("=").replace("-", "+").replace("_", "/")
    if len(cleaned) < 8:
        return None
    cleaned = cleaned[: len(cleaned) - (len(cleaned) % 4 == 1)]
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return None


def _gunzip(data: bytes) -> str | None:
    decompressor = zlib.decompressobj(wbits=31)
    try:
        raw = decompressor.decompress(data, _MAX_UNPACKED)
    except zlib.error:
        return None
    return raw.decode("utf-8", "replace") if raw else None
