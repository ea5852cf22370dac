"""Client-side sliding-window rate limiter for PostHog's per-key replay budget.

One limiter is shared by every call to one PostHog project (listing and snapshots alike, as
PostHog counts them) and by every thread fetching in parallel. A 429 with `Retry-After` pauses
all callers. Optionally the recent request times are kept in a small JSON file so that
consecutive or concurrent processes on one machine share the budget too: PostHog's window does
not restart when replayport does.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from replayport.errors import ConfigError
from replayport.sources.posthog_replay.settings import (
    LIMITER_SLACK_SECONDS,
    PLAN_BUDGETS,
    TierBudget,
)

try:  # POSIX only; without it the state file is still shared, just not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["RateLimiter", "Window", "resolve_budget", "shared_limiter"]

MINUTE = 60.0
HOUR = 3600.0


class Window(NamedTuple):
    """At most `limit` requests in any `seconds`-long sliding window."""

    seconds: float
    limit: int


def resolve_budget(
    plan_tier: str, requests_per_minute: int | None = None, requests_per_hour: int | None = None
) -> TierBudget:
    """Returns the tier's budget with the explicit overrides applied.

    Raises:
        ConfigError: unknown tier or a non-positive override.
    """
    tier = plan_tier.strip().lower()
    if tier not in PLAN_BUDGETS:
        raise ConfigError(
            f"unknown plan_tier {plan_tier!r}: expected one of {', '.join(PLAN_BUDGETS)}"
        )
    base = PLAN_BUDGETS[tier]
    per_minute = base.per_minute if requests_per_minute is None else int(requests_per_minute)
    per_hour = base.per_hour if requests_per_hour is None else int(requests_per_hour)
    if per_minute <= 0 or per_hour <= 0:
        raise ConfigError("requests_per_minute and requests_per_hour must be positive")
    return TierBudget(per_minute, per_hour)


class RateLimiter:
    """Thread-safe sliding-window limiter over several windows (per minute and per hour).

    `acquire()` blocks until a request may be sent and records it. Each recorded request
    occupies its slot for the window length plus `slack` seconds.
    """

    def __init__(
        self,
        windows: Sequence[Window],
        *,
        slack: float = LIMITER_SLACK_SECONDS,
        state_path: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not windows:
            raise ValueError("at least one window is required")
        self._windows = tuple(sorted(windows))
        self._slack = slack
        self._clock = clock
        self._cond = threading.Condition()
        self._sent: list[float] = []
        self._paused_until = 0.0
        self._state_path = Path(state_path) if state_path is not None else None
        if self._state_path is not None:
            self._state_path.parent.mkdir(parents=True, exist_ok=True)
            with self._file_lock():
                self._merge_file()

    @classmethod
    def for_budget(cls, budget: TierBudget, **kwargs: object) -> RateLimiter:
        """A limiter for `budget.per_minute` per minute and `budget.per_hour` per hour."""
        return cls(
            [Window(MINUTE, budget.per_minute), Window(HOUR, budget.per_hour)],
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def windows(self) -> tuple[Window, ...]:
        return self._windows

    def set_windows(self, windows: Sequence[Window]) -> None:
        """Replaces the limits (history is kept), e.g. when the configured budget changes."""
        with self._cond:
            self._windows = tuple(sorted(windows))
            self._cond.notify_all()

    def acquire(self, timeout: float | None = None) -> float:
        """Blocks until one more request fits in every window, then records it.

        Args:
            timeout: give up after this many seconds (None waits as long as needed).

        Returns:
            The seconds spent waiting.

        Raises:
            TimeoutError: no slot became free within `timeout`.
        """
        started = self._clock()
        with self._cond:
            while True:
                now = self._clock()
                with self._file_lock():
                    self._merge_file()
                    wait = self._wait_needed(now)
                    if wait <= 0:
                        self._sent.append(now)
                        self._save_file()
                        return now - started
                if timeout is not None and now - started + wait > timeout:
                    raise TimeoutError("no request slot within the timeout")
                # the condition is only a sleep that releases the lock; re-check afterwards
                self._cond.wait(timeout=min(wait, HOUR))

    def pause(self, seconds: float) -> None:
        """Stops every caller for `seconds` (the server's Retry-After)."""
        if seconds <= 0:
            return
        with self._cond:
            with self._file_lock():
                self._merge_file()
                self._paused_until = max(self._paused_until, self._clock() + seconds)
                self._save_file()
            self._cond.notify_all()

    def budget_left(self) -> int:
        """Requests that could be sent right now without waiting."""
        with self._cond:
            now = self._clock()
            if now < self._paused_until:
                return 0
            return max(
                0,
                min(
                    w.limit - self._count_since(now - w.seconds - self._slack)
                    for w in self._windows
                ),
            )

    def eta(self, calls: int) -> float:
        """Seconds until `calls` more requests can have been sent at the budget's steady rate."""
        if calls <= 0:
            return 0.0
        with self._cond:
            paused = max(0.0, self._paused_until - self._clock())
        left = self.budget_left() if paused == 0 else 0
        if calls <= left:
            return paused
        rate = min(w.limit / w.seconds for w in self._windows)
        return paused + (calls - left) / rate

    def sent_times(self) -> list[float]:
        """The recorded request times still inside the longest window (for tests and progress)."""
        with self._cond:
            return list(self._sent)

    def _count_since(self, since: float) -> int:
        return sum(1 for t in self._sent if t > since)

    def _wait_needed(self, now: float) -> float:
        self._prune(now)
        wait = self._paused_until - now
        for window in self._windows:
            horizon = now - window.seconds - self._slack
            inside = [t for t in self._sent if t > horizon]
            excess = len(inside) - window.limit + 1
            if excess > 0:
                # the `excess`-th oldest request in the window has to leave it first
                wait = max(wait, inside[excess - 1] - horizon)
        return wait

    def _prune(self, now: float) -> None:
        longest = self._windows[-1].seconds + self._slack
        horizon = now - longest
        if self._sent and self._sent[0] <= horizon:
            self._sent = [t for t in self._sent if t > horizon]

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._state_path is None or fcntl is None:
            yield
            return
        lock_path = self._state_path.with_suffix(".lock")
        with open(lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _merge_file(self) -> None:
        if self._state_path is None or not self._state_path.exists():
            return
        try:
            stored = json.loads(self._state_path.read_text())
            sent = [float(t) for t in stored.get("sent", [])]
            paused_until = float(stored.get("paused_until", 0.0))
        except (OSError, ValueError, TypeError, AttributeError):
            # a damaged file only loses history; the server still throttles us if needed
            return
        if sent:
            self._sent = sorted(set(self._sent).union(sent))
        self._paused_until = max(self._paused_until, paused_until)

    def _save_file(self) -> None:
        if self._state_path is None:
            return
        payload = {"sent": self._sent, "paused_until": self._paused_until}
        tmp = self._state_path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, self._state_path)


_REGISTRY: dict[str, RateLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_limiter(
    key: str, budget: TierBudget, *, state_path: str | os.PathLike[str] | None = None
) -> RateLimiter:
    """Returns the process-wide limiter for `key` (one per PostHog host + project).

    A runner builds a fresh source for every chunk of recordings; sharing the limiter keeps the
    budget across those chunks instead of restarting it each time.
    """
    windows = [Window(MINUTE, budget.per_minute), Window(HOUR, budget.per_hour)]
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(key)
        if limiter is None:
            limiter = RateLimiter(windows, state_path=state_path)
            _REGISTRY[key] = limiter
        elif list(limiter.windows) != sorted(windows):
            limiter.set_windows(windows)
        return limiter
