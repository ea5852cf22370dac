"""Smoke test: the PostHog API benchmark still runs end to end, at a tiny scale (no timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench_api
from replayport.sources.posthog_replay import ratelimit


def test_ideal_schedule_honours_both_windows() -> None:
    times = bench_api._ideal_send_times(30, [(1.0, 12), (5.0, 20)])
    assert times[:12] == [0.0] * 12
    assert times[12] == 1.0
    assert times[20] == 5.0  # the hourly window binds after 20 calls


def test_api_benchmark_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    minute, hour = ratelimit.MINUTE, ratelimit.HOUR
    code = bench_api.main(
        ["--tiers", "free", "--hour-seconds", "3", "--count", "4", "--output-dir", str(tmp_path)]
    )
    assert code == 0
    # the scaled windows are only in effect while the benchmark runs
    assert (ratelimit.MINUTE, ratelimit.HOUR) == (minute, hour)
    assert ratelimit.RateLimiter.__init__.__kwdefaults__["slack"] > 0.1
    payload = json.loads((tmp_path / "api.json").read_text())
    (result,) = payload["results"]
    assert result["tier"] == "free"
    assert result["archived"] == result["recordings"] == 4
    assert result["status_429"] == 0
    assert result["max_in_minute"] <= result["per_minute"]
    assert result["max_in_hour"] <= result["per_hour"]
    assert "| free |" in (tmp_path / "api.md").read_text()
