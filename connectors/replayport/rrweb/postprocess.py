"""PostHog's post-processing of a recording's events: order, dedupe, strip, number.

Reproduces the behaviour (not the code) of PostHog's player, `processAllSnapshots` in
`common/replay-shared/src/snapshot-processing/process-all-snapshots.ts` with
`sort-snapshots.ts`, `deduplicate-snapshots.ts` and `chrome-extension-stripping.ts`
(PostHog/posthog, read at commit 8b3311f0). `seq` is an event's index in the result, so it is
the same on every run over the same input.

1. **Order** (`sortSnapshots`): by `timestamp`, ties in capture (input) order - a stable sort.
2. **Dedupe** (`findDuplicateIndices`): only events sharing a millisecond are compared, across
   all windows (the window id is part of the compared content, so events of different windows
   never match). Within such a run an event is dropped when it is identical to the previously
   *kept* event (a line written twice), and then, if the kept events are one block repeated
   exactly (a millisecond written twice), every repetition after the first is dropped. The
   comparison is `JSON.stringify({windowId, ...event})` without `delay` (rrweb's playback
   field) - key order matters, as it does in PostHog. An event repeating something *earlier*
   in the millisecond is kept: it is a genuine change and change back.
3. **Undecodable events** (a FullSnapshot without `data.node`, a Mutation/StyleSheetRule still
   holding packed strings) are dropped by PostHog here; replayport rejects them earlier, in
   `decode.py`, so they reach `_replayport_rejects` instead of vanishing.
4. **Chrome-extension stripping**: nodes injected by a few known extensions (Snap&Read,
   Aitopia, Sublime pop-up) are emptied in every FullSnapshot, and a Custom event
   `chrome-extension-stripped` is placed first among the events of that millisecond.
5. **Meta patching**: a FullSnapshot with no Meta since the previous FullSnapshot gets a
   synthetic Meta just before it - only when the caller passes `viewport_for` (PostHog reads
   the viewport from the session's analytics events, which this pure layer does not have).

Not reproduced, on purpose: splitting mutations with more than 5000 `adds` into chunks
(`chunk-large-mutations.ts`, a playback optimisation that would add synthetic events), the
mobile wireframe transformer and the minimal FullSnapshot synthesised for mobile screenshots
(mobile recordings pass through untransformed). PostHog processes each API source (block)
separately; here the whole session is one source, which differs only for a duplicate that
straddles two blocks (PostHog keeps both copies, replayport drops the second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import compress, islice, repeat
from operator import eq, le
from typing import Any

import orjson

from replayport.rrweb.types import EventType, SessionEvent, TEvent

__all__ = ["CHROME_EXTENSION_DENY_LIST", "ViewportFor", "postprocess"]

ViewportFor = Callable[[float, str], Mapping[str, Any] | None]
"""`(timestamp, window_id) → {"width", "height", "href"?}` or None: the viewport at a moment."""

CHROME_EXTENSION_DENY_LIST: dict[str, str] = {
    "dji-sru": "snap and read",
    "mloajfnmjckfjbeeofcdaecbelnblden": "snap and read",
    "aitopia": "aitopia",
    "becfinhbfclcgokjlobojlnldbfillpf": "aitopia",
    "fnliebffpgomomjeflboommgbdnjadbh": "sublime pop-up",
    "sublime-root": "sublime pop-up",
}
"""Needle → extension name, as in PostHog's `chrome-extension-stripping.ts`."""

_NEEDLES = tuple(CHROME_EXTENSION_DENY_LIST)
_NEEDLE_BYTES = tuple(n.encode() for n in _NEEDLES)
_META = int(EventType.META)
_FULL = int(EventType.FULL_SNAPSHOT)
_CUSTOM = int(EventType.CUSTOM)


