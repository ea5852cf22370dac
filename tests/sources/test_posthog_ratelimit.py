"""The client-side rate limiter: sliding-window math, threads, pauses, persistence."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from replayport.errors import ConfigError
from replayport.sources.posthog_replay.ratelimit import (
    RateLimiter,
    Window,
    resolve_budget,
    shared_limiter,
)
from replayport.sources.posthog_replay.settings import TierBudget


def _max_in_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    best = lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@pytest.mark.parametrize(
    ("tier", "minute", "hour", "expected"),
    [
        ("free", None, None, TierBudget(12, 60)),
        ("paid", None, None, TierBudget(60, 300)),
        ("enterprise", None, None, TierBudget(100, 400)),
        ("free", 30, None, TierBudget(30, 60)),
        ("Paid", None, 1000, TierBudget(60, 1000)),
    ],
    ids=["free", "paid", "enterprise", "minute_override", "hour_override_case_insensitive"],
)
def test_resolve_budget(
    tier: str, minute: int | None, hour: int | None, expected: TierBudget
) -> None:
    assert resolve_budget(tier, minute, hour) == expected


def test_resolve_budget_rejects_bad_values() -> None:
    with pytest.raises(ConfigError):
        resolve_budget("platinum")
    with pytest.raises(ConfigError):
        resolve_budget("free", 0)


def test_never_more_than_limit_per_window_across_threads() -> None:
    limiter = RateLimiter([Window(0.3, 3), Window(1.0, 6)], slack=0.0)
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(2):
            limiter.acquire()
            with lock:
                times.append(time.time())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(times) == 12
    # a hair of tolerance for the time between acquire() returning and time.time()
    assert _max_in_window(times, 0.3 - 0.01) <= 3
    assert _max_in_window(times, 1.0 - 0.01) <= 6
    # and it did not serialise more than needed: 12 requests at 6/s take about 1 s
    assert max(times) - min(times) < 2.5


def test_budget_left_and_eta_follow_the_windows() -> None:
    now = [1000.0]
    limiter = RateLimiter([Window(60, 12), Window(3600, 60)], slack=0.0, clock=lambda: now[0])
    assert limiter.budget_left() == 12
    assert limiter.eta(12) == 0
    for _ in range(12):
        limiter.acquire()
    assert limiter.budget_left() == 0
    # steady state is the hourly rate: 60/h = one per minute
    assert limiter.eta(10) == pytest.approx(600)
    now[0] += 61
    assert limiter.budget_left() == 12
    with pytest.raises(TimeoutError):
        for _ in range(13):
            limiter.acquire(timeout=0)


def test_pause_blocks_every_caller() -> None:
    limiter = RateLimiter([Window(60, 1000)], slack=0.0)
    limiter.pause(0.3)
    assert limiter.budget_left() == 0
    started = time.monotonic()
    waited = []

    def worker() -> None:
        limiter.acquire()
        waited.append(time.monotonic() - started)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert min(waited) >= 0.28


def test_state_file_shares_the_budget_between_limiters(tmp_path: Path) -> None:
    path = tmp_path / "rl" / "limiter.json"
    first = RateLimiter([Window(30, 4)], slack=0.0, state_path=path)
    for _ in range(4):
        first.acquire()
    # a new process (a new limiter on the same file) sees the budget as spent
    second = RateLimiter([Window(30, 4)], slack=0.0, state_path=path)
    assert second.budget_left() == 0
    with pytest.raises(TimeoutError):
        second.acquire(timeout=0.05)
    second.pause(5)
    third = RateLimiter([Window(30, 4)], slack=0.0, state_path=path)
    assert third.eta(1) >= 4.5


def test_damaged_state_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "limiter.json"
    path.write_text("{not json")
    limiter = RateLimiter([Window(30, 4)], slack=0.0, state_path=path)
    assert limiter.budget_left() == 4
    limiter.acquire()
    assert RateLimiter([Window(30, 4)], slack=0.0, state_path=path).budget_left() == 3


def test_shared_limiter_is_one_per_project_and_follows_budget_changes() -> None:
    a = shared_limiter("https://x.test|1-test", TierBudget(12, 60))
    b = shared_limiter("https://x.test|1-test", TierBudget(30, 60))
    c = shared_limiter("https://x.test|2-test", TierBudget(12, 60))
    assert a is b
    assert a is not c
    assert [w.limit for w in a.windows] == [30, 60]
