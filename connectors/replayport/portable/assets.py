"""Assets a replay needs to look right (stylesheets, fonts, images): fetched and inlined.

At export time every URL the replayed page would load is either replaced by a `data:` URL
(fetched from an allowed host, within size caps and timeouts) or neutralised, so the portable
file never touches the network and its Content-Security-Policy never has to refuse a request.
What could not be inlined is reported (URL and reason), never silently dropped.

Only the HTML player's copy of the events is rewritten; the archive, the ZIP's
`events.jsonl.gz` and the PostHog file keep the masked events exactly as archived.
Blocked media (the privacy policy's size-keeping placeholders) carry no URL and stay as they are.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson

__all__ = ["AssetFetcher", "AssetPolicy", "AssetReport", "inline_assets"]

_FONT_EXT = (".woff2", ".woff", ".ttf", ".otf", ".eot")
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".bmp")
_CSS_URL = re.compile(
    r"""url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^)'"\s]*))\s*\)""", re.I
)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)["']?\s*\)?([^;]*);""", re.I)
_FONT_MISSING = 'local("replayport-missing")'
"""Stands in for an unavailable font: the `src` descriptor becomes invalid and the browser
falls back silently, where a bogus `data:` font would log decode errors."""
_IMAGE_MISSING = "none"
_MAX_CSS_DEPTH = 3
_MAX_REDIRECTS = 3
_SRC_TAGS = {"img": "image", "image": "image", "input": "image"}
"""Tags whose `src`/`href` is an image worth inlining; every other fetching URL is dropped."""
_FETCHING_ATTRS = frozenset({"src", "srcset", "poster", "background", "data", "xlink:href"})


@dataclass(frozen=True)
class AssetPolicy:
    """What may be fetched at export time (`[replayport.export]` in `.dlt/config.toml`)."""

    fetch_assets: bool = True
    asset_hosts: tuple[str, ...] = ()
    """Hosts assets may come from besides the recording's own pages (`cdn.example.com`,
    `*.example.com`, `host:port`, or `*` for any)."""
    page_hosts_allowed: bool = True
    """Whether the hosts the recording's pages were on are allowed without listing them."""
    max_asset_bytes: int = 5_000_000
    max_total_bytes: int = 25_000_000
    asset_timeout_s: float = 5.0


