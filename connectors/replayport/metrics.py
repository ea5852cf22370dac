"""Counters of one run, shared by every stage; written to `_replayport_runs` at the end."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["RunMetrics"]


@dataclass
class RunMetrics:
    """Thread-safe counters and per-stage wall time for one run.

    Counter names used across the code: sessions_listed, sessions_extracted, sessions_skipped,
    sessions_failed, sessions_excluded, sessions_deleted, sessions_reprocessed, events, rejects,
    bytes_in, bytes_out, api_calls, api_429s, api_retries, errors.
    """

    counters: Counter[str] = field(default_factory=Counter)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    error_messages: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.counters[name] += amount

    def get(self, name: str) -> int:
        with self._lock:
            return self.counters[name]

    def error(self, message: str) -> None:
        """Count an error; `message` must already be free of secrets and personal data."""
        with self._lock:
            self.counters["errors"] += 1
            if len(self.error_messages) < 50:
                self.error_messages.append(message)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self.stage_seconds[name] = self.stage_seconds.get(name, 0.0) + elapsed
