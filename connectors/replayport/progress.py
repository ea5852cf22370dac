"""Progress reporting: a rich bar on a terminal, plain log lines in CI and pipes.

Reporters only ever receive counts (recordings, blocks, bytes, budget): never ids, URLs,
secrets or recording content.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Protocol, runtime_checkable

__all__ = [
    "LogProgress",
    "NullProgress",
    "ProgressReporter",
    "ProgressSnapshot",
    "RichProgress",
    "format_line",
    "make_progress",
]

logger = logging.getLogger("replayport.progress")


@dataclass(frozen=True)
class ProgressSnapshot:
    """Where an extraction stands."""

    recordings_done: int = 0
    recordings_total: int | None = None
    """Known so far (the listing is paged, so it can grow); None while unknown."""
    blocks: int = 0
    bytes_in: int = 0
    budget_left: int | None = None
    """API requests that could be sent right now."""
    eta_seconds: float | None = None
    """Time the remaining known recordings need at the configured API budget."""
    failed: int = 0


@runtime_checkable
class ProgressReporter(Protocol):
    """Receives progress snapshots; implementations decide how (and how often) to show them."""

    def update(self, snapshot: ProgressSnapshot) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    """Shows nothing."""

    def update(self, snapshot: ProgressSnapshot) -> None:
        return None

    def close(self) -> None:
        return None


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def format_line(snapshot: ProgressSnapshot) -> str:
    """`progress recordings=3/12 blocks=71 bytes=1843201 budget_left=9 eta=1m05s failed=0`."""
    total = "?" if snapshot.recordings_total is None else str(snapshot.recordings_total)
    budget = "?" if snapshot.budget_left is None else str(snapshot.budget_left)
    return (
        f"progress recordings={snapshot.recordings_done}/{total} blocks={snapshot.blocks} "
        f"bytes={snapshot.bytes_in} budget_left={budget} eta={_fmt_eta(snapshot.eta_seconds)} "
        f"failed={snapshot.failed}"
    )


class LogProgress:
    """Logs one INFO line at most every `min_interval` seconds, and the last state on close.

    Args:
        log: the logger to write to (`replayport.progress` by default).
        min_interval: seconds between lines; 0 logs every update.
    """

    def __init__(self, log: logging.Logger | None = None, min_interval: float = 5.0) -> None:
        self._log = log or logger
        self._min_interval = min_interval
        self._last_time = 0.0
        self._last: ProgressSnapshot | None = None
        self._logged: ProgressSnapshot | None = None
        self._lock = threading.Lock()

    def update(self, snapshot: ProgressSnapshot) -> None:
        with self._lock:
            self._last = snapshot
            now = time.monotonic()
            if now - self._last_time >= self._min_interval:
                self._last_time = now
                self._emit(snapshot)

    def close(self) -> None:
        with self._lock:
            if self._last is not None and self._last != self._logged:
                self._emit(self._last)

    def _emit(self, snapshot: ProgressSnapshot) -> None:
        self._logged = snapshot
        if self._log.hasHandlers():
            self._log.info("%s", format_line(snapshot))
        else:
            # logging not configured (a bare CLI run in CI): still show the line
            print(f"INFO {format_line(snapshot)}", file=sys.stderr, flush=True)


class RichProgress:
    """A rich progress bar: recordings done/total, blocks, bytes, API budget left, ETA."""

    def __init__(self, stream: IO[str] | None = None, description: str = "PostHog") -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            console=Console(file=stream or sys.stderr),
            transient=False,
        )
        self._task = self._progress.add_task(description, total=None, detail="")
        self._progress.start()
        self._lock = threading.Lock()

    def update(self, snapshot: ProgressSnapshot) -> None:
        budget = "?" if snapshot.budget_left is None else str(snapshot.budget_left)
        detail = (
            f"blocks {snapshot.blocks} · {snapshot.bytes_in / 1e6:.1f} MB · "
            f"budget left {budget} · ETA {_fmt_eta(snapshot.eta_seconds)}"
        )
        if snapshot.failed:
            detail += f" · failed {snapshot.failed}"
        with self._lock:
            self._progress.update(
                self._task,
                completed=snapshot.recordings_done,
                total=snapshot.recordings_total,
                detail=detail,
            )

    def close(self) -> None:
        with self._lock:
            self._progress.stop()


def make_progress(stream: IO[str] | None = None) -> ProgressReporter:
    """A rich bar when `stream` (stderr by default) is a terminal and `CI` is unset, else
    plain log lines."""
    stream = stream or sys.stderr
    interactive = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")
    if interactive:
        return RichProgress(stream)
    return LogProgress()
