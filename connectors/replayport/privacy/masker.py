"""Masking one session: route exclusion, per-window DOM state, dispatch by event kind.

`mask_session` is the privacy step of the pipeline (decode → **privacy** → Arrow): it receives
freshly decoded, post-processed events and returns the events that may be stored, masked, plus
what was masked (counts per rule, never values).

Excluded routes work per window: each window's current URL comes from its Meta events (full
page loads) and from navigation custom events (`$pageview`/`$url_changed` `href`, SPA
navigations). While a window is on an excluded page every one of its events is dropped,
including the page's own Meta and FullSnapshot. Leaving the page with a full load brings a new
Meta + FullSnapshot and recording resumes from there. Leaving it by SPA navigation does *not*
resume until the window's next FullSnapshot: without one, the player would apply mutations to
the excluded page's DOM (which may still show its content) or to nothing at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from replayport.privacy.detectors import Scrubber
from replayport.privacy.dom import DomMasker, WindowDom
from replayport.privacy.payloads import PayloadScrubber
from replayport.privacy.policy import PrivacyPolicy
from replayport.privacy.selectors import SelectorSet
from replayport.privacy.urls import RouteMatcher, UrlScrubber
from replayport.rrweb.types import EventType, IncrementalSource, SessionEvent

__all__ = ["CompiledPolicy", "MaskedSession", "compile_policy", "mask_session"]

_NAVIGATION_TAGS = frozenset({"$pageview", "$url_changed", "$url_change", "url changed"})
_NAVIGATION_KEYS = ("href", "url", "$current_url")
_MUTATION_FIELDS = ("adds", "removes", "texts", "attributes")
_UNTOUCHED_SOURCES = frozenset(
    {
        IncrementalSource.MOUSE_MOVE,
        IncrementalSource.MOUSE_INTERACTION,
        IncrementalSource.SCROLL,
        IncrementalSource.VIEWPORT_RESIZE,
        IncrementalSource.TOUCH_MOVE,
        IncrementalSource.MEDIA_INTERACTION,
        IncrementalSource.DRAG,
        IncrementalSource.SELECTION,
        IncrementalSource.CUSTOM_ELEMENT,
    }
)
_STYLE_SOURCES = frozenset(
    {
        IncrementalSource.STYLE_SHEET_RULE,
        IncrementalSource.STYLE_DECLARATION,
        IncrementalSource.ADOPTED_STYLE_SHEET,
        IncrementalSource.FONT,
    }
)

# window route states
_ON, _EXCLUDED, _AWAITING_SNAPSHOT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class MaskedSession:
    """The result of masking one session."""

    events: list[SessionEvent]
    """The events that may be stored, masked, in input order (same `seq`s, minus dropped)."""
    excluded: bool
    """True when every event was dropped by excluded routes (only the `sessions` row remains)."""
    redactions: Counter[str]
    """What was masked, per rule (`text_nodes`, `inputs`, `email`, `excluded_events`, …)."""


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy's settings turned into ready-to-run matchers (built once per policy)."""

    policy: PrivacyPolicy
    scrubber: Scrubber
    urls: UrlScrubber
    mask: SelectorSet
    unmask: SelectorSet
    block: SelectorSet
    routes: RouteMatcher


@lru_cache(maxsize=32)
def compile_policy(policy: PrivacyPolicy) -> CompiledPolicy:
    """Compile (and cache) the selectors, detectors and route patterns of `policy`."""
    scrubber = Scrubber(policy.detectors, policy.phone_regions, policy.max_text_length)
    return CompiledPolicy(
        policy=policy,
        scrubber=scrubber,
        urls=UrlScrubber(scrubber, policy.url_query_allowlist),
        mask=SelectorSet(policy.mask_selectors, "privacy.mask_selectors"),
        unmask=SelectorSet(policy.unmask_selectors, "privacy.unmask_selectors"),
        block=SelectorSet(policy.block_selectors, "privacy.block_selectors"),
        routes=RouteMatcher(policy.excluded_routes),
    )


class _Window:
    __slots__ = ("dom", "route")

    def __init__(self) -> None:
        self.dom = WindowDom()
        self.route = _ON


