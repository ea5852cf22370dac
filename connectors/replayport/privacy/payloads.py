"""Scrubbing of structured payloads: custom events, console and network plugins, anything else.

- **generic values** (custom event payloads, unknown plugins, unknown incremental sources):
  every string is scrubbed — URLs as URLs, the rest with the detectors; values under *secret*
  keys (`password`, `token`, `api_key`, `authorization`, …) become `[secret]` and values under
  *personal* keys (`email`, `name`, `phone`, `distinct_id`, `user_id`, `address`, `dob`, …)
  become `[redacted]`, whatever they look like. Numbers and booleans are kept, except under
  those keys. `$posthog_config`'s project `token` and any `bootstrap.distinctID` are caught by
  the key rules.
- **console** (`rrweb/console@1`, legacy Log source): each `payload` item is a
  `JSON.stringify`-ed value; JSON objects/arrays are parsed and scrubbed as generic values
  (so `console.log({email, name})` loses both), other items and every `trace` frame go through
  the detectors.
- **network** (`rrweb/network@1`): `name` (the URL) URL-scrubbed; request/response headers
  dropped except the allow-list (allowed values detector-scrubbed); bodies dropped (set to
  null) unless `capture_network_bodies`, then scrubbed like console items (JSON, form-encoded
  or text); timing/size/status fields kept untouched; other strings detector-scrubbed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from replayport.privacy.detectors import Scrubber
from replayport.privacy.urls import REDACTED, UrlScrubber, looks_like_url

__all__ = [
    "CONSOLE_PLUGIN",
    "NETWORK_PLUGIN",
    "PayloadScrubber",
    "is_personal_key",
    "is_secret_key",
]

_NUMBERS = (bool, int, float)
CONSOLE_PLUGIN = "rrweb/console@1"
NETWORK_PLUGIN = "rrweb/network@1"

SECRET = "[secret]"

# keys whose values are credentials, matched on the whole key with optional prefixes
# (`client_secret`, `x-auth-token`, `session_token`)
_SECRET_KEY = re.compile(
    r"(?i)^[\w.$-]*?(?:passw(?:or)?d|passwd|passphrase|passcode|pwd|secret|token|api[_-]?key"
    r"|apikey|access[_-]?key|private[_-]?key|credentials?|authorization|auth|cookie|csrf|xsrf"
    r"|session[_-]?(?:id|key)|sessid|jwt|otp|signature|mysql_pwd)$"
)
# keys whose values identify or describe a person
_PERSONAL_KEY = re.compile(
    r"(?i)^\$?(?:(?:first|last|full|middle|given|family|sur|user|display|patient|customer"
    r"|account|contact|person|nick)?[_-]?name|surname|e[_-]?mail(?:[_-]?address)?|email\w*"
    r"|phone(?:[_-]?number)?|mobile|tel(?:ephone)?|fax|address(?:[_-]?line\d?)?|street"
    r"|post(?:al)?[_-]?code|zip(?:[_-]?code)?|city|dob|date[_-]?of[_-]?birth|birth[_-]?date"
    r"|birthday|ssn|social[_-]?security(?:[_-]?number)?|national[_-]?id|passport(?:[_-]?number)?"
    r"|tax[_-]?id|(?:anon[_-]?)?distinct[_-]?id|user[_-]?id|person[_-]?id|device[_-]?id"
    r"|ip|ip[_-]?address|\$ip|lat(?:itude)?|lng|lon(?:gitude)?)$"
)
_KEY_CACHE: dict[str, str | None] = {}

# network entry fields that are never personal: timings, sizes, enums (PerformanceEntry and
# PerformanceResourceTiming fields plus posthog-js's own)
_NETWORK_PLAIN_KEYS = frozenset(
    """
    entryType initiatorType nextHopProtocol renderBlockingStatus deliveryType contentType
    contentEncoding method workerMatchedSourceType workerFinalSourceType responseStatus status
    startTime endTime duration timestamp timeOrigin navigationId isInitial workerStart
    workerRouterEvaluationStart workerCacheLookupStart redirectStart redirectEnd fetchStart
    domainLookupStart domainLookupEnd connectStart secureConnectionStart connectEnd requestStart
    responseStart firstInterimResponseStart finalResponseHeadersStart responseEnd transferSize
    encodedBodySize decodedBodySize unloadEventStart unloadEventEnd domInteractive
    domContentLoadedEventStart domContentLoadedEventEnd domComplete loadEventStart loadEventEnd
    redirectCount activationStart criticalCHRestart notRestoredReasons processingStart
    processingEnd cancelable interactionId renderTime loadTime size
    """.split()
)


def is_secret_key(key: str) -> bool:
    """Whether values under `key` are credentials (`password`, `client_secret`, `x-api-key`…)."""
    return _key_rule(key) == SECRET


def is_personal_key(key: str) -> bool:
    """Whether values under `key` describe a person (`email`, `name`, `phone`, `user_id`…)."""
    return _key_rule(key) == REDACTED


def _key_rule(key: str) -> str | None:
    if key in _KEY_CACHE:
        return _KEY_CACHE[key]
    rule: str | None = None
    if _SECRET_KEY.match(key):
        rule = SECRET
    elif _PERSONAL_KEY.match(key):
        rule = REDACTED
    if len(_KEY_CACHE) < 8192:
        _KEY_CACHE[key] = rule
    return rule


class PayloadScrubber:
    """Scrubs custom-event and plugin payloads in place.

    Args:
        scrubber: Free-text detectors.
        urls: URL scrubber for URL-looking strings and request URLs.
        header_allowlist: Lower-case header names kept in network entries.
        capture_network_bodies: Keep (scrubbed) request/response bodies instead of dropping them.
        counts: Where redactions are counted.
    """

    def __init__(
        self,
        scrubber: Scrubber,
        urls: UrlScrubber,
        *,
        header_allowlist: Iterable[str],
        capture_network_bodies: bool,
        counts: Counter[str],
    ) -> None:
        self._scrubber = scrubber
        self._urls = urls
        self._headers = frozenset(h.lower() for h in header_allowlist)
        self._bodies = capture_network_bodies
        self._counts = counts

    # --- entry points -------------------------------------------------------------------------

    def custom(self, data: dict[str, Any]) -> None:
        """Scrub a Custom event's `data` (`{tag, payload}`) in place."""
        tag = data.get("tag")
        if isinstance(tag, str):
            data["tag"] = self._scrubber.scrub(tag, self._counts)
        if "payload" in data:
            data["payload"] = self.value(data["payload"])

    def plugin(self, data: dict[str, Any]) -> None:
        """Scrub a Plugin event's `data` (`{plugin, payload}`) in place."""
        name = data.get("plugin")
        payload = data.get("payload")
        if name == CONSOLE_PLUGIN and isinstance(payload, dict):
            self.console(payload)
        elif name == NETWORK_PLUGIN and isinstance(payload, dict):
            self.network(payload)
        elif "payload" in data:
            data["payload"] = self.value(payload)

    def console(self, payload: dict[str, Any]) -> None:
        """Scrub a console record `{level, trace, payload}` in place."""
        counts = self._counts
        items = payload.get("payload")
        if isinstance(items, list):
            payload["payload"] = [
                self.text_or_json(item) if isinstance(item, str) else self.value(item)
                for item in items
            ]
        elif items is not None:
            payload["payload"] = self.value(items)
        trace = payload.get("trace")
        if isinstance(trace, list):
            payload["trace"] = [
                self._scrubber.scrub(frame, counts) if isinstance(frame, str) else self.value(frame)
                for frame in trace
            ]
        for key, value in payload.items():
            if key not in ("payload", "trace", "level"):
                payload[key] = self.value(value, key)

    def network(self, payload: dict[str, Any]) -> None:
        """Scrub a network record `{requests: [...]}` in place."""
        requests = payload.get("requests")
        if isinstance(requests, list):
            for request in requests:
                if isinstance(request, dict):
                    self._request(request)
        for key, value in payload.items():
            if key != "requests":
                payload[key] = self.value(value, key)

    # --- values -------------------------------------------------------------------------------

    def value(self, value: Any, key: str | None = None) -> Any:
        """A JSON-like value scrubbed (dicts and lists in place; strings returned new)."""
        if value is None or value is True or value is False:
            return value
        if key is not None:
            rule = _key_rule(key)
            if rule is not None and isinstance(value, (str, int, float)):
                if value == "" or value == rule:
                    return value
                self._counts["secret" if rule == SECRET else "personal_keys"] += 1
                return rule
        kind = type(value)
        if kind is str:
            return self.string(value)
        if kind is dict:
            scrub = self._scrubber.scrub
            counts = self._counts
            renamed: list[tuple[str, str]] = []
            for child_key, child in value.items():
                if isinstance(child_key, str):
                    if child is not None and child is not True and child is not False:
                        value[child_key] = self.value(child, child_key)
                    scrubbed_key = scrub(child_key, counts)
                    if scrubbed_key != child_key:
                        renamed.append((child_key, scrubbed_key))
                else:
                    value[child_key] = self.value(child)
            for old, new in renamed:
                value[new] = value.pop(old)
            return value
        if kind is list:
            for index, item in enumerate(value):
                if item is not None and item is not True and item is not False:
                    value[index] = self.value(item)
            return value
        if isinstance(value, (dict, list, str)):  # subclasses
            return self.value(dict(value) if isinstance(value, dict) else value, None)
        return value

    def string(self, text: str) -> str:
        """A payload string scrubbed as a URL when it looks like one, else as free text."""
        if not text:
            return text
        if looks_like_url(text):
            return self._urls.scrub(text, self._counts)
        return self._scrubber.scrub(text, self._counts)

    def text_or_json(self, text: str) -> str:
        """Scrub text that may be JSON (console items, bodies): parsed JSON is scrubbed by key."""
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            limit = self._scrubber.max_text_length
            if not limit or len(text) <= limit:
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = None
                if isinstance(parsed, (dict, list)):
                    return json.dumps(self.value(parsed), ensure_ascii=False, separators=(",", ":"))
        return self._scrubber.scrub(text, self._counts)

    # --- network ------------------------------------------------------------------------------

    def _request(self, request: dict[str, Any]) -> None:
        counts = self._counts
        for key, value in request.items():
            if key in _NETWORK_PLAIN_KEYS or value is None or type(value) in _NUMBERS:
                continue
            if key == "name":
                if isinstance(value, str):
                    request[key] = self.string(value)
            elif key in ("requestHeaders", "responseHeaders"):
                request[key] = self._headers_of(value)
            elif key == "serverTiming" and isinstance(value, list):
                # [{name, duration, description}]: metric names, not people
                for entry in value:
                    if isinstance(entry, dict):
                        for field, text in entry.items():
                            if isinstance(text, str):
                                entry[field] = self._scrubber.scrub(text, counts)
            elif key in ("requestBody", "responseBody"):
                if not self._bodies:
                    if value != "":
                        request[key] = None
                        counts["bodies_dropped"] += 1
                elif isinstance(value, str):
                    request[key] = self._body(value)
                else:
                    request[key] = self.value(value, key)
            else:
                request[key] = self.value(value, key)

    def _headers_of(self, headers: Any) -> Any:
        if not isinstance(headers, dict):
            if headers:
                self._counts["headers_dropped"] += 1
                return None
            return headers
        kept: dict[str, Any] = {}
        for name, value in headers.items():
            if isinstance(name, str) and name.lower() in self._headers:
                if isinstance(value, str):
                    value = self._scrubber.scrub(value, self._counts)
                kept[name] = value
            else:
                self._counts["headers_dropped"] += 1
        return kept

    def _body(self, body: str) -> str:
        stripped = body.strip()
        if stripped[:1] in ("{", "["):
            return self.text_or_json(body)
        if "=" in stripped and " " not in stripped and "\n" not in stripped:
            # application/x-www-form-urlencoded: keys kept, values scrubbed by key and detectors
            parts = []
            for part in stripped.split("&"):
                key, eq, value = part.partition("=")
                if eq and value:
                    rule = _key_rule(key)
                    value = rule if rule is not None else self._scrubber.scrub(value, self._counts)
                parts.append(f"{key}{eq}{value}")
            return "&".join(parts)
        return self._scrubber.scrub(body, self._counts)