def postprocess(
    pairs: Iterable[tuple[str, TEvent]], *, viewport_for: ViewportFor | None = None
) -> list[SessionEvent]:
    """Order, dedupe and clean a session's `(window_id, event)` pairs the way PostHog's player does.

    Args:
        pairs: the decoded pairs of one session, in capture order (all blocks, in block order).
            FullSnapshot nodes may be modified in place (extension stripping).
        viewport_for: optional viewport lookup used to patch in a Meta event before a
            FullSnapshot that has none; without it no Meta is synthesised.

    Returns:
        The events with `seq` 0..n-1.
    """
    items = pairs if isinstance(pairs, list) else list(pairs)
    stamps = [event["timestamp"] for _, event in items]
    if not all(map(le, stamps, islice(stamps, 1, None))):
        # stable: ties keep capture order (PostHog's sortSnapshots tiebreaks on ingest order)
        order = sorted(range(len(items)), key=stamps.__getitem__)
        items = [items[i] for i in order]
        stamps = [stamps[i] for i in order]
    kept = _dedupe(items, stamps)

    result: list[tuple[str, TEvent]] = []
    front: list[tuple[str, TEvent]] = []
    matched: dict[str, None] = {}  # insertion-ordered set of stripped extension names
    has_seen_meta = False
    for window, event in kept:
        event_type = event["type"]
        if event_type == _META:
            has_seen_meta = True
        elif event_type == _FULL:
            if not has_seen_meta and viewport_for is not None:
                meta = _patched_meta(viewport_for, event["timestamp"], window)
                if meta is not None:
                    result.append((window, meta))
            has_seen_meta = False
            data = event.get("data")
            node = data.get("node") if isinstance(data, dict) else None
            if isinstance(node, dict) and _strip_extensions(node, matched):
                custom = {
                    "type": _CUSTOM,
                    "data": {
                        "tag": "chrome-extension-stripped",
                        "payload": {"extensions": list(matched)},
                    },
                    "timestamp": event["timestamp"],
                }
                front.insert(0, (window, custom))  # PostHog unshifts onto the result
        result.append((window, event))
    if front:
        result = sorted(front + result, key=_timestamp)
    windows = [window for window, _ in result]
    events = [event for _, event in result]
    # tuple.__new__ straight from C: NamedTuple's own constructor is a Python function
    count = len(result)
    rows = zip(range(count), windows, events, strict=True)
    return list(map(tuple.__new__, repeat(SessionEvent, count), rows))


def _timestamp(pair: tuple[str, TEvent]) -> Any:
    return pair[1]["timestamp"]


def _dedupe(items: list[tuple[str, TEvent]], stamps: list[Any]) -> list[tuple[str, TEvent]]:
    """Drop repeated writes within each run of equal timestamps (see the module docstring)."""
    # positions whose timestamp equals the previous one; usually few, so find them in C
    repeats = list(compress(range(1, len(stamps)), map(eq, stamps, islice(stamps, 1, None))))
    if not repeats:
        return items
    kept: list[tuple[str, TEvent]] = []
    done = 0
    index = 0
    while index < len(repeats):
        end = repeats[index]  # a run spans start..end while positions keep repeating
        start = end - 1
        while index + 1 < len(repeats) and repeats[index + 1] == end + 1:
            index += 1
            end += 1
        index += 1
        kept.extend(items[done:start])
        kept.extend(_dedupe_run(items[start : end + 1]))
        done = end + 1
    kept.extend(items[done:])
    return kept


def _dedupe_run(run: list[tuple[str, TEvent]]) -> list[tuple[str, TEvent]]:
    identities = [_identity(window, event) for window, event in run]
    kept: list[int] = []
    for index, identity in enumerate(identities):
        if kept and identities[kept[-1]] == identity:
            continue  # the same line written twice in a row
        kept.append(index)
    period = _repeated_block_length([identities[i] for i in kept])
    return [run[i] for i in kept[:period]]