def mask_session(events: Sequence[SessionEvent], policy: PrivacyPolicy) -> MaskedSession:
    """Mask a session's events according to `policy`.

    The events are **masked in place**: their `event` dicts are modified and the returned
    `SessionEvent`s are the same objects. The pipeline owns freshly decoded events and never
    needs the raw values again; copying every event would double the memory of the largest
    session for nothing. Callers that need the original must pass a copy.

    Args:
        events: One session's events after post-processing (sorted; `seq` assigned), with
            PostHog's `cv` packing already undone.
        policy: The privacy policy; `enabled=False` returns the events untouched.

    Returns:
        The kept (masked) events in input order, whether the session is entirely excluded, and
        the redaction counts.
    """
    counts: Counter[str] = Counter()
    if not policy.enabled:
        return MaskedSession(list(events), excluded=False, redactions=counts)
    compiled = compile_policy(policy)
    routes = compiled.routes
    # per-session memos: recordings repeat strings and links constantly
    scrubber = compiled.scrubber.memoized()
    urls = UrlScrubber(scrubber, policy.url_query_allowlist, memoize=True)
    dom = DomMasker(
        scrubber,
        urls,
        mask_all_text=policy.mask_all_text,
        mask=compiled.mask,
        unmask=compiled.unmask,
        block=compiled.block,
        counts=counts,
    )
    payloads = PayloadScrubber(
        scrubber,
        urls,
        header_allowlist=policy.header_allowlist,
        capture_network_bodies=policy.capture_network_bodies,
        counts=counts,
    )
    windows: dict[str, _Window] = {}
    kept: list[SessionEvent] = []
    for item in events:
        event = item.event
        data = event.get("data") if isinstance(event, dict) else None
        if not isinstance(data, dict):
            if (
                isinstance(event, dict)
                and event.get("type")
                in (
                    EventType.DOM_CONTENT_LOADED,
                    EventType.LOAD,
                )
                and data is None
            ):
                kept.append(item)
            else:
                # packed or corrupt data cannot be inspected, so it cannot be stored
                counts["unmaskable_events"] += 1
            continue
        window = windows.get(item.window_id)
        if window is None:
            window = windows[item.window_id] = _Window()
        event_type = event.get("type")
        if routes and not _route_allows(event_type, data, window, routes):
            counts["excluded_events"] += 1
            continue
        if event_type == EventType.INCREMENTAL_SNAPSHOT:
            source = data.get("source")
            if source in _UNTOUCHED_SOURCES:
                pass
            elif source == IncrementalSource.INPUT:
                dom.input(data)
            elif source == IncrementalSource.MUTATION:
                if any(isinstance(data.get(key), str) for key in _MUTATION_FIELDS):
                    counts["unmaskable_events"] += 1
                    continue
                dom.mutation(data, window.dom)
            elif source in _STYLE_SOURCES:
                dom.stylesheet(data)
            elif source == IncrementalSource.CANVAS_MUTATION:
                dom.canvas_mutation(data, window.dom)
            elif source == IncrementalSource.LOG:
                payloads.console(data)
            else:
                payloads.value(data)
        elif event_type == EventType.FULL_SNAPSHOT:
            dom.full_snapshot(data, window.dom)
        elif event_type == EventType.META:
            href = data.get("href")
            if isinstance(href, str):
                data["href"] = urls.scrub(href, counts)
        elif event_type == EventType.CUSTOM:
            payloads.custom(data)
        elif event_type == EventType.PLUGIN:
            payloads.plugin(data)
        else:
            payloads.value(data)
        kept.append(item)
    excluded = bool(events) and not kept and counts["excluded_events"] > 0
    return MaskedSession(kept, excluded=excluded, redactions=counts)


def _navigation_href(data: dict[str, Any]) -> str | None:
    if data.get("tag") not in _NAVIGATION_TAGS:
        return None
    payload = data.get("payload")
    if not isinstance(payload, dict):
        return None
    for key in _NAVIGATION_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _route_allows(
    event_type: Any, data: dict[str, Any], window: _Window, routes: RouteMatcher
) -> bool:
    """Advance the window's route state with this event; False when the event must be dropped."""
    if event_type == EventType.META:
        href = data.get("href")
        if isinstance(href, str) and routes.matches_url(href):
            window.route = _EXCLUDED
            return False
        if window.route == _EXCLUDED:
            window.route = _AWAITING_SNAPSHOT
        # a new page load: its Meta is kept even when the snapshot is still awaited
        return True
    if event_type == EventType.FULL_SNAPSHOT:
        if window.route == _EXCLUDED:
            return False
        window.route = _ON
        return True
    if event_type == EventType.CUSTOM:
        href = _navigation_href(data)
        if href is not None:
            if routes.matches_url(href):
                window.route = _EXCLUDED
                return False
            if window.route == _EXCLUDED:
                window.route = _AWAITING_SNAPSHOT
    return window.route == _ON
