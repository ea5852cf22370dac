"""URL scrubbing: keep where the user was, drop what the URL carried.

`scrub_url` keeps scheme, host (and port) and path, and removes what URLs leak most often:

- **query**: every key is kept, every non-empty value becomes `[redacted]`
  (`/account?welcome=[redacted]&patient=[redacted]`), except keys in the policy's
  `url_query_allowlist`, whose values are only detector-scrubbed. Empty values stay empty
  (`?q=`), since they reveal nothing. Brackets are written literally, not percent-encoded, so
  the result stays readable; browsers and the replay player accept them.
- **fragment**: a `key=value` fragment (OAuth implicit flow `#access_token=…`) is treated like a
  query; a plain anchor (`#sec-3`) is only detector-scrubbed.
- **user info**: `https://user:pass@host` loses `user:pass@`.
- **path**: every segment is percent-decoded and run through the detectors, so an email, phone,
  card or token in a path (`/users/a%40b.org`, `mailto:a@b.org`, `tel:+1…`) becomes `[email]`,
  `[phone]`, …; clean segments are kept byte for byte (still encoded).
- **data: URLs** keep only their media type (`data:image/png;base64,`): the payload can be an
  image of anything.

The same function scrubs `href`/`src`/`action`/… attributes, `srcset` entries, Meta and
`$pageview` hrefs, network request URLs, and `url(…)` references with a query in CSS.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from fnmatch import translate
from urllib.parse import unquote

from replayport.privacy.detectors import Scrubber, default_scrubber

__all__ = ["REDACTED", "RouteMatcher", "UrlScrubber", "looks_like_url", "scrub_url", "url_path"]

REDACTED = "[redacted]"
"""What a query or fragment value is replaced with."""

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_URLISH = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//\S|(?:https?|wss?|mailto|tel|sms|data|blob|javascript|ftp):",
    re.I,
)
_SPACE = re.compile(r"\s")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")?#]*[?#][^'\")]*)\1\s*\)", re.I)
_CSS_IMPORT = re.compile(r"@import\s+(['\"])([^'\"?#]*[?#][^'\"]*)\1", re.I)


def looks_like_url(value: str) -> bool:
    """Whether a payload string should be scrubbed as a URL rather than as free text.

    True for absolute URLs (`https://…`, `//host/…`, `mailto:`, `tel:`, `data:`…) and for
    relative ones with a query (`/account?patient=…`); never for text containing whitespace.
    """
    if not value or len(value) > 65536:
        return False
    if value[0] == "/":
        if "?" not in value and not value.startswith("//"):
            return False
    elif _URLISH.match(value) is None:
        return False
    return _SPACE.search(value) is None


def url_path(url: str) -> str:
    """The path of a URL (`/admin/patients` for `https://h/admin/patients?x=1#y`)."""
    base = url.partition("#")[0].partition("?")[0]
    scheme = _SCHEME.match(base)
    rest = base[scheme.end() :] if scheme else base
    if rest.startswith("//"):
        slash = rest.find("/", 2)
        return rest[slash:] if slash != -1 else "/"
    return rest or "/"


class UrlScrubber:
    """Scrubs URLs with one detector set and one query allow-list.

    Args:
        scrubber: The detectors run on path segments, anchors, allowed query values.
        query_allowlist: Query keys (case-insensitive) whose values are kept, detector-scrubbed.
    """

    __slots__ = ("_allow", "_memo", "_scrubber")

    def __init__(
        self,
        scrubber: Scrubber | None = None,
        query_allowlist: Iterable[str] = (),
        *,
        memoize: bool = False,
    ) -> None:
        self._scrubber = scrubber or default_scrubber()
        self._allow = frozenset(key.lower() for key in query_allowlist)
        # per-session memo (see Scrubber.memoized): pages repeat their links in every snapshot
        self._memo: dict[str, tuple[str, Counter[str]]] | None = {} if memoize else None

    def scrub(self, url: str, counts: Counter[str] | None = None) -> str:
        """The scrubbed URL; `counts["urls"]` is incremented when anything changed."""
        if not url or not isinstance(url, str):
            return url
        memo = self._memo
        if memo is None or len(url) > 2048:
            result = self._scrub(url, counts)
            if result != url and counts is not None:
                counts["urls"] += 1
            return result
        hit = memo.get(url)
        if hit is None:
            if len(memo) >= 65_536:
                memo.clear()
            delta: Counter[str] = Counter()
            result = self._scrub(url, delta)
            if result != url:
                delta["urls"] += 1
            hit = memo[url] = (result, delta)
        if hit[1] and counts is not None:
            counts.update(hit[1])
        return hit[0]

    def scrub_srcset(self, srcset: str, counts: Counter[str] | None = None) -> str:
        """A `srcset` with each candidate URL scrubbed and its descriptor (`2x`, `640w`) kept."""
        items = []
        for item in srcset.split(","):
            url = item.strip().partition(" ")[0]
            items.append(item.replace(url, self.scrub(url, counts), 1) if url else item)
        return ",".join(items)

    def scrub_css(self, css: str, counts: Counter[str] | None = None) -> str:
        """CSS text with `url(…)` / `@import` references that carry a query or fragment scrubbed.

        Everything else is left alone: CSS is the page's styling, and running free-text detectors
        over it would only produce false positives (colours, sizes, unicode ranges).
        """
        if "?" not in css and "#" not in css:
            return css
        if "url(" in css or "URL(" in css:
            css = _CSS_URL.sub(lambda m: self._css_ref(m, counts, "url"), css)
        if "@import" in css:
            css = _CSS_IMPORT.sub(lambda m: self._css_ref(m, counts, "import"), css)
        return css

    def _css_ref(self, match: re.Match[str], counts: Counter[str] | None, kind: str) -> str:
        quote, url = match.group(1), match.group(2)
        scrubbed = self.scrub(url, counts)
        if scrubbed == url:
            return match.group(0)
        if kind == "url":
            return f"url({quote}{scrubbed}{quote})"
        return f"@import {quote}{scrubbed}{quote}"

    def _scrub(self, url: str, counts: Counter[str] | None) -> str:
        base, hash_mark, fragment = url.partition("#")
        base, question, query = base.partition("?")
        scheme_match = _SCHEME.match(base)
        scheme = ""
        rest = base
        if scheme_match is not None and not base.startswith("//"):
            scheme = scheme_match.group()
            rest = base[scheme_match.end() :]
            if scheme.lower() == "data:":
                media_type = rest.partition(",")[0]
                return f"{scheme}{media_type},"
        authority = ""
        path = rest
        if rest.startswith("//"):
            slash = rest.find("/", 2)
            authority, path = (rest[:slash], rest[slash:]) if slash != -1 else (rest, "")
            if "@" in authority:
                authority = "//" + authority.rpartition("@")[2]
        path = self._scrub_path(path, counts)
        parts = [scheme, authority, path]
        if question:
            parts.append("?")
            parts.append(self._scrub_query(query, counts))
        if hash_mark:
            parts.append("#")
            if "=" in fragment:
                parts.append(self._scrub_query(fragment, counts))
            else:
                parts.append(self._scrub_segment(fragment, counts))
        return "".join(parts)

    def _scrub_path(self, path: str, counts: Counter[str] | None) -> str:
        if not path or not self._scrubber.might_contain(path):
            return path
        return "/".join(self._scrub_segment(segment, counts) for segment in path.split("/"))

    def _scrub_segment(self, segment: str, counts: Counter[str] | None) -> str:
        if not segment or not self._scrubber.might_contain(segment):
            return segment
        decoded = unquote(segment) if "%" in segment else segment
        scrubbed = self._scrubber.scrub(decoded, counts)
        return segment if scrubbed == decoded else scrubbed

    def _scrub_query(self, query: str, counts: Counter[str] | None) -> str:
        if not query:
            return query
        parts = []
        for part in query.split("&"):
            key, eq, value = part.partition("=")
            key = self._scrub_segment(key, counts)
            if eq and value:
                if key.lower() in self._allow:
                    value = self._scrub_segment(value, counts)
                elif value != REDACTED:
                    value = REDACTED
                    if counts is not None:
                        counts["query_values"] += 1
            parts.append(f"{key}{eq}{value}")
        return "&".join(parts)


_DEFAULT = UrlScrubber()


def scrub_url(url: str, counts: Counter[str] | None = None) -> str:
    """A URL reduced to scheme + host + path, query/fragment values redacted (module docstring).

    Args:
        url: Absolute or relative URL, or any `href`/`src` value.
        counts: If given, `urls` (URLs changed), `query_values` and detector rules are counted.
    """
    return _DEFAULT.scrub(url, counts)


class RouteMatcher:
    """Matches URL paths against glob patterns (`/admin*`, `/checkout/*/pay`).

    Patterns use `fnmatch` syntax (`*`, `?`, `[seq]`) and match the whole path, case-sensitive;
    `/admin*` therefore covers `/admin`, `/admin/patients` and `/administrator`. The path is
    tried both as written and percent-decoded, so `/adm%69n` cannot dodge a pattern.
    """

    __slots__ = ("_pattern", "patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._pattern = (
            re.compile("|".join(f"(?:{translate(p)})" for p in self.patterns))
            if self.patterns
            else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def matches_url(self, url: str) -> bool:
        """Whether the path of `url` matches any pattern."""
        if self._pattern is None or not isinstance(url, str):
            return False
        path = url_path(url)
        if self._pattern.match(path):
            return True
        return "%" in path and self._pattern.match(unquote(path)) is not None
