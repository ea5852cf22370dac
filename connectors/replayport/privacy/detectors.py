"""PII detectors with validators for free text, and the scrubber that replaces what they find.

Every detector is a precompiled regular expression that proposes candidates plus a validator
that rejects look-alikes: card numbers need a card-like grouping, a plausible issuer prefix and
the Luhn checksum; IBANs need the registered length of their country and mod-97; SSNs follow the
SSA's area/group/serial rules; phone numbers must be valid for `phonenumbers`; JWT headers must
decode to JSON with `alg`; IPs must parse with `ipaddress`. Matches are replaced by a typed
placeholder (`[email]`, `[card]`, …) and counted per rule, never logged.

This runs on every string of every session, so the common case must be cheap: one prefilter
regex over a character class rejects ordinary UI text ("Book an appointment") before any
detector runs, and each detector has its own cheap gate (a digit, an `@`, `eyJ`, …).

Rules (names used in `PrivacyPolicy.detectors` and in redaction counts):

| rule | finds | replaced by |
|---|---|---|
| `email` | `a@b.tld`, also `%40` (URL-encoded) and `\\u0040` (JSON-escaped) forms | `[email]` |
| `card` | 15–19 digit card numbers (14 when grouped 4-6-4), plain or grouped, Luhn | `[card]` |
| `iban` | IBANs (plain or grouped by 4), country length + mod-97 | `[iban]` |
| `ssn` | US SSNs `123-45-6789` (dashed) with the SSA's area/group/serial rules | `[ssn]` |
| `phone` | `+<cc> …` international forms; grouped national forms of `phone_regions` | `[phone]` |
| `jwt` | JWTs and any bare base64url JSON segment (`eyJ…`), e.g. a JWT payload | `[jwt]` |
| `token` | `Bearer …`, `Basic <user:pass>`, vendor keys (Stripe, GitHub, AWS, Slack…) | `[token]` |
| `ip` | IPv4 / IPv6 addresses | `[ip]` |
| `secret` | values of `password=…`, `token: …`, `"api_key": "…"`-style pairs | `[secret]` |
| `url_query` | query values of URLs inside free text (`?patient=…`) | `[redacted]` |
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

import phonenumbers

__all__ = [
    "DEFAULT_PHONE_REGIONS",
    "DETECTOR_NAMES",
    "Finding",
    "PLACEHOLDERS",
    "REPLACEMENTS",
    "Scrubber",
    "default_scrubber",
    "find_pii",
    "iban_valid",
    "luhn_valid",
    "scrub_text",
    "ssn_valid",
]

DETECTOR_NAMES: tuple[str, ...] = (
    "email",
    "card",
    "iban",
    "ssn",
    "phone",
    "jwt",
    "token",
    "ip",
    "secret",
    "url_query",
)
"""Every detector, in the order used to break ties between overlapping findings."""

REPLACEMENTS: dict[str, str] = {
    "email": "[email]",
    "card": "[card]",
    "iban": "[iban]",
    "ssn": "[ssn]",
    "phone": "[phone]",
    "jwt": "[jwt]",
    "token": "[token]",
    "ip": "[ip]",
    "secret": "[secret]",
    "url_query": "[redacted]",
}
"""The typed placeholder each rule writes in place of what it found."""

PLACEHOLDERS: frozenset[str] = frozenset(REPLACEMENTS.values())
"""Every placeholder text; a value that already is one is never reported again (audit)."""

DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US",)
"""Regions whose *national* number formats are recognised (international `+` forms always are)."""


class Finding(NamedTuple):
    """One detected span: `text[start:end]` matched `rule`. Never carries the value itself."""

    rule: str
    start: int
    end: int


# --- prefilter -------------------------------------------------------------------------------
# Nothing can match without one of these: digits (cards, IBAN, SSN, phone, IPv4), `@`/`%40`/`\`
# (emails), `:`/`=` (secret pairs, IPv6, URLs), `eyJ` (JWT) or a vendor key prefix.
_TRIGGER = re.compile(
    r"[0-9@%=:\\]|eyJ|[sprk]k_|sk-|gh[pousr]_|github_pat_|A[KS]IA|AIza|xox[abprs]-|phx_|glpat-"
    r"|[Bb](?:earer|EARER)|Basic"
)
_DIGIT = re.compile(r"\d")

# --- email -----------------------------------------------------------------------------------
# Starting only where a local part can start, with bounded repetitions, keeps the worst case
# linear; `%40` and `\u0040` cover URL-encoded and JSON-escaped addresses (query strings, JSON
# dumps inside console messages). 128: RFC 5321's 64, with room for percent-encoding.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,128}(?:@|%40|\\u0040)"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}([A-Za-z]{2,24}))"
    r"(?![A-Za-z0-9-])"
)
# `logo@2x.png` is a retina asset name, not an address
_FILE_TLDS = frozenset(
    "png jpg jpeg gif svg webp avif ico bmp tif tiff css js mjs cjs map json woff woff2 ttf otf "
    "eot html htm txt xml mp4 webm mp3 wav pdf zip".split()
)

# --- card ------------------------------------------------------------------------------------
# a run of digit groups separated by single spaces or dashes, not inside identifiers
# (`…-4111-1111-1111-1111abcd` in a UUID) or decimals (`.4111…`); card-like windows of groups
# are then validated, so "ref 0188 5555 5555 5555 4444" still finds the card
# (atomic, and starting only where a run starts: linear time on any input)
_CARD = re.compile(r"(?<![\w.\-])(?<!\d )(?>\d{1,19}(?:[ -]\d{1,19})*)(?![\w\-]|\.\d)")
_CARD_GROUPINGS = frozenset(
    {(4, 4, 4, 4), (4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3), (4, 4, 4, 4, 2), (4, 4, 4, 3)}
)
_CARD_GATE = re.compile(r"\d(?:[ -]?\d){13}")
_DIGIT_RUN = re.compile(r"\d+")

# --- IBAN ------------------------------------------------------------------------------------
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?"
    r"(?![A-Za-z0-9])"
)
_IBAN_GATE = re.compile(r"[A-Za-z]{2}\d\d")
# SWIFT IBAN registry: country → total length
_IBAN_LENGTHS: dict[str, int] = {
    cc: int(n)
    for cc, n in (
        item.split(":")
        for item in (
            "AD:24 AE:23 AL:28 AT:20 AZ:28 BA:20 BE:16 BG:22 BH:22 BI:27 BR:29 BY:28 CH:21 CR:22 "
            "CY:28 CZ:24 DE:22 DJ:27 DK:18 DO:28 EE:20 EG:29 ES:24 FI:18 FK:18 FO:18 FR:27 GB:22 "
            "GE:22 GI:23 GL:18 GR:27 GT:28 HR:21 HU:28 IE:22 IL:23 IQ:23 IS:26 IT:27 JO:30 KW:30 "
            "KZ:20 LB:28 LC:32 LI:21 LT:20 LU:20 LV:21 LY:25 MC:27 MD:24 ME:22 MK:19 MN:20 MR:27 "
            "MT:31 MU:30 NI:28 NL:18 NO:15 OM:23 PK:24 PL:28 PS:29 PT:25 QA:29 RO:24 RS:22 RU:33 "
            "SA:24 SC:31 SD:18 SE:24 SI:19 SK:24 SM:27 SO:23 ST:25 SV:28 TL:23 TN:24 TR:26 UA:29 "
            "VA:22 VG:24 XK:20 YE:30"
        ).split()
    )
}

# --- SSN -------------------------------------------------------------------------------------
# dashed only: "123 45 6789" is as often three numbers in a row as an SSN
_SSN = re.compile(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])")

# --- phone -----------------------------------------------------------------------------------
# possessive: a long digit run must not be re-split into groups in every possible way
_PHONE_INTL = re.compile(r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,6}+\)?){1,6}+(?![\w]|\.\d)")
# national forms need parentheses or at least two separators, and a last group of 3+ digits
# (206-555-0188, 0161 496 0732, 020 7946 0958): a bare digit run is as likely an order number,
# one separator is a decimal number, and short groups are dates, times or measurements
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+.\-:/])(?:\(\d{2,5}\)[ .\-]?|\d{2,5}[ .\-])\d{2,4}[ .\-]\d{3,5}(?:[ .\-]\d{3,4})?"
    r"(?![\w:/]|[.\-]\d)"
)
_PHONE_GATE = re.compile(r"\d(?:[ .\-()/]{0,2}\d){6}")
_PHONE_SEPARATORS = re.compile(r"[ .\-]")


_NATIONAL_LENGTHS: dict[str, tuple[frozenset[int], str]] = {}


def _plausible_national_length(candidate: str, region: str) -> bool:
    known = _NATIONAL_LENGTHS.get(region)
    if known is None:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if metadata is None or metadata.general_desc is None:
            return True
        known = _NATIONAL_LENGTHS[region] = (
            frozenset(metadata.general_desc.possible_length or ()),
            metadata.national_prefix or "",
        )
    lengths, prefix = known
    if not lengths:
        return True
    digits = "".join(_DIGIT_RUN.findall(candidate))
    if len(digits) in lengths:
        return True
    return bool(prefix) and digits.startswith(prefix) and len(digits) - len(prefix) in lengths


def _groups(text: str) -> tuple[int, ...]:
    return tuple(len(run) for run in _DIGIT_RUN.findall(text))


# --- JWT / base64url JSON ----------------------------------------------------------------------
# `eyJ` is base64 for `{"`: any such segment is encoded JSON, which is where tokens carry
# claims such as email and user id. A following `.seg.seg` belongs to the same token.
_JWT = re.compile(
    r"(?<![A-Za-z0-9_+/-])eyJ[A-Za-z0-9_+-]{8,}={0,2}(?:\.[A-Za-z0-9_+-]*={0,2}){0,2}"
)

# --- tokens ----------------------------------------------------------------------------------
_API_KEY = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}"
    r"|whsec_[A-Za-z0-9]{16,}"
    r"|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|A[KS]IA[0-9A-Z]{16}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|phx_[A-Za-z0-9]{20,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|glpat-[A-Za-z0-9_-]{20,}"
    r")(?![A-Za-z0-9])"
)
_BEARER = re.compile(r"(?i)(?<![A-Za-z0-9])bearer\s+([A-Za-z0-9._~+/-]{8,}=*)")
_BASIC = re.compile(r"(?<![A-Za-z0-9])Basic\s+([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])")

# --- IP --------------------------------------------------------------------------------------
_IPV4_GATE = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:])"
)

# --- secret pairs ----------------------------------------------------------------------------
_SECRET_WORDS = (
    r"passw(?:or)?d|passwd|passphrase|passcode|pwd|secret|token|api[_-]?key|apikey"
    r"|access[_-]?key|private[_-]?key|credentials?|authorization|auth|session(?:[_-]?(?:id|key))?"
    r"|sessid|jwt|otp|signature|mysql_pwd"
)
_SECRET_GATE_WORDS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "auth",
    "credential",
    "sess",
    "jwt",
    "otp",
    "signature",
)
_SECRET_KEY = r"[A-Za-z0-9_.\-]*?(?:" + _SECRET_WORDS + r")"
# "key": "value" (plain or JSON-escaped quotes), 'key': 'value', key=value, key: value
_SECRET_PAIR = re.compile(
    r"(?i)(?<![A-Za-z0-9_.\-])(\\?[\"']?)(" + _SECRET_KEY + r")\1\s*[:=]\s*(?:"
    r"\\\"((?:(?!\\\").){1,2048})\\\""
    r"|\"((?:[^\"\\\n]|\\.){1,2048})\""
    r"|'((?:[^'\\\n]|\\.){1,2048})'"
    r"|((?:(?:bearer|basic|token|digest)\s+)?[^\s\"'\\&;,<>{}()\[\]]{1,2048})"
    r")"
)
_CODE_KEY = re.compile(r"(?i)pass|pwd|otp")
_NOT_SECRET_VALUES = frozenset({"true", "false", "null", "none", "undefined", "redacted", "nan"})
_MASKED_VALUE = re.compile(r"\*+|\[[a-z_]+\]")

# --- URLs in free text -------------------------------------------------------------------------
_URL_IN_TEXT = re.compile(r"(?i)\b(?:https?|wss?|ftp)://[^\s\"'<>\\`()]+")
# `app.js?v=3:10:5` in a stack frame: the line:column is not part of the query value
_STACK_POSITION = re.compile(r"\.(?:m?js|cjs|jsx?|tsx?)\?[^?#]*?(:\d+:\d+)$")


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# issuer prefixes (IIN ranges) → allowed lengths; ids and counters rarely satisfy both plus Luhn
_CARD_ISSUERS: tuple[tuple[re.Pattern[str], range], ...] = (
    (re.compile(r"4"), range(16, 20)),  # Visa
    (re.compile(r"5[1-5]|2(?:2[2-9]\d|[3-6]\d\d|7[01]\d|720)"), range(16, 17)),  # Mastercard
    (re.compile(r"3[47]"), range(15, 16)),  # Amex
    (re.compile(r"3(?:0[0-5]|[689])"), range(14, 20)),  # Diners
    (re.compile(r"35(?:2[89]|[3-8]\d)"), range(16, 20)),  # JCB
    (re.compile(r"6(?:011|4[4-9]|5|2)"), range(16, 20)),  # Discover, UnionPay
    (re.compile(r"5[06-9]|6"), range(16, 20)),  # Maestro
)


def _card_number_ok(digits: str, grouped: bool = False) -> bool:
    length = len(digits)
    if not 14 <= length <= 19:
        return False
    # 14-digit (Diners) numbers only when written 4-6-4: bare 14-digit runs are mostly ids
    if length == 14 and not grouped:
        return False
    if not any(p.match(digits) and length in lengths for p, lengths in _CARD_ISSUERS):
        return False
    if digits.count(digits[0]) == length:
        return False
    return luhn_valid(digits)


def iban_valid(candidate: str) -> bool:
    """Whether `candidate` (spaces allowed, any case) is an IBAN: registered length + mod 97."""
    compact = candidate.replace(" ", "").upper()
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN structure rules: area not 000/666/9xx, group not 00, serial not 0000."""
    return area != "000" and area != "666" and area[0] != "9" and group != "00" and serial != "0000"


