"""The extraction's resumable state, kept in dlt's resource state.

dlt commits resource state atomically with the load package it belongs to, so after a crash
the state and the loaded data agree: whatever was in flight is simply extracted again.

Shape (plain JSON so dlt can store it)::

    {
      "cursors": {"incremental": {"start_time": "2026-11-18T10:00:00.000000Z", "ids": ["…"]}},
      "pending_retry": {"<session id>": {"attempts": 1, "reason": "incomplete_recording",
                                          "run_id": "…", "start_time": "…"}},
      "given_up": ["<session id>", …],
      "exhausted": false
    }

`cursors` holds, per listing window (the incremental one, or an explicit `--since/--until`
backfill), the start time of the newest recording handed on plus the ids handed on at exactly
that start time (ties). Listing restarts at that start time (inclusive) and skips those ids.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from replayport.sources.posthog_replay.listing import format_time, parse_time

__all__ = [
    "INCREMENTAL_WINDOW",
    "CursorState",
    "ExtractionState",
    "PendingEntry",
    "window_key",
]

INCREMENTAL_WINDOW = "incremental"
_GIVEN_UP_KEEP = 1000


class CursorState(TypedDict):
    start_time: str
    ids: list[str]


class PendingEntry(TypedDict):
    attempts: int
    reason: str
    run_id: NotRequired[str | None]
    start_time: NotRequired[str | None]


def window_key(since: datetime | None, until: datetime | None) -> str:
    """Names the listing window a cursor belongs to."""
    if since is None and until is None:
        return INCREMENTAL_WINDOW
    lo = format_time(since) if since is not None else ""
    hi = format_time(until) if until is not None else ""
    return f"{lo}..{hi}"


class ExtractionState:
    """Typed access to the resource-state dict (mutates it in place)."""

    def __init__(self, state: MutableMapping[str, Any], window: str = INCREMENTAL_WINDOW) -> None:
        self._state = state
        self._window = window
        state.setdefault("cursors", {})
        state.setdefault("pending_retry", {})
        state.setdefault("given_up", [])

    @property
    def cursor(self) -> CursorState | None:
        cursor = self._state["cursors"].get(self._window)
        return cursor if cursor else None

    @property
    def cursor_time(self) -> datetime | None:
        cursor = self.cursor
        return parse_time(cursor["start_time"]) if cursor else None

    def already_handed_on(self, session_id: str, start_time: datetime) -> bool:
        """True when the listing position is at or before the cursor."""
        cursor = self.cursor
        if cursor is None:
            return False
        at = parse_time(cursor["start_time"])
        return start_time < at or (start_time == at and session_id in cursor["ids"])

    def advance(self, session_id: str, start_time: datetime) -> None:
        """Moves the cursor past `session_id` (listing order is ascending start time)."""
        cursor = self.cursor
        stamp = format_time(start_time)
        if cursor is None or start_time > parse_time(cursor["start_time"]):
            self._state["cursors"][self._window] = {"start_time": stamp, "ids": [session_id]}
        elif start_time == parse_time(cursor["start_time"]) and session_id not in cursor["ids"]:
            cursor["ids"].append(session_id)

    @property
    def pending(self) -> dict[str, PendingEntry]:
        return self._state["pending_retry"]

    def add_pending(
        self,
        session_id: str,
        reason: str,
        *,
        run_id: str | None,
        start_time: str | None,
        count_attempt: bool = True,
    ) -> int:
        """Records a recording to retry on the next run; returns its attempts so far."""
        entry = self.pending.get(session_id)
        attempts = (entry["attempts"] if entry else 0) + (1 if count_attempt else 0)
        self.pending[session_id] = {
            "attempts": attempts,
            "reason": reason,
            "run_id": run_id,
            "start_time": start_time,
        }
        return attempts

    def drop_pending(self, session_id: str) -> None:
        self.pending.pop(session_id, None)

    def give_up(self, session_id: str) -> None:
        self.drop_pending(session_id)
        given_up: list[str] = self._state["given_up"]
        if session_id not in given_up:
            given_up.append(session_id)
            del given_up[:-_GIVEN_UP_KEEP]

    @property
    def exhausted(self) -> bool:
        return bool(self._state.get("exhausted", False))

    @exhausted.setter
    def exhausted(self, value: bool) -> None:
        self._state["exhausted"] = bool(value)
