"""URL scrubbing: scheme + host + path kept, query values and secrets in paths removed."""

from __future__ import annotations

from collections import Counter

import pytest

from replayport.privacy.detectors import Scrubber
from replayport.privacy.urls import RouteMatcher, UrlScrubber, looks_like_url, scrub_url, url_path


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://clinic.devcanary.test:8201/", "http://clinic.devcanary.test:8201/"),
        ("https://h.test/guide#sec-3", "https://h.test/guide#sec-3"),
        (
            "http://clinic.devcanary.test:8201/account"
            "?welcome=1&patient=marisol.quillfeather%40example.org",
            "http://clinic.devcanary.test:8201/account?welcome=[redacted]&patient=[redacted]",
        ),
        ("https://h.test/api/patients?q=", "https://h.test/api/patients?q="),
        ("https://h.test/api/patients?q=priya", "https://h.test/api/patients?q=[redacted]"),
        (
            "https://h.test/cb#access_token=abc&state=x",
            "https://h.test/cb#access_token=[redacted]&state=[redacted]",
        ),
        ("https://user:pa55@h.test/x", "https://h.test/x"),
        ("https://h.test/users/a.b%40example.org/profile", "https://h.test/users/[email]/profile"),
        ("https://h.test/users/a@b.org", "https://h.test/users/[email]"),
        ("mailto:priya.lanternfish@example.net", "mailto:[email]"),
        ("mailto:a@b.org?subject=Hello", "mailto:[email]?subject=[redacted]"),
        ("tel:+12065550188", "tel:[phone]"),
        ("/account?patient=x", "/account?patient=[redacted]"),
        ("?q=1", "?q=[redacted]"),
        ("//cdn.test/a.js?v=3", "//cdn.test/a.js?v=[redacted]"),
        ("data:image/png;base64,iVBORw0KGgo=", "data:image/png;base64,"),
        (
            "https://h.test/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig",
            "https://h.test/reset/[jwt]",
        ),
        ("https://h.test/static/1.449.2/x.js", "https://h.test/static/1.449.2/x.js"),
        ("https://h.test/a?marisol@x.org", "https://h.test/a?[email]"),
        ("javascript:void(0)", "javascript:void(0)"),
        ("", ""),
    ],
)
def test_scrub_url(url: str, expected: str) -> None:
    assert scrub_url(url) == expected


def test_counts_changed_urls_and_values() -> None:
    counts: Counter[str] = Counter()
    scrub_url("https://h.test/p?a=1&b=2", counts)
    scrub_url("https://h.test/p", counts)
    assert counts == Counter({"urls": 1, "query_values": 2})


def test_query_allowlist_keeps_values_but_still_scrubs_them() -> None:
    urls = UrlScrubber(Scrubber(), query_allowlist=("page", "Tab"))
    assert urls.scrub("/list?page=2&tab=open&email=a@b.org") == (
        "/list?page=2&tab=open&email=[redacted]"
    )
    assert urls.scrub("/list?page=a@b.org") == "/list?page=[email]"


def test_srcset_and_css() -> None:
    urls = UrlScrubber()
    assert urls.scrub_srcset("a.jpg?u=1 1x, b.jpg 2x") == "a.jpg?u=[redacted] 1x, b.jpg 2x"
    css = 'body{background:url("https://h.test/bg.png?token=abc")} a{color:red} i{x:url(#grad)}'
    assert urls.scrub_css(css) == (
        'body{background:url("https://h.test/bg.png?token=[redacted]")} '
        "a{color:red} i{x:url(#grad)}"
    )
    assert urls.scrub_css("@import 'x.css?user=7';") == "@import 'x.css?user=[redacted]';"
    plain = "a::before{content:'a@b.org'} .x{width:10px}"
    assert urls.scrub_css(plain) == plain  # CSS is never run through the text detectors


def test_memoized_scrubber_counts_every_use() -> None:
    urls = UrlScrubber(memoize=True)
    counts: Counter[str] = Counter()
    for _ in range(3):
        assert urls.scrub("/a?b=c", counts) == "/a?b=[redacted]"
    assert counts == Counter({"urls": 3, "query_values": 3})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://h.test/x", True),
        ("http://clinic.devcanary.test:8202", True),
        ("//cdn.test/x", True),
        ("mailto:a@b.org", True),
        ("/account?x=1", True),
        ("/account", False),
        ("localStorage+cookie", False),
        ("see https://h.test/x", False),
        ("", False),
    ],
)
def test_looks_like_url(value: str, expected: bool) -> None:
    assert looks_like_url(value) is expected


def test_routes() -> None:
    routes = RouteMatcher(("/admin*", "/checkout/*/pay"))
    assert routes.matches_url("http://h.test/admin/patients?x=1")
    assert routes.matches_url("/admin")
    assert routes.matches_url("https://h.test/adm%69n/x")
    assert routes.matches_url("https://h.test/checkout/42/pay")
    assert not routes.matches_url("https://h.test/checkout/42/done")
    assert not routes.matches_url("https://h.test/help?next=/admin")
    assert not RouteMatcher(())
    assert url_path("https://h.test") == "/"
    assert url_path("https://h.test/a/b?c#d") == "/a/b"
