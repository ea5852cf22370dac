"""Detectors: what they must catch (validated values, generated) and what they must leave alone."""

from __future__ import annotations

import string
import time
from collections import Counter

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replayport.privacy.detectors import (
    DETECTOR_NAMES,
    Scrubber,
    find_pii,
    iban_valid,
    luhn_valid,
    scrub_text,
    ssn_valid,
)

# --- examples --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail marisol.quillfeather@example.org now", "mail [email] now"),
        ("?patient=marisol.quillfeather%40example.org", "?patient=[email]"),
        ('{"e":"a.b\\u0040example.org"}', '{"e":"[email]"}'),
        ("card 5555 5555 5555 4444.", "card [card]."),
        ("card 5555-5555-5555-4444", "card [card]"),
        ("deposit_card=5555555555554444", "deposit_card=[card]"),
        ("amex 3782 822463 10005", "amex [card]"),
        ("IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN [iban] ok"),
        ("GB82WEST12345698765432", "[iban]"),
        ("ssn 123-45-6789", "ssn [ssn]"),
        ("call +1 206 555 0188 today", "call [phone] today"),
        ("+44 161 496 0732", "[phone]"),
        ("+61 2 5550 1934", "[phone]"),
        ("+12065550188", "[phone]"),
        ("(206) 555-0188", "[phone]"),
        ("at 206-555-0188.", "at [phone]."),
        ("pk_test_DEVCANARY9f31c7a2e84b4d10b5 here", "[token] here"),
        ("sk_live_51HqL2bCkRk8aP0xYzAbCdEf", "[token]"),
        ("ghp_" + "a" * 36, "[token]"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "[token]"),
        ("AKIAIOSFODNN7EXAMPLE", "[token]"),
        ("xoxb-123456789012-abcdefABCDEF", "[token]"),
        ("phx_" + "A1b2" * 6, "[token]"),
        ("Authorization: Bearer abc.def-ghi_jkl", "Authorization: [secret]"),
        ("header Bearer abcdefghijklmnop", "header Bearer [token]"),
        ("Basic dXNlcjpwYXNzd29yZA==", "Basic [token]"),
        ("client 10.1.2.3 and 2001:db8::ff00:42:8329", "client [ip] and [ip]"),
        ("from ::ffff:192.168.1.1", "from [ip]"),
        ("password=hunter2&remember=1", "password=[secret]&remember=1"),
        ('{"api_key": "abc123", "x": 1}', '{"api_key": "[secret]", "x": 1}'),
        ('{\\"password\\":\\"s3cr3t pass\\"}', '{\\"password\\":\\"[secret]\\"}'),
        ("client_secret: zzzz9999", "client_secret: [secret]"),
        ("x-api-key=abcd", "x-api-key=[secret]"),
        (
            "see https://h.test/p?a=1&b=&c=x#t=5",
            "see https://h.test/p?a=[redacted]&b=&c=[redacted]#t=[redacted]",
        ),
    ],
)
def test_detects(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


def test_jwt_and_its_bare_payload_segment() -> None:
    jwt = (
        "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImRldmNhbmFyeS0xIn0."
        "eyJzdWIiOiJwYXRfZGV2Y2FuYXJ5XzA0MiIsImVtYWlsIjoibWFyaXNvbC5xdWlsbGZlYXRo"
        "ZXJAZXhhbXBsZS5vcmciLCJyb2xlIjoicGF0aWVudCIsImlhdCI6MTc2NzIyNTYwMH0."
        "ZGV2Y2FuYXJ5LXNpZ25hdHVyZS1ub3QtcmVhbC0wNDI"
    )
    assert scrub_text(f"token {jwt} end") == "token [jwt] end"
    payload = jwt.split(".")[1]
    assert scrub_text(f"claims {payload}") == "claims [jwt]"
    assert [f.rule for f in find_pii(jwt)] == ["jwt"]


def test_counts_rules_not_values() -> None:
    counts: Counter[str] = Counter()
    scrub_text("a@b.org, c@d.org and 5555 5555 5555 4444", counts)
    assert counts == Counter({"email": 2, "card": 1})


def test_findings_are_spans_without_values() -> None:
    text = "write to a@b.org"
    (finding,) = find_pii(text)
    assert finding.rule == "email" and text[finding.start : finding.end] == "a@b.org"
    assert len(finding) == 3


@pytest.mark.parametrize(
    "text",
    [
        "Book an appointment",
        "Thu 14 Jan 2027, 09:40",
        "2026-11-22",
        "2026-11-22T10:01:52.151000Z",
        "14/01/2027 09:40:00",
        "$418.75",
        "Outstanding balance: $1,418.75 (EUR 1.418,75)",
        "Booked APT-DEV-30517. Redirecting…",
        "order #ORD-2026-000123",
        "INS-DEV-482-9917-MQ",
        "version 1.449.2, @posthog/rrweb 0.1.9",
        "Chrome/156.0.8078.79 Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0",
        "01a202b4-7a10-736b-bda1-64400f6be0e3",
        "rrweb node 1234 parent 56",
        "rgb(35, 48, 41); margin: 10px 0px 3px; font-size: 14px",
        "a::before { content: '' } 10:03:47",
        "1795341712151 12170.69999999972 2859.3000000002794",
        "logo@2x.png and icon@3x.webp",
        'maskInputOptions {"password": true}',
        "session_idle_timeout_seconds=1800",
        "basic understanding of the booking form",
        "see https://clinic.devcanary.test:8201/help:45:11",
        "Room 4, floor 2, 3 patients waiting, 28 sections",
        "tel. reception on weekdays",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert scrub_text(text) == text
    assert find_pii(text) == []


def test_validators() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_valid("DE89 3704 0044 0532 0130 01")
    assert not iban_valid("XX89370400440532013000")
    assert ssn_valid("123", "45", "6789")
    for area, group, serial in (
        ("000", "12", "3456"),
        ("666", "12", "3456"),
        ("912", "12", "3456"),
        ("123", "00", "4567"),
        ("123", "45", "0000"),
    ):
        assert not ssn_valid(area, group, serial)
    assert scrub_text("ssn 000-12-3456 666-12-3456 912-12-3456") == (
        "ssn 000-12-3456 666-12-3456 912-12-3456"
    )


def test_detector_selection_and_regions() -> None:
    only_email = Scrubber(detectors=("email",))
    assert only_email.scrub("a@b.org 5555 5555 5555 4444") == "[email] 5555 5555 5555 4444"
    assert Scrubber(phone_regions=()).scrub("(206) 555-0188") == "(206) 555-0188"
    assert Scrubber(phone_regions=("GB",)).scrub("call 0161 496 0732") == "call [phone]"
    assert Scrubber(phone_regions=("US",)).scrub("call 0161 496 0732") == "call 0161 496 0732"
    with pytest.raises(ValueError, match="unknown detectors"):
        Scrubber(detectors=("email", "nope"))
    assert set(DETECTOR_NAMES) == {
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
    }


def test_long_text_is_truncated_at_a_word_boundary() -> None:
    scrubber = Scrubber(max_text_length=300)
    counts: Counter[str] = Counter()
    text = "word " * 100 + "5555555555554444" + "x" * 500
    result = scrubber.scrub(text, counts)
    assert result.endswith("…[truncated]") and len(result) <= 300 + len("…[truncated]")
    assert "5555" not in result and counts["truncated"] == 1


def test_memoized_copy_counts_every_occurrence() -> None:
    memo = Scrubber().memoized()
    counts: Counter[str] = Counter()
    for _ in range(3):
        assert memo.scrub("mail a@b.org", counts) == "mail [email]"
    assert counts["email"] == 3


# --- generated values are always caught -------------------------------------------------------


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable")


@st.composite
def cards(draw: st.DrawFn) -> str:
    prefix, length = draw(
        st.sampled_from(
            [
                ("4", 16),
                ("4", 19),
                ("51", 16),
                ("55", 16),
                ("2221", 16),
                ("2720", 16),
                ("34", 15),
                ("37", 15),
                ("6011", 16),
                ("65", 16),
                ("3528", 16),
                ("36", 14),
            ]
        )
    )
    body = prefix + "".join(
        draw(
            st.lists(
                st.sampled_from(string.digits),
                min_size=length - len(prefix) - 1,
                max_size=length - len(prefix) - 1,
            )
        )
    )
    number = _luhn_complete(body)
    if len(set(number)) == 1:
        number = _luhn_complete(number[:-2] + "1")
    style = draw(st.sampled_from(["plain", "space", "dash"]))
    if length == 14 and style == "plain":
        style = "space"  # bare 14-digit runs are ids far more often than Diners cards
    if style == "plain" or length not in (14, 15, 16):
        return number
    groups = {14: [4, 6, 4], 15: [4, 6, 5], 16: [4, 4, 4, 4]}[length]
    parts, position = [], 0
    for size in groups:
        parts.append(number[position : position + size])
        position += size
    return (" " if style == "space" else "-").join(parts)


def _iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


_IBAN_SHAPES = {
    "DE": [("d", 18)],
    "GB": [("a", 4), ("d", 14)],
    "FR": [("d", 23)],
    "NL": [("a", 4), ("d", 10)],
    "ES": [("d", 20)],
    "IT": [("a", 1), ("d", 22)],
    "CH": [("d", 17)],
    "BE": [("d", 12)],
}


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(_IBAN_SHAPES)))
    bban = ""
    for kind, count in _IBAN_SHAPES[country]:
        alphabet = string.ascii_uppercase if kind == "a" else string.digits
        bban += "".join(draw(st.lists(st.sampled_from(alphabet), min_size=count, max_size=count)))
    iban = _iban(country, bban)
    if draw(st.booleans()):
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


ssns = st.builds(
    lambda area, group, serial: f"{area:03d}-{group:02d}-{serial:04d}",
    st.integers(1, 899).filter(lambda a: a != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
)

_LOCAL = st.text(alphabet=string.ascii_lowercase + string.digits + "._+-", min_size=1, max_size=20)
emails = st.builds(
    lambda local, label, tld: f"{local}@{label}.{tld}",
    _LOCAL.filter(lambda s: s[0].isalnum() and s[-1].isalnum()),
    st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12),
    st.sampled_from(["com", "org", "net", "io", "co.uk", "example", "museum", "de"]),
)

phones = (
    st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS))
    .map(lambda region: phonenumbers.example_number(region))
    .filter(lambda n: n is not None)
    .map(lambda n: phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
)