@dataclass
class AssetReport:
    """What happened to every asset URL of one export."""

    inlined: dict[str, int] = field(default_factory=dict)
    """URL → bytes embedded."""
    missing: dict[str, str] = field(default_factory=dict)
    """URL → why it could not be inlined (the replay shows a fallback there)."""
    dropped: int = 0
    """URLs removed because the player never needs them (scripts, frames, media, preloads)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "inlined": [{"url": u, "bytes": n} for u, n in sorted(self.inlined.items())],
            "missing": [{"url": u, "reason": r} for u, r in sorted(self.missing.items())],
            "dropped": self.dropped,
        }


@dataclass(frozen=True)
class _Fetched:
    mime: str
    body: bytes

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.body).decode('ascii')}"


def _host_allowed(netloc: str, allowed: set[str]) -> bool:
    if "*" in allowed:
        return True
    host = netloc.rsplit("@", 1)[-1].lower()
    bare = host.split(":", 1)[0] if not host.startswith("[") else host
    for entry in allowed:
        if entry in (host, bare):
            return True
        if entry.startswith("*.") and (bare.endswith(entry[1:]) or host.endswith(entry[1:])):
            return True
    return False


def _kind_of(url: str) -> str:
    path = urlsplit(url).path.lower()
    if path.endswith(_FONT_EXT):
        return "font"
    if path.endswith(_IMAGE_EXT):
        return "image"
    if path.endswith(".css"):
        return "css"
    return "any"


def _mime_ok(mime: str, kind: str) -> bool:
    if kind == "css":
        return mime in ("text/css", "text/plain", "")
    fonts = mime.startswith(("font/", "application/font", "application/x-font")) or mime in (
        "application/octet-stream",
        "application/vnd.ms-fontobject",
        "",
    )
    if kind == "font":
        return fonts
    if kind == "image":
        return mime.startswith("image/")
    return fonts or mime.startswith("image/")


class AssetFetcher:
    """Fetches allowed assets once each (cached), within the policy's caps.

    Args:
        policy: hosts, caps and timeout.
        page_hosts: hosts of the recording's pages (allowed when `page_hosts_allowed`).
        get: an HTTP GET returning a `requests.Response`-like object (tests inject their own).
    """

    def __init__(
        self,
        policy: AssetPolicy,
        page_hosts: set[str],
        get: Callable[..., Any] | None = None,
    ) -> None:
        self.policy = policy
        self.allowed = {h.lower() for h in policy.asset_hosts}
        if policy.page_hosts_allowed:
            self.allowed |= {h.lower() for h in page_hosts}
        self.report = AssetReport()
        self._cache: dict[str, _Fetched | None] = {}
        self._total = 0
        if get is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = "replayport-export (asset inliner)"
            get = session.get
        self._get = get

    def fetch(self, url: str, kind: str) -> _Fetched | None:
        """The asset at `url` if it may and can be fetched; otherwise None (reason recorded)."""
        if url in self._cache:
            return self._cache[url]
        result = self._fetch(url, kind)
        self._cache[url] = result
        return result

    def _miss(self, url: str, reason: str) -> None:
        self.report.missing[url] = reason

    def _fetch(self, url: str, kind: str) -> _Fetched | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            self._miss(url, f"not fetchable ({parts.scheme or 'relative'} URL)")
            return None
        if not self.policy.fetch_assets:
            self._miss(url, "asset fetching disabled")
            return None
        current = url
        for _ in range(_MAX_REDIRECTS + 1):
            if not _host_allowed(urlsplit(current).netloc, self.allowed):
                self._miss(url, f"host {urlsplit(current).netloc} not in the asset allow-list")
                return None
            try:
                response = self._get(
                    current,
                    timeout=self.policy.asset_timeout_s,
                    stream=True,
                    allow_redirects=False,
                )
            except Exception as exc:  # noqa: BLE001 - any network failure is "unreachable"
                self._miss(url, f"unreachable ({type(exc).__name__})")
                return None
            redirect = response.headers.get("location")
            if response.status_code in (301, 302, 303, 307, 308) and redirect:
                current = urljoin(current, redirect)
                response.close()
                continue
            break
        else:
            self._miss(url, "too many redirects")
            return None
        try:
            if response.status_code != 200:
                self._miss(url, f"HTTP {response.status_code}")
                return None
            mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not _mime_ok(mime, kind):
                self._miss(url, f"unexpected content type {mime or '(none)'} for a {kind}")
                return None
            cap = min(self.policy.max_asset_bytes, self.policy.max_total_bytes - self._total)
            body = bytearray()
            for chunk in response.iter_content(65536):
                body.extend(chunk)
                if len(body) > cap:
                    which = "per-asset" if cap == self.policy.max_asset_bytes else "total"
                    self._miss(url, f"larger than the {which} size cap")
                    return None
        except Exception as exc:  # noqa: BLE001 - a broken transfer is "unreachable" too
            self._miss(url, f"transfer failed ({type(exc).__name__})")
            return None
        finally:
            response.close()
        if not mime:
            extension = _ext(url)
            guesses = {
                "css": "text/css",
                "font": f"font/{extension}",
                "image": f"image/{extension}",
            }
            mime = guesses.get(kind, "application/octet-stream")
        self._total += len(body)
        self.report.inlined[url] = len(body)
        return _Fetched(mime, bytes(body))


def _ext(url: str) -> str:
    return urlsplit(url).path.rsplit(".", 1)[-1].lower() or "octet-stream"


class _Rewriter:
    """Rewrites one session's events in place: every fetching URL inlined or neutralised."""

    def __init__(self, fetcher: AssetFetcher) -> None:
        self.fetcher = fetcher
        self.base = ""
        self.tags: dict[tuple[str, int], str] = {}
        """(window, node id) → tag name, to know what a later attribute mutation touches."""
        self.style_text: set[tuple[str, int]] = set()
        """Text nodes inside `<style>` elements (their content is CSS)."""

    # ---- CSS -------------------------------------------------------------------------------
    def css(self, text: str, base: str, depth: int = 0) -> str:
        def import_(match: re.Match[str]) -> str:
            url = urljoin(base, match.group(1))
            if depth >= _MAX_CSS_DEPTH:
                self.fetcher._miss(url, "stylesheet imports nested too deeply")
                return ""
            fetched = self.fetcher.fetch(url, "css")
            if fetched is None:
                return ""
            inner = self.css(fetched.body.decode("utf-8", "replace"), url, depth + 1)
            media = match.group(2).strip()
            return f"@media {media} {{{inner}}}" if media else inner

        def url_(match: re.Match[str]) -> str:
            raw = next((g for g in match.groups() if g is not None), "").strip()
            if not raw or raw.startswith(("data:", "#")):
                return match.group(0)
            url = urljoin(base, raw)
            kind = _kind_of(url)
            fetched = self.fetcher.fetch(url, "any" if kind == "css" else kind)
            if fetched is not None:
                return f'url("{fetched.data_url()}")'
            return _FONT_MISSING if kind == "font" else _IMAGE_MISSING

        if "url(" not in text.lower() and "@import" not in text.lower():
            return text
        return _CSS_URL.sub(url_, _CSS_IMPORT.sub(import_, text))

    # ---- serialized nodes ------------------------------------------------------------------
    def node(self, node: dict[str, Any], window: str, parent_tag: str = "") -> None:
        kind = node.get("type")
        node_id = node.get("id")
        if kind == 2:
            tag = str(node.get("tagName", "")).lower()
            if isinstance(node_id, int):
                self.tags[(window, node_id)] = tag
            attributes = node.get("attributes")
            if isinstance(attributes, dict):
                self.element(tag, attributes)
            for child in node.get("childNodes") or ():
                if isinstance(child, dict):
                    self.node(child, window, tag)
        elif kind == 3:
            if isinstance(node_id, int) and parent_tag == "style":
                self.style_text.add((window, node_id))
            text = node.get("textContent")
            if (parent_tag == "style" or node.get("isStyle")) and isinstance(text, str):
                node["textContent"] = self.css(text, self.base)
        else:
            for child in node.get("childNodes") or ():
                if isinstance(child, dict):
                    self.node(child, window, parent_tag)

    def element(self, tag: str, attributes: dict[str, Any]) -> None:
        for name in list(attributes):
            value = attributes[name]
            if name == "_cssText" and isinstance(value, str):
                attributes[name] = self.css(value, self.base)
            elif name == "style":
                attributes[name] = self.style_value(value)
            elif name == "href" and tag == "link":
                self.link(attributes)
            elif isinstance(value, str) and _fetches(tag, name, value):
                image = (
                    tag in _SRC_TAGS and name in ("src", "href", "xlink:href") or (name == "poster")
                )
                if image and not value.startswith("data:"):
                    url = urljoin(self.base, value)
                    fetched = self.fetcher.fetch(url, "image")
                    if fetched is not None:
                        attributes[name] = fetched.data_url()
                        continue
                if not value.startswith("data:"):
                    del attributes[name]
                    if not image:
                        self.fetcher.report.dropped += 1

    def link(self, attributes: dict[str, Any]) -> None:
        href = attributes.get("href")
        if not isinstance(href, str) or href.startswith("data:"):
            return
        rel = str(attributes.get("rel", "")).lower().split()
        if "stylesheet" in rel and "_cssText" not in attributes:
            url = urljoin(self.base, href)
            fetched = self.fetcher.fetch(url, "css")
            if fetched is not None:
                # rrweb rebuilds a <link> carrying `_cssText` as an inline <style>
                attributes["_cssText"] = self.css(fetched.body.decode("utf-8", "replace"), url)
        elif "icon" in rel or "stylesheet" in rel:
            pass  # icons are not shown inside the replay; inlined sheets no longer need it
        else:
            self.fetcher.report.dropped += 1  # preload, prefetch, manifest: never needed
        del attributes["href"]

    def style_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.css(value, self.base)
        if isinstance(value, dict):  # attribute mutation's style object: {prop: value|[v, prio]}
            for prop, item in value.items():
                if isinstance(item, str):
                    value[prop] = self.css(item, self.base)
                elif isinstance(item, list) and item and isinstance(item[0], str):
                    item[0] = self.css(item[0], self.base)
        return value

    # ---- events ----------------------------------------------------------------------------
    def event(self, event: dict[str, Any]) -> None:
        window = str(event.get("windowId", ""))
        data = event.get("data")
        if not isinstance(data, dict):
            return
        kind = event.get("type")
        if kind == 4 and isinstance(data.get("href"), str):
            self.base = data["href"]
        elif kind == 2 and isinstance(data.get("node"), dict):
            self.node(data["node"], window)
        elif kind == 3:
            self.incremental(data, window)

    def incremental(self, data: dict[str, Any], window: str) -> None:
        source = data.get("source")
        if source == 0:  # Mutation
            for add in data.get("adds") or ():
                if isinstance(add, dict) and isinstance(add.get("node"), dict):
                    parent_id = add.get("parentId")
                    parent = self.tags.get((window, parent_id), "") if parent_id else ""
                    self.node(add["node"], window, parent)
            for change in data.get("attributes") or ():
                attributes = change.get("attributes") if isinstance(change, dict) else None
                if isinstance(attributes, dict):
                    tag = self.tags.get((window, change.get("id")), "")
                    self.element(tag, attributes)
            for text in data.get("texts") or ():
                if (
                    isinstance(text, dict)
                    and (window, text.get("id")) in self.style_text
                    and isinstance(text.get("value"), str)
                ):
                    text["value"] = self.css(text["value"], self.base)
        elif source in (8, 15):  # StyleSheetRule, AdoptedStyleSheet
            for holder in [data, *(data.get("styles") or ())]:
                if not isinstance(holder, dict):
                    continue
                for add in holder.get("adds") or holder.get("rules") or ():
                    if isinstance(add, dict) and isinstance(add.get("rule"), str):
                        add["rule"] = self.css(add["rule"], self.base)
                for key in ("replace", "replaceSync"):
                    if isinstance(holder.get(key), str):
                        holder[key] = self.css(holder[key], self.base)
        elif source == 13:  # StyleDeclaration
            declaration = data.get("set")
            if isinstance(declaration, dict) and isinstance(declaration.get("value"), str):
                declaration["value"] = self.css(declaration["value"], self.base)
        elif source == 10 and not data.get("buffer"):  # Font loaded by URL
            if isinstance(data.get("fontSource"), str):
                data["fontSource"] = self.css(data["fontSource"], self.base)


def _fetches(tag: str, name: str, value: str) -> bool:
    """Whether the browser would load this attribute's value when the node is rebuilt."""
    if not value or value.startswith("#"):
        return False
    if name in _FETCHING_ATTRS:
        return not (name == "data" and tag != "object")
    return name == "href" and tag in ("image", "use", "feimage")


def inline_assets(
    events: list[dict[str, Any]], fetcher: AssetFetcher
) -> tuple[list[dict[str, Any]], AssetReport]:
    """A copy of `events` in which every URL the player would load is inlined or neutralised.

    Returns:
        The rewritten events (the input is not modified) and the fetcher's report.
    """
    rewritten = orjson.loads(orjson.dumps(events))  # a deep copy, much faster than `copy`
    rewriter = _Rewriter(fetcher)
    for event in rewritten:
        rewriter.event(event)
    return rewritten, fetcher.report
