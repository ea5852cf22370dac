"""Corpus loading for the privacy tests: events as `SessionEvent`s, canaries as a matcher.

The pipeline's own decoder is written elsewhere; these tests read the corpus's
`snapshots.decompressed.jsonl` (cv already unpacked), sort by timestamp and number the events,
which is all `mask_session` needs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

import orjson

from replayport.privacy.audit import CanaryMatcher
from replayport.rrweb.types import EventType, IncrementalSource, SessionEvent
from tests.corpus import corpus_path, load_canaries


@cache
def raw_events(session: str) -> tuple[tuple[str, bytes], ...]:
    """`(window_id, compact event JSON)` of a corpus session, sorted by timestamp (cached)."""
    pairs: list[tuple[str, dict[str, Any]]] = []
    for line in corpus_path(session, "snapshots.decompressed.jsonl").read_bytes().splitlines():
        if line.strip():
            record = orjson.loads(line)
            pairs.extend((record["window_id"], event) for event in record["data"])
    pairs.sort(key=lambda pair: pair[1]["timestamp"])  # stable: arrival order breaks ties
    return tuple((window, orjson.dumps(event)) for window, event in pairs)


def session_events(session: str) -> list[SessionEvent]:
    """A fresh (mutable) copy of a corpus session's events, sorted and numbered."""
    return [
        SessionEvent(seq, window, orjson.loads(blob))
        for seq, (window, blob) in enumerate(raw_events(session))
    ]


def event_bytes(session: str) -> int:
    """Size of the session's events as compact JSON (the unit of throughput numbers)."""
    return sum(len(blob) for _, blob in raw_events(session))


def dump(events: list[SessionEvent]) -> str:
    """Everything that would be stored about the events, as one JSON text."""
    return orjson.dumps([[e.seq, e.window_id, e.event] for e in events]).decode()


def canary_values() -> list[str]:
    """Every canary value and listed variant from canaries.json."""
    values: list[str] = []
    for canary in load_canaries():
        values.append(canary["value"])
        values.extend(canary.get("variants", []))
    return values


@lru_cache(maxsize=1)
def canary_matcher() -> CanaryMatcher:
    return CanaryMatcher(canary_values())


def canary_ids() -> list[str]:
    """Canary id per value in `canary_values()` order."""
    ids: list[str] = []
    for canary in load_canaries():
        ids.extend([canary["id"]] * (1 + len(canary.get("variants", []))))
    return ids


def deep_copy(events: list[SessionEvent]) -> list[SessionEvent]:
    return [SessionEvent(e.seq, e.window_id, copy.deepcopy(e.event)) for e in events]


def incrementals(events: list[SessionEvent], source: int) -> Iterator[SessionEvent]:
    for item in events:
        if (
            item.event["type"] == EventType.INCREMENTAL_SNAPSHOT
            and item.event["data"].get("source") == source
        ):
            yield item


def text_values(events: list[SessionEvent]) -> Iterator[tuple[str | None, str]]:
    """(parent tag, text) of every DOM text in full snapshots, mutation adds and text changes.

    Text changes report the parent tag as None (the change alone does not say).
    """
    for item in events:
        event = item.event
        if event["type"] == EventType.FULL_SNAPSHOT:
            yield from _tree_texts(event["data"]["node"], None)
        elif (
            event["type"] == EventType.INCREMENTAL_SNAPSHOT
            and event["data"].get("source") == IncrementalSource.MUTATION
        ):
            for addition in event["data"].get("adds", []):
                yield from _tree_texts(addition["node"], "?")
            for change in event["data"].get("texts", []):
                if isinstance(change.get("value"), str):
                    yield None, change["value"]


def _tree_texts(node: dict[str, Any], parent: str | None) -> Iterator[tuple[str | None, str]]:
    stack = [(node, parent)]
    while stack:
        current, parent_tag = stack.pop()
        if current.get("type") in (3, 5) and isinstance(current.get("textContent"), str):
            yield parent_tag, current["textContent"]
        tag = current.get("tagName", parent_tag)
        stack.extend((child, tag) for child in current.get("childNodes", []))