_WORDS = st.sampled_from(
    [
        "Hello",
        "please",
        "my",
        "number",
        "is",
        "and",
        "thanks",
        "ref:",
        "(",
        ")",
        "-",
        "\n",
        "cc",
        "to",
    ]
)


def _embedded(value: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, str, str]]:
    return st.tuples(
        st.lists(_WORDS, max_size=4).map(" ".join),
        value,
        st.lists(_WORDS, max_size=4).map(" ".join),
    )


@settings(max_examples=300, deadline=None)
@given(_embedded(cards()))
def test_generated_cards_are_caught(parts: tuple[str, str, str]) -> None:
    before, card, after = parts
    result = scrub_text(f"{before} {card} {after}")
    assert "[card]" in result and card not in result


@settings(max_examples=300, deadline=None)
@given(_embedded(ibans()))
def test_generated_ibans_are_caught(parts: tuple[str, str, str]) -> None:
    before, iban, after = parts
    assert iban_valid(iban)
    result = scrub_text(f"{before} {iban} {after}")
    assert "[iban]" in result and iban not in result


@settings(max_examples=300, deadline=None)
@given(_embedded(ssns))
def test_generated_ssns_are_caught(parts: tuple[str, str, str]) -> None:
    before, ssn, after = parts
    result = scrub_text(f"{before} {ssn} {after}")
    assert "[ssn]" in result and ssn not in result