def _identity(window: str, event: TEvent) -> bytes:
    # exact bytes rather than PostHog's 53-bit hash: same equality, without collisions
    if "delay" in event:
        event = {key: value for key, value in event.items() if key != "delay"}
    return orjson.dumps(window) + b"\x00" + orjson.dumps(event)


def _repeated_block_length(identities: list[bytes]) -> int:
    """Shortest prefix length whose exact repetition makes up the whole sequence."""
    total = len(identities)
    for period in range(1, total // 2 + 1):
        if total % period:
            continue
        if all(identities[i] == identities[i - period] for i in range(period, total)):
            return period
    return total


def _patched_meta(viewport_for: ViewportFor, timestamp: Any, window: str) -> TEvent | None:
    viewport = viewport_for(timestamp, window)
    if not viewport:
        return None
    width = _as_int(viewport.get("width"))
    height = _as_int(viewport.get("height"))
    if not width or not height:
        return None
    return {
        "type": _META,
        "timestamp": timestamp,
        "data": {"width": width, "height": height, "href": viewport.get("href") or "unknown"},
    }


def _as_int(value: Any) -> int | None:
    # PostHog applies parseInt(value, 10) to the viewport's width and height
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        digits = value.strip()
        sign = 1
        if digits[:1] in ("-", "+"):
            sign = -1 if digits[0] == "-" else 1
            digits = digits[1:]
        prefix = ""
        for char in digits:
            if not char.isdigit():
                break
            prefix += char
        return sign * int(prefix) if prefix else None
    return None


def _strip_extensions(root: Any, matched: dict[str, None]) -> bool:
    """Empty nodes injected by known Chrome extensions; True when anything was stripped."""
    # every rule needs a needle inside the node's attributes or tag name, so a tree whose JSON
    # contains none of them is left alone without walking it
    try:
        serialized = orjson.dumps(root)
    except TypeError:
        return False
    for needle in _NEEDLE_BYTES:
        if needle in serialized:
            break
    else:
        return False
    stripped = False
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if _strip_node(node, matched):
            stripped = True
        children = node.get("childNodes")
        if isinstance(children, list):
            stack.extend(reversed(children))  # document order, like PostHog's recursion
    return stripped


def _strip_node(node: dict[str, Any], matched: dict[str, None]) -> bool:
    stripped = False
    attributes = node.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    # PostHog reads `textContent` from the attributes here, and then clears the node's own
    for name in ("textContent", "_cssText"):
        value = attributes.get(name)
        if isinstance(value, str) and "chrome-extension://" in value:
            needle = next((n for n in _NEEDLES if n in value), None)
            if needle is not None:
                matched[CHROME_EXTENSION_DENY_LIST[needle]] = None
                if name == "textContent":
                    node["textContent"] = ""
                else:
                    attributes["_cssText"] = ""
                stripped = True
    element_id = attributes.get("id")
    if isinstance(element_id, str) and element_id:
        needle = next((n for n in _NEEDLES if n in element_id), None)
        if needle is not None:
            matched[CHROME_EXTENSION_DENY_LIST[needle]] = None
            node["childNodes"] = []
            stripped = True
    for needle in _NEEDLES:
        classes = attributes.get("class")
        if isinstance(classes, str) and classes and needle in classes:
            matched[CHROME_EXTENSION_DENY_LIST[needle]] = None
            attributes["class"] = classes.replace(needle, "", 1)
            stripped = True
    tag = node.get("tagName")
    if isinstance(tag, str):
        if tag == "DIV":
            classes = attributes.get("class")
            needle = next(
                (n for n in _NEEDLES if isinstance(classes, str) and classes and n in classes),
                None,
            )
            if needle is not None:
                matched[CHROME_EXTENSION_DENY_LIST[needle]] = None
                node["childNodes"] = []
                stripped = True
        needle = next((n for n in _NEEDLES if n in tag), None)
        if needle is not None:
            matched[CHROME_EXTENSION_DENY_LIST[needle]] = None
            node["childNodes"] = []
            stripped = True
    return stripped
