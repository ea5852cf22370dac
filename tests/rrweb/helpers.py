"""Test helpers: derive PostHog's other wire formats from the corpus, and count things the simple
way (independently of the code under test)."""

from __future__ import annotations

import json
import struct
from collections import Counter
from typing import Any

import cramjam
import orjson

from tests.corpus import CORPUS, corpus_path

CORPUS_STATS: dict[str, Any] = json.loads((CORPUS / "stats.json").read_text())["sessions"]


def blob_v2_bytes(session: str) -> bytes:
    return corpus_path(session, "blob_v2.jsonl").read_bytes()


def blob_v2_lines(session: str) -> list[bytes]:
    return [line for line in blob_v2_bytes(session).split(b"\n") if line.strip()]


def decompressed_pairs(session: str) -> list[tuple[str, dict[str, Any]]]:
    """The corpus's own unpacked events, `(window_id, event)` in arrival order."""
    pairs = []
    with corpus_path(session, "snapshots.decompressed.jsonl").open() as handle:
        for line in handle:
            record = json.loads(line)
            pairs.extend((record["window_id"], event) for event in record["data"])
    return pairs


def snappy_blocks_body(lines: list[bytes], blocks: int) -> bytes:
    """A `decompress=false` body: the lines spread over `blocks` length-prefixed snappy blocks."""
    size = -(-len(lines) // blocks)
    body = bytearray()
    for start in range(0, len(lines), size):
        # PostHog's blocks end each line with a newline
        block = bytes(
            cramjam.snappy.compress_raw(b"".join(x + b"\n" for x in lines[start : start + size]))
        )
        body += struct.pack(">I", len(block)) + block
    return bytes(body)


def lts_body(lines: list[bytes]) -> bytes:
    return bytes(cramjam.snappy.compress_raw(b"\n".join(lines)))


def export_v2(events: list[tuple[str, dict[str, Any]]], session_id: str, person: Any) -> bytes:
    """`2023-04-28` export, as PostHog's player writes it (indent 2, windowId on each event)."""
    snapshots = [{**event, "windowId": window} for window, event in events]
    document = {
        "version": "2023-04-28",
        "data": {"id": session_id, "person": person, "snapshots": snapshots},
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


def export_v1(events: list[tuple[str, dict[str, Any]]], person: Any) -> bytes:
    by_window: dict[str, list[dict[str, Any]]] = {}
    for window, event in events:
        by_window.setdefault(window, []).append(event)
    document = {
        "version": "2022-12-02",
        "data": {"person": person, "snapshotsByWindowId": by_window},
    }
    return json.dumps(document).encode()


def canonical(events: list[Any]) -> list[tuple[int, str, bytes]]:
    """Comparable form of SessionEvents: (seq, window, exact JSON of the event)."""
    return [(e.seq, e.window_id, orjson.dumps(e.event)) for e in events]


# ---- independent counts, straight from snapshots.decompressed.jsonl


def simple_postprocessed(session: str) -> list[tuple[str, dict[str, Any]]]:
    """Stable sort by timestamp; drop an event identical to the previous one at the same ms."""
    pairs = sorted(decompressed_pairs(session), key=lambda pair: pair[1]["timestamp"])
    kept: list[tuple[str, dict[str, Any]]] = []
    for window, event in pairs:
        if kept and kept[-1][1]["timestamp"] == event["timestamp"] and kept[-1] == (window, event):
            continue
        kept.append((window, event))
    return kept


def independent_counts(session: str) -> dict[str, Any]:
    events = simple_postprocessed(session)
    clicks = 0
    keypresses = 0
    console: Counter[str] = Counter()
    network = 0
    page_views = 0
    last_url: dict[str, str] = {}
    for window, event in events:
        data = event["data"]
        if event["type"] == 3 and data["source"] == 2 and data["type"] in (2, 3, 4, 9):
            clicks += 1
        if event["type"] == 3 and data["source"] == 5:
            keypresses += 1
        if event["type"] == 6 and data["plugin"] == "rrweb/console@1":
            console[data["payload"]["level"]] += 1
        if event["type"] == 6 and data["plugin"] == "rrweb/network@1":
            network += len(data["payload"]["requests"])
        if event["type"] == 6 and data["plugin"] == "posthog/network@1":
            network += 1
        url = None
        if event["type"] == 4:
            url = data.get("href")
        if event["type"] == 5 and data.get("tag") in ("$pageview", "$url_changed"):
            url = (data.get("payload") or {}).get("href")
        if url and url != last_url.get(window):
            page_views += 1
            last_url[window] = url
    return {
        "events": len(events),
        "clicks": clicks,
        "keypresses": keypresses,
        "console": dict(console),
        "network": network,
        "page_views": page_views,
    }


def analytics_events(session: str, name: str) -> list[dict[str, Any]]:
    with corpus_path(session, "events.jsonl").open() as handle:
        return [e for e in map(json.loads, handle) if e.get("event") == name]
