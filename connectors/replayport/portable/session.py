"""One archived session, read back from the archive into what every export format needs.

The archive holds the masked rrweb stream as rows (`replay_events`: `data` is the event's data
as JSON text); an rrweb event is rebuilt as `{"type", "data", "timestamp"}` plus its window.
Everything here is already masked and scrubbed: exports never see raw personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from replayport.archive.store import Archive
from replayport.errors import InputError

__all__ = ["PortableSession", "WindowInfo", "load_session", "select_sessions"]

_CONSOLE_COLUMNS = ("seq", "window_id", "ts", "level", "message", "trace", "url")
_NETWORK_COLUMNS = (
    "seq",
    "window_id",
    "ts",
    "method",
    "url",
    "status",
    "duration_ms",
    "initiator_type",
    "transfer_size",
)
_CLICK_COLUMNS = (
    "seq",
    "window_id",
    "ts",
    "x",
    "y",
    "interaction",
    "url",
    "target_selector",
    "target_tag",
    "target_text",
    "is_rage",
    "is_dead",
    "is_error",
)


@dataclass(frozen=True)
class WindowInfo:
    """One browser window (tab) of a session: rrweb replays each window on its own."""

    window_id: str
    events: int
    first_ms: int
    last_ms: int
    playable: bool
    """Has a FullSnapshot and at least two events: rrweb's Replayer can start it."""


@dataclass
class PortableSession:
    """A session as the exports need it: metadata, events and the side tables, all masked."""

    session_id: str
    meta: dict[str, Any]
    """The `sessions` row (JSON-friendly: timestamps as ISO strings)."""
    events: list[dict[str, Any]]
    """rrweb events in archive order (`seq`), each with a `windowId` (the archive's window id)."""
    pages: list[dict[str, Any]] = field(default_factory=list)
    clicks: list[dict[str, Any]] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    network: list[dict[str, Any]] = field(default_factory=list)

    def windows(self) -> list[WindowInfo]:
        """Windows ordered main first: the most events, ties broken by the earliest start."""
        stats: dict[str, list[int]] = {}
        snapshots: set[str] = set()
        for event in self.events:
            window = event["windowId"]
            entry = stats.setdefault(window, [0, event["timestamp"], event["timestamp"]])
            entry[0] += 1
            entry[1] = min(entry[1], event["timestamp"])
            entry[2] = max(entry[2], event["timestamp"])
            if event["type"] == 2:
                snapshots.add(window)
        infos = [
            WindowInfo(w, n, first, last, w in snapshots and n >= 2)
            for w, (n, first, last) in stats.items()
        ]
        # playable first: a window without a full snapshot cannot be shown at all
        infos.sort(key=lambda i: (not i.playable, -i.events, i.first_ms))
        return infos

    def rrweb_events(self) -> list[dict[str, Any]]:
        """The events without `windowId` (what rrweb's Replayer takes)."""
        return [{k: v for k, v in e.items() if k != "windowId"} for e in self.events]


def _ms(column: pa.ChunkedArray) -> list[int]:
    """Timestamps (µs, UTC) as epoch milliseconds, exactly (rrweb's unit)."""
    return pc.divide(column.cast(pa.int64()), 1000).to_pylist()


def _session_filter(session_ids: Sequence[str]) -> Any:
    # The Delta files store strings as string_view, which pyarrow cannot compare with a plain
    # string scalar; casting the column first keeps the filter portable across writers.
    return pc.field("session_id").cast(pa.string()).isin(list(session_ids))


def _rows(archive: Archive, table: str, session_id: str, columns: Sequence[str]) -> list[dict]:
    data = archive.read(table, columns=list(columns), filter=_session_filter([session_id]))
    if not data.num_rows:
        return []
    data = data.sort_by("seq")
    rows = data.drop(["ts"]).to_pylist()
    for row, ms in zip(rows, _ms(data.column("ts")), strict=True):
        row["ts"] = ms
    return rows


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def load_session(archive: Archive, session_id: str) -> PortableSession:
    """Read one session's metadata, masked events and side tables from the archive.

    Raises:
        InputError: the session is not in the archive, or has no replay events (a session
            entirely on excluded routes keeps only its `sessions` row).
    """
    found = archive.read("sessions", filter=_session_filter([session_id]))
    if not found.num_rows:
        raise InputError(f"session {session_id} is not in the archive at {archive._safe_url()}")
    meta = _jsonable(found.slice(0, 1).to_pylist()[0])
    for name in ("run_id", "extracted_at"):
        meta.pop(name, None)
    table = archive.read(
        "replay_events",
        columns=["seq", "window_id", "ts", "event_type", "data"],
        filter=_session_filter([session_id]),
    ).sort_by("seq")
    if not table.num_rows:
        reason = "it is entirely on excluded routes" if meta.get("excluded") else "it has none"
        raise InputError(f"session {session_id} has no replay events to export ({reason})")
    events = [
        {"type": int(kind), "data": orjson.loads(data), "timestamp": ms, "windowId": window or ""}
        for kind, data, ms, window in zip(
            table.column("event_type").to_pylist(),
            table.column("data").to_pylist(),
            _ms(table.column("ts")),
            table.column("window_id").to_pylist(),
            strict=True,
        )
    ]
    return PortableSession(
        session_id=session_id,
        meta=meta,
        events=events,
        pages=_rows(archive, "page_views", session_id, ("seq", "window_id", "ts", "url", "path")),
        clicks=_rows(archive, "clicks", session_id, _CLICK_COLUMNS),
        console=_rows(archive, "console_logs", session_id, _CONSOLE_COLUMNS),
        network=_rows(archive, "network_requests", session_id, _NETWORK_COLUMNS),
    )


def select_sessions(
    archive: Archive,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    has_errors: bool = False,
    session_ids: Sequence[str] | None = None,
) -> list[str]:
    """Ids of archived, non-excluded sessions matching the filters, oldest first."""
    sessions = archive.read(
        "sessions",
        columns=[
            "session_id",
            "start_time",
            "excluded",
            "console_error_count",
            "error_click_count",
        ],
    )
    chosen = []
    for row in sessions.to_pylist():
        start = row["start_time"]
        if row["excluded"]:
            continue
        if session_ids is not None and row["session_id"] not in session_ids:
            continue
        if since is not None and (start is None or start < since):
            continue
        if until is not None and (start is None or start >= until):
            continue
        if has_errors and not (row["console_error_count"] or row["error_click_count"]):
            continue
        chosen.append(row)
    chosen.sort(key=lambda r: (r["start_time"] is None, r["start_time"] or 0, r["session_id"]))
    return [row["session_id"] for row in chosen]