def _b64_json_prefix(segment: str) -> bool:
    """Whether a base64/base64url segment decodes to something that starts like a JSON object."""
    chunk = segment[: (len(segment) // 4) * 4] or segment
    chunk = chunk.replace("-", "+").replace("_", "/")
    try:
        head = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=False)[:4]
    except (binascii.Error, ValueError):
        return False
    return head.startswith(b'{"')


class Scrubber:
    """Finds and replaces PII in free text with a fixed set of detectors.

    Instances are immutable after construction and safe to share; build one per policy
    (`PrivacyPolicy` does) or use the module-level `scrub_text` / `find_pii` defaults.

    Args:
        detectors: Names from `DETECTOR_NAMES` to run; default all.
        phone_regions: ISO region codes whose national phone formats are recognised.
        max_text_length: Longer texts are cut to this length (at a word boundary) before
            scanning: bounds the time spent on one string and the size kept. 0 = no limit.
    """

    __slots__ = ("_detectors", "_memo", "_phone_regions", "enabled", "max_text_length")

    def __init__(
        self,
        detectors: Iterable[str] = DETECTOR_NAMES,
        phone_regions: Iterable[str] = DEFAULT_PHONE_REGIONS,
        max_text_length: int = 0,
    ) -> None:
        names = tuple(detectors)
        unknown = sorted(set(names) - set(DETECTOR_NAMES))
        if unknown:
            raise ValueError(f"unknown detectors: {', '.join(unknown)}")
        self.enabled: frozenset[str] = frozenset(names)
        self._phone_regions = tuple(phone_regions)
        self.max_text_length = max_text_length
        table: dict[str, Callable[[str], Iterator[Finding]]] = {
            "email": self._emails,
            "card": self._cards,
            "iban": self._ibans,
            "ssn": self._ssns,
            "phone": self._phones,
            "jwt": self._jwts,
            "token": self._tokens,
            "ip": self._ips,
            "secret": self._secrets,
            "url_query": self._url_queries,
        }
        self._detectors = tuple(table[name] for name in DETECTOR_NAMES if name in self.enabled)
        self._memo: dict[str, tuple[str, tuple[str, ...]]] | None = None

    def memoized(self) -> Scrubber:
        """A copy that remembers the results for short strings (≤ 256 chars).

        Recordings repeat the same strings constantly (every snapshot carries the same
        navigation, every config event the same settings). Use one memoized copy per session
        and drop it afterwards: the memo holds raw strings in memory, so it must not outlive
        the session it was made for.
        """
        clone = object.__new__(Scrubber)
        clone._detectors = self._detectors
        clone._phone_regions = self._phone_regions
        clone.enabled = self.enabled
        clone.max_text_length = self.max_text_length
        clone._memo = {}
        return clone

    # --- public API -----------------------------------------------------------------------

    def might_contain(self, text: str) -> bool:
        """Cheap prefilter: False means no detector can match `text`."""
        return _TRIGGER.search(text) is not None

    def find(self, text: str) -> list[Finding]:
        """Every non-overlapping finding in `text`, in text order."""
        if not text or not self._detectors or _TRIGGER.search(text) is None:
            return []
        found: list[Finding] = []
        for detector in self._detectors:
            found.extend(detector(text))
        if len(found) < 2:
            return found
        # leftmost, then longest, then the rule order of DETECTOR_NAMES
        found.sort(key=lambda f: (f.start, f.start - f.end, _RULE_ORDER[f.rule]))
        kept: list[Finding] = []
        end = -1
        for finding in found:
            if finding.start >= end:
                kept.append(finding)
                end = finding.end
        return kept

    def scrub(self, text: str, counts: Counter[str] | None = None) -> str:
        """`text` with every finding replaced by its placeholder; counts per rule in `counts`."""
        if not text:
            return text
        memo = self._memo
        if memo is not None and len(text) <= _MEMO_MAX_LENGTH:
            hit = memo.get(text)
            if hit is None:
                if len(memo) >= _MEMO_MAX_ENTRIES:
                    memo.clear()
                findings = self.find(text)
                hit = memo[text] = (_replace(text, findings), tuple(f.rule for f in findings))
            if hit[1] and counts is not None:
                counts.update(hit[1])
            return hit[0]
        if self.max_text_length and len(text) > self.max_text_length:
            text = _truncate(text, self.max_text_length)
            if counts is not None:
                counts["truncated"] += 1
        if _TRIGGER.search(text) is None:
            return text
        findings = self.find(text)
        if findings and counts is not None:
            counts.update(f.rule for f in findings)
        return _replace(text, findings)

    # --- detectors --------------------------------------------------------------------------

    @staticmethod
    def _emails(text: str) -> Iterator[Finding]:
        if "@" not in text and "%40" not in text and "\\u0040" not in text:
            return
        for match in _EMAIL.finditer(text):
            if match.group(2).lower() not in _FILE_TLDS:
                yield Finding("email", match.start(), match.end())

    @staticmethod
    def _cards(text: str) -> Iterator[Finding]:
        if _CARD_GATE.search(text) is None:
            return
        for match in _CARD.finditer(text):
            candidate = match.group()
            offset = match.start()
            if " " not in candidate and "-" not in candidate:
                if _card_number_ok(candidate):
                    yield Finding("card", offset, match.end())
                continue
            groups = [(m.start(), m.end()) for m in _DIGIT_RUN.finditer(candidate)]
            if sum(end - start for start, end in groups) < 14:
                continue
            i = 0
            while i < len(groups):
                first = groups[i][1] - groups[i][0]
                if first != 4 and not 15 <= first <= 19:
                    i += 1  # every card grouping starts with 4 digits
                    continue
                for j in range(min(len(groups), i + 5), i, -1):
                    window = groups[i:j]
                    lengths = tuple(end - start for start, end in window)
                    if lengths not in _CARD_GROUPINGS and not (
                        len(window) == 1 and 15 <= lengths[0] <= 19
                    ):
                        continue
                    separators = {candidate[window[k][1]] for k in range(len(window) - 1)}
                    digits = "".join(candidate[start:end] for start, end in window)
                    if len(separators) <= 1 and _card_number_ok(digits, len(window) > 1):
                        yield Finding("card", offset + window[0][0], offset + window[-1][1])
                        i = j - 1
                        break
                i += 1

    @staticmethod
    def _ibans(text: str) -> Iterator[Finding]:
        if _IBAN_GATE.search(text) is None:
            return
        for match in _IBAN.finditer(text):
            candidate = match.group()
            # the optional last group may have taken a neighbouring word: retry without it
            for _ in range(3):
                if iban_valid(candidate):
                    yield Finding("iban", match.start(), match.start() + len(candidate))
                    break
                head, _, tail = candidate.rpartition(" ")
                if not head:
                    break
                candidate = head

    @staticmethod
    def _ssns(text: str) -> Iterator[Finding]:
        if "-" not in text:
            return
        for match in _SSN.finditer(text):
            if ssn_valid(match.group(1), match.group(2), match.group(3)):
                yield Finding("ssn", match.start(), match.end())

    def _phones(self, text: str) -> Iterator[Finding]:
        if _PHONE_GATE.search(text) is None:
            return
        if "+" in text:
            for match in _PHONE_INTL.finditer(text):
                span = self._valid_phone_span(match.group(), None)
                if span is not None:
                    yield Finding("phone", match.start(), match.start() + span)
        if not self._phone_regions:
            return
        for match in _PHONE_NATIONAL.finditer(text):
            candidate = match.group()
            # one separator style throughout ("206-555-0188", "0161 496 0732"): mixed ones are
            # dates, versions or measurements ("1975 20.100.10")
            tail = candidate.rpartition(")")[2].lstrip(" .-")
            if len(set(_PHONE_SEPARATORS.findall(tail))) > 1:
                continue
            for region in self._phone_regions:
                if self._is_national_phone(candidate, region):
                    yield Finding("phone", match.start(), match.end())
                    break

    @staticmethod
    def _is_valid_phone(candidate: str, region: str | None) -> bool:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_valid_number(number)

    @staticmethod
    def _is_national_phone(candidate: str, region: str) -> bool:
        """Valid for `region` *and* grouped the way the region writes its numbers.

        The grouping check (libphonenumber's national format) is what separates
        "(206) 555-0188" from "36 9421 9421", which is a valid US number by digits alone.
        """
        if not _plausible_national_length(candidate, region):
            return False  # parsing is the expensive part: skip impossible lengths first
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            return False
        if not phonenumbers.is_valid_number(number):
            return False
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return _groups(formatted) == _groups(candidate)

    def _valid_phone_span(self, candidate: str, region: str | None) -> int | None:
        """Length of the longest valid phone number at the start of `candidate`, if any."""
        for _ in range(4):
            digits = sum(c.isdigit() for c in candidate)
            if digits < 7:
                return None
            if digits <= 17 and self._is_valid_phone(candidate, region):
                return len(candidate)
            # drop the last group: "+1 206 555 0188 2027" is a number followed by a year
            cut = candidate.rstrip("0123456789()").rstrip(" .-/")
            if len(cut) < 3 or cut == candidate:
                return None
            candidate = cut
        return None

    @staticmethod
    def _jwts(text: str) -> Iterator[Finding]:
        if "eyJ" not in text:
            return
        for match in _JWT.finditer(text):
            if _b64_json_prefix(match.group().split(".", 1)[0]):
                yield Finding("jwt", match.start(), match.end())

    @staticmethod
    def _tokens(text: str) -> Iterator[Finding]:
        for match in _API_KEY.finditer(text):
            yield Finding("token", match.start(), match.end())
        if "earer" in text or "EARER" in text:
            for match in _BEARER.finditer(text):
                yield Finding("token", match.start(1), match.end(1))
        if "Basic" in text:
            for match in _BASIC.finditer(text):
                token = match.group(1)
                try:
                    decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
                except (binascii.Error, ValueError):
                    continue
                if b":" in decoded:
                    yield Finding("token", match.start(1), match.end(1))

    @staticmethod
    def _ips(text: str) -> Iterator[Finding]:
        if "." in text and _IPV4_GATE.search(text) is not None:
            for match in _IPV4.finditer(text):
                start = match.start()
                # `Chrome/120.0.0.0` is a product version; `//10.0.0.1` (a URL host) is an address
                if start and text[start - 1] == "/" and text[start - 2 : start] != "//":
                    continue
                try:
                    ipaddress.IPv4Address(match.group())
                except ValueError:
                    continue
                yield Finding("ip", start, match.end())
        if text.count(":") >= 2:
            for match in _IPV6.finditer(text):
                candidate = match.group()
                if candidate.count(":") < 2 or candidate.strip(":.") == "":
                    continue
                try:
                    ipaddress.IPv6Address(candidate)
                except ValueError:
                    continue
                yield Finding("ip", match.start(), match.end())

    @staticmethod
    def _secrets(text: str) -> Iterator[Finding]:
        if "=" not in text and ":" not in text:
            return
        lowered = text.lower()
        if not any(word in lowered for word in _SECRET_GATE_WORDS):
            return
        for match in _SECRET_PAIR.finditer(text):
            for group in (3, 4, 5, 6):
                value = match.group(group)
                if value is None:
                    continue
                stripped = value.strip()
                if (
                    stripped
                    and stripped.lower() not in _NOT_SECRET_VALUES
                    and stripped not in PLACEHOLDERS
                    and _MASKED_VALUE.fullmatch(stripped) is None
                    # a short bare number is a count (`"token": 2`), unless the key says it is
                    # a password or a one-time code
                    and not (
                        group == 6
                        and stripped.isdigit()
                        and len(stripped) < 6
                        and _CODE_KEY.search(match.group(2)) is None
                    )
                ):
                    yield Finding("secret", match.start(group), match.end(group))
                break

    @staticmethod
    def _url_queries(text: str) -> Iterator[Finding]:
        if "://" not in text or ("?" not in text and "#" not in text):
            return
        for match in _URL_IN_TEXT.finditer(text):
            url = match.group()
            position_suffix = _STACK_POSITION.search(url)
            if position_suffix is not None:
                url = url[: position_suffix.start(1)]
            query_start = url.find("?")
            fragment_start = url.find("#")
            spans: list[tuple[int, int]] = []
            if query_start != -1:
                query_end = fragment_start if fragment_start > query_start else len(url)
                spans.append((query_start + 1, query_end))
            if fragment_start != -1 and "=" in url[fragment_start:]:
                spans.append((fragment_start + 1, len(url)))
            for span_start, span_end in spans:
                position = span_start
                for part in url[span_start:span_end].split("&"):
                    key, eq, value = part.partition("=")
                    value_start = position + len(key) + len(eq)
                    if eq and value and value not in PLACEHOLDERS:
                        yield Finding(
                            "url_query",
                            match.start() + value_start,
                            match.start() + value_start + len(value),
                        )
                    position += len(part) + 1


# ties (same start and length) go to the most specific rule: a secret pair's value that is also
# a JWT is reported as `secret`
_RULE_ORDER = {
    name: index
    for index, name in enumerate(dict.fromkeys(("secret", "jwt", "token", *DETECTOR_NAMES)))
}


def _truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` chars, backing off to whitespace so no partial token survives."""
    cut = text[:limit]
    if not text[limit].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
        cut = cut[:space] if space > 0 else ""
    return cut + "…[truncated]"


_MEMO_MAX_LENGTH = 256
_MEMO_MAX_ENTRIES = 65_536


def _replace(text: str, findings: list[Finding]) -> str:
    if not findings:
        return text
    parts: list[str] = []
    position = 0
    for rule, start, end in findings:
        parts.append(text[position:start])
        parts.append(REPLACEMENTS[rule])
        position = end
    parts.append(text[position:])
    return "".join(parts)


_DEFAULT = Scrubber()


def default_scrubber() -> Scrubber:
    """The scrubber with every detector and the default phone regions (no length limit)."""
    return _DEFAULT


def find_pii(text: str) -> list[Finding]:
    """Non-overlapping findings of every default detector in `text` (for audits)."""
    return _DEFAULT.find(text)


def scrub_text(text: str, counts: Counter[str] | None = None) -> str:
    """`text` with every default detector's findings replaced (`[email]`, `[card]`, …).

    Args:
        text: Any free text (console message, payload string, attribute value).
        counts: If given, incremented per rule for every replacement (never the values).
    """
    return _DEFAULT.scrub(text, counts)