@settings(max_examples=300, deadline=None)
@given(_embedded(emails), st.sampled_from(["@", "%40", "\\u0040"]))
def test_generated_emails_are_caught(parts: tuple[str, str, str], at: str) -> None:
    before, email, after = parts
    email = email.replace("@", at)
    result = scrub_text(f"{before} {email} {after}")
    assert "[email]" in result and email not in result


@settings(max_examples=300, deadline=None)
@given(_embedded(phones))
def test_generated_international_phones_are_caught(parts: tuple[str, str, str]) -> None:
    before, phone, after = parts
    result = scrub_text(f"{before} {phone} {after}")
    assert "[phone]" in result and phone not in result


# --- generated ordinary text is never changed -------------------------------------------------

_dates = (
    st.dates()
    .map(
        lambda d: st.sampled_from(
            [
                d.isoformat(),
                d.strftime("%d %b %Y"),
                d.strftime("%a %d %b %Y, 09:40"),
                d.strftime("%d/%m/%Y"),
                d.strftime("%B %d, %Y"),
            ]
        )
    )
    .flatmap(lambda s: s)
)
_times = (
    st.times()
    .map(lambda t: st.sampled_from([t.strftime("%H:%M"), t.strftime("%H:%M:%S"), t.isoformat()]))
    .flatmap(lambda s: s)
)
_prices = (
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
    .map(lambda d: st.sampled_from([f"${d}", f"{d} EUR", f"£{d:,}", f"total: {d}"]))
    .flatmap(lambda s: s)
)
_orders = st.builds(
    lambda prefix, n: f"{prefix}-{n}",
    st.sampled_from(["APT-DEV", "ORD", "INV", "#A", "TKT-2026"]),
    st.integers(0, 10**7),
)
_versions = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}{pre}",
    st.integers(0, 400),
    st.integers(0, 999),
    st.integers(0, 99),
    st.sampled_from(["", "-beta.1", "-rc.2", "+build.5"]),
)
_ids = st.one_of(
    st.uuids().map(str),
    st.integers(0, 10**6).map(lambda n: f"#{n}"),
    st.integers(0, 10**13).map(lambda n: f"ts={n}"),
)
_css = st.builds(
    lambda r, g, b, px: f"color: rgb({r}, {g}, {b}); margin: {px}px {px // 2}px",
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 2000),
)
_ordinary = st.lists(
    st.one_of(_dates, _times, _prices, _orders, _versions, _ids, _css, _WORDS),
    min_size=1,
    max_size=6,
).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(_ordinary)
def test_generated_ordinary_text_is_never_changed(text: str) -> None:
    assert scrub_text(text) == text, find_pii(text)


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 30000 + "1x",
        "+1234567890123456789012345678901234x " * 1500,
        ("a" * 60 + "@") * 1000,
        "a@" + "b." * 30000,
        "1." * 30000,
        "ab:" * 20000,
        "password" * 8000 + "=",
        '"password": "' + "a" * 60000,
        "eyJ" + "a" * 60000,
        "https://" + "a?" * 30000,
        "DE89 " + "ABCD " * 12000,
        "12 " * 20000 + "x",
        "1234 " * 12000,
    ],
    ids=lambda text: f"{text[:12]!r}x{len(text)}",
)
def test_adversarial_input_stays_linear(text: str) -> None:
    started = time.perf_counter()
    Scrubber().scrub(text)
    assert time.perf_counter() - started < 3.0
