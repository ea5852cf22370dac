"""PostHog API extraction: recordings archived per hour vs the tier budget's theoretical maximum.

For each plan tier (free, paid, enterprise) the real extraction path (`extract_posthog` driven
by a `runner.Run`, chunk by chunk into a real archive) pulls cloned corpus recordings from the
PostHog emulator (`tests.emulator`), which throttles with the tier's windows and answers 429 +
`Retry-After` like PostHog. Real hours are impossible here, so time is **scaled**: one hour
lasts `hour_seconds` wall seconds (default 50) and one minute `hour_seconds / 60`, in the
emulator's throttle AND in the client's limiter (same factor for both windows), so both agree on
every window. The limiter's slack stays at the product's 0.5 wall seconds: what it absorbs (the
delay between the client stamping a request and the server receiving it, GIL stalls included)
does not shrink with scaled time; scaled to 7 ms it lets requests arrive early and draws 429s.

The emulator runs in its own process so that its clock and request log are not delayed by the
client's work (decode, privacy, Arrow, dlt) competing for the GIL.

Measurement (all times are the emulator's, from its request log; `t0` = first request):

- theoretical maximum = `per_hour / ideal calls per recording`, where the ideal is
  `1 sources + ceil(blocks / 20) data calls` (mean over the run's recordings) plus the ideal
  listing share `ceil(N / page_size) / N`;
- achieved (sustained) = recordings' worth of work done in the scaled hour `[t0 + 1 h,
  t0 + 2 h)`: each successful snapshot call of an archived recording credits
  `1 / (its successful calls)`, so a recording straddling the boundary counts fractionally.
  The first hour is left out on purpose: a fresh sliding-window budget lets a client spend a
  whole hour's budget in its first minutes, which no sustained run can repeat;
- whole run = the time an ideal client (zero latency, zero slack, exactly the ideal calls)
  needs for the same recordings ÷ the time the real run needed (first to last useful call);
- calls per recording, listing calls, 429s and wasted calls (429s, 5xx, calls for recordings
  not archived, listing calls beyond the ideal share).

Run: `.venv/bin/python -m benchmarks.bench_api [--tiers free,paid] [--hour-seconds 50]` writes
`results/api.json` and `results/api.md` and prints the markdown.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["TIERS", "TierResult", "main", "render_markdown", "run_tier", "scaled_windows"]

TIERS = ("free", "paid", "enterprise")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET = 0.95
"""Share of the budget that must be used usefully (issue 4, "Must show")."""

_HASH_KEY = "replayport-benchmark-hash-key"
_PAGE_SIZE = 100
"""The source's default `page_size`: the ideal listing share is one call per this many."""
_MAX_BLOCKS_PER_CALL = 20
_HOURS_TO_FILL = 2.6
"""Ideal budget-hours of work per tier: past `t0 + 2 h` so the measured hour is full, and
ending early in the third burst so the wall time stays short."""
_SERVE_READY_TIMEOUT = 60.0


# -- the emulator, in a child process ------------------------------------------------------


def _serve(args: argparse.Namespace) -> None:
    """Child process: runs the throttled emulator until SIGTERM, then writes its request log."""
    from tests.emulator import EmulatorConfig, PostHogEmulator, build_recordings

    windows = [(float(s), int(n)) for s, n in json.loads(args.windows)]
    recordings = build_recordings(args.count, seed=args.seed, unsettled=0, lts=())
    config = EmulatorConfig(throttle_windows=windows, seed=args.seed)
    emulator = PostHogEmulator(recordings, config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    emulator.start()
    manifest = {
        "url": emulator.url,
        "project_id": config.project_id,
        "api_key": config.api_key,
        "blocks": {r.session_id: r.n_blocks for r in emulator.settled()},
    }
    # written aside and renamed so the parent never reads half a manifest
    tmp = Path(args.manifest).with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest))
    os.replace(tmp, args.manifest)
    stop.wait()
    emulator.stop()
    with open(args.log, "w") as handle:
        for entry in emulator.log:
            handle.write(json.dumps(asdict(entry)) + "\n")


@contextmanager
def _emulator(
    workdir: Path, count: int, windows: Sequence[tuple[float, int]], seed: int
) -> Iterator[tuple[dict[str, Any], Path]]:
    """Starts the emulator process; yields (manifest, path of the log written at exit)."""
    manifest_path = workdir / "emulator.json"
    log_path = workdir / "emulator-log.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.bench_api",
        "--serve",
        "--count",
        str(count),
        "--seed",
        str(seed),
        "--windows",
        json.dumps(list(windows)),
        "--manifest",
        str(manifest_path),
        "--log",
        str(log_path),
    ]
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(cmd, cwd=root)
    try:
        deadline = time.monotonic() + _SERVE_READY_TIMEOUT
        while not manifest_path.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator process did not start")
            time.sleep(0.05)
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        yield manifest, log_path
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


# -- time scaling of the client's limiter ----------------------------------------------------


def scaled_windows(per_minute: int, per_hour: int, hour_seconds: float) -> list[tuple[float, int]]:
    """The tier's (window seconds, limit) pairs with one hour lasting `hour_seconds`."""
    return [(hour_seconds / 60.0, per_minute), (hour_seconds, per_hour)]


@contextmanager
def _scaled_limiter(hour_seconds: float, slack: float | None = None) -> Iterator[None]:
    """Makes every limiter the source builds use scaled windows (restored after).

    No product hook exists for this: `shared_limiter` reads the module constants `MINUTE` and
    `HOUR` when it builds a limiter, and the slack is `RateLimiter.__init__`'s keyword default.

    Args:
        hour_seconds: wall seconds per scaled hour.
        slack: the limiter's slack in wall seconds; None keeps the product's value.
    """
    from replayport.sources.posthog_replay import ratelimit

    factor = hour_seconds / ratelimit.HOUR
    defaults = ratelimit.RateLimiter.__init__.__kwdefaults__
    saved = (ratelimit.MINUTE, ratelimit.HOUR, dict(defaults))
    ratelimit.MINUTE = ratelimit.MINUTE * factor
    ratelimit.HOUR = hour_seconds
    if slack is not None:
        defaults["slack"] = slack
    try:
        yield
    finally:
        ratelimit.MINUTE, ratelimit.HOUR = saved[0], saved[1]
        defaults.clear()
        defaults.update(saved[2])


# -- one tier ------------------------------------------------------------------------------


@dataclass
class TierResult:
    """One tier's measurement (rates in recordings per *scaled* hour)."""

    tier: str
    per_minute: int
    per_hour: int
    hour_seconds: float
    recordings: int
    archived: int
    blocks_mean: float
    ideal_calls_per_recording: float
    """1 + ceil(blocks / 20), mean over the recordings, plus the ideal listing share."""
    calls_per_recording: float
    """All requests of the run ÷ recordings archived."""
    snapshot_calls_per_recording: float
    listing_calls: int
    ideal_listing_calls: int
    requests: int
    status_429: int
    status_5xx: int
    wasted_calls: int
    theoretical_per_hour: float
    achieved_per_hour: float
    """Sustained: recordings' worth of work in the scaled hour [t0 + 1 h, t0 + 2 h)."""
    utilisation: float
    """achieved ÷ theoretical."""
    budget_used_in_hour: float
    """Requests in that hour ÷ per_hour (any kind, useful or not)."""
    whole_run_efficiency: float
    """Ideal client's time for the same recordings ÷ the real run's time."""
    max_in_minute: int
    max_in_hour: int
    wall_seconds: float
    scaled_hours: float
    meets_target: bool
    slack_seconds: float = 0.0
    """The client limiter's slack (wall seconds; not scaled, see the module docstring)."""
    notes: list[str] = field(default_factory=list)


def _ideal_send_times(calls: int, windows: Sequence[tuple[float, int]]) -> list[float]:
    """When a perfect client (no latency, no slack) sends each of `calls`, from t = 0."""
    times: list[float] = []
    for k in range(calls):
        t = times[-1] if times else 0.0
        for seconds, limit in windows:
            if k >= limit:
                t = max(t, times[k - limit] + seconds)
        times.append(t)
    return times


def _max_in_window(times: Sequence[float], seconds: float) -> int:
    best = lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _count_recordings(tier: str, hour_seconds: float) -> int:
    """Recordings for about `_HOURS_TO_FILL` hours of the tier's budget (3 calls each)."""
    from replayport.sources.posthog_replay.ratelimit import resolve_budget

    budget = resolve_budget(tier)
    return max(3, int(budget.per_hour * _HOURS_TO_FILL / 3.0))


def run_tier(
    tier: str,
    *,
    hour_seconds: float = 50.0,
    count: int | None = None,
    seed: int = 7,
    slack: float | None = None,
    workdir: Path | None = None,
) -> TierResult:
    """Extracts `count` recordings under the tier's scaled budget and measures throughput.

    Args:
        tier: plan tier (its budget from `resolve_budget`).
        hour_seconds: wall seconds per scaled hour.
        count: recordings to serve (default: about `_HOURS_TO_FILL` hours of budget).
        seed: emulator seed (ids, start times, block splits).
        slack: limiter slack in wall seconds (None: the product's `LIMITER_SLACK_SECONDS`).
        workdir: parent of the temporary work directory.
    """
    from replayport.archive.store import Archive
    from replayport.config import Settings
    from replayport.progress import NullProgress
    from replayport.runner import Run
    from replayport.sources.posthog_replay.extract import extract_posthog
    from replayport.sources.posthog_replay.ratelimit import resolve_budget
    from replayport.sources.posthog_replay.settings import LIMITER_SLACK_SECONDS

    budget = resolve_budget(tier)
    windows = scaled_windows(budget.per_minute, budget.per_hour, hour_seconds)
    n = count if count is not None else _count_recordings(tier, hour_seconds)
    with tempfile.TemporaryDirectory(prefix=f"bench-api-{tier}-", dir=workdir) as tmp:
        root = Path(tmp)
        with _emulator(root, n, windows, seed) as (manifest, log_path):
            env = {
                "SOURCES__POSTHOG_REPLAY__HOST": manifest["url"],
                "SOURCES__POSTHOG_REPLAY__PROJECT_ID": str(manifest["project_id"]),
                "SOURCES__POSTHOG_REPLAY__API_KEY": manifest["api_key"],
                "SOURCES__POSTHOG_REPLAY__PLAN_TIER": tier,
                "REPLAYPORT__HASH_KEY": os.environ.get("REPLAYPORT__HASH_KEY") or _HASH_KEY,
                "RUNTIME__DLTHUB_TELEMETRY": "false",
            }
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                settings = Settings.resolve(root / "work")
                started = time.monotonic()
                with _scaled_limiter(hour_seconds, slack):
                    run = Run(settings, "extract", source="posthog")
                    # the deletion check re-lists archived ids once per run: a per-run
                    # constant that would only add a tail outside the measured hour
                    extract_posthog(run, progress=NullProgress(), check_deletions=False)
                wall = time.monotonic() - started
                archived = Archive(settings).session_ids()
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
        log = [json.loads(line) for line in log_path.read_text().splitlines() if line]
    result = _measure(
        tier,
        budget.per_minute,
        budget.per_hour,
        hour_seconds,
        windows,
        manifest["blocks"],
        archived,
        log,
        wall,
    )
    result.slack_seconds = LIMITER_SLACK_SECONDS if slack is None else slack
    return result


def _measure(
    tier: str,
    per_minute: int,
    per_hour: int,
    hour_seconds: float,
    windows: Sequence[tuple[float, int]],
    blocks: dict[str, int],
    archived: set[str],
    log: list[dict[str, Any]],
    wall: float,
) -> TierResult:
    """Turns the emulator's request log into the tier's numbers."""
    n = len(blocks)
    ideal_snap = {sid: 1 + math.ceil(b / _MAX_BLOCKS_PER_CALL) for sid, b in blocks.items()}
    ideal_listing = math.ceil(n / _PAGE_SIZE)
    ideal_cpr = (sum(ideal_snap.values()) + ideal_listing) / n
    theoretical = per_hour / ideal_cpr

    log.sort(key=lambda e: e["time"])
    t0 = log[0]["time"]
    times = [e["time"] - t0 for e in log]
    ok = [e for e in log if e["status"] == 200]
    useful = [e for e in ok if e["kind"] in ("sources", "data") and e["session_id"] in archived]
    per_rec: dict[str, int] = {}
    for e in useful:
        per_rec[e["session_id"]] = per_rec.get(e["session_id"], 0) + 1
    lo, hi = t0 + hour_seconds, t0 + 2 * hour_seconds
    # fractional credit: a recording half fetched in the hour counts as half a recording
    achieved = sum(1.0 / per_rec[e["session_id"]] for e in useful if lo <= e["time"] < hi)
    in_hour = sum(1 for e in log if lo <= e["time"] < hi)

    listing = sum(1 for e in ok if e["kind"] == "listing")
    s429 = sum(1 for e in log if e["status"] == 429)
    s5xx = sum(1 for e in log if e["status"] >= 500)
    wasted = len(log) - len(useful) - min(listing, ideal_listing)

    ideal_calls = sum(ideal_snap[sid] for sid in archived if sid in ideal_snap) + ideal_listing
    ideal_time = _ideal_send_times(ideal_calls, windows)[-1] if ideal_calls else 0.0
    real_time = max(e["time"] for e in useful) - t0 if useful else float("inf")

    notes: list[str] = []
    if times[-1] < 2 * hour_seconds:
        notes.append("run ended before t0 + 2 h: the measured hour is not full")
    if len(archived) < n:
        notes.append(f"{n - len(archived)} recordings not archived")
    utilisation = achieved / theoretical if theoretical else 0.0
    return TierResult(
        tier=tier,
        per_minute=per_minute,
        per_hour=per_hour,
        hour_seconds=hour_seconds,
        recordings=n,
        archived=len(archived),
        blocks_mean=round(sum(blocks.values()) / n, 2),
        ideal_calls_per_recording=round(ideal_cpr, 4),
        calls_per_recording=round(len(log) / max(1, len(archived)), 4),
        snapshot_calls_per_recording=round(len(useful) / max(1, len(archived)), 4),
        listing_calls=listing,
        ideal_listing_calls=ideal_listing,
        requests=len(log),
        status_429=s429,
        status_5xx=s5xx,
        wasted_calls=wasted,
        theoretical_per_hour=round(theoretical, 2),
        achieved_per_hour=round(achieved, 2),
        utilisation=round(utilisation, 4),
        budget_used_in_hour=round(in_hour / per_hour, 4),
        whole_run_efficiency=round(ideal_time / real_time, 4) if real_time else 0.0,
        max_in_minute=_max_in_window(times, windows[0][0]),
        max_in_hour=_max_in_window(times, windows[1][0]),
        wall_seconds=round(wall, 1),
        scaled_hours=round(times[-1] / hour_seconds, 3),
        meets_target=utilisation >= TARGET,
        notes=notes,
    )


# -- report --------------------------------------------------------------------------------


def render_markdown(results: Sequence[TierResult], meta: dict[str, Any]) -> str:
    """The results as a markdown section."""
    hour = results[0].hour_seconds if results else 0.0
    lines = [
        "## PostHog API: recordings per hour vs the tier budget",
        "",
        f"Scaled time: 1 h = {hour:g} s, 1 min = {hour / 60:.3g} s (emulator throttle and client "
        f"limiter alike). Real path: `extract_posthog` into an archive. {meta['when']}, "
        f"Python {meta['python']}.",
        "",
        "| tier | budget (min / h) | recordings | ideal calls/rec | actual calls/rec "
        "| theoretical rec/h | achieved rec/h (2nd hour) | utilisation | whole run "
        "| 429s | wasted calls | max sent in any min / h |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        verdict = "✅" if r.meets_target else "❌"
        lines.append(
            f"| {r.tier} | {r.per_minute} / {r.per_hour} | {r.archived}/{r.recordings} "
            f"| {r.ideal_calls_per_recording:.3f} | {r.calls_per_recording:.3f} "
            f"| {r.theoretical_per_hour:.1f} | {r.achieved_per_hour:.1f} "
            f"| {verdict} {r.utilisation:.1%} | {r.whole_run_efficiency:.1%} "
            f"| {r.status_429} | {r.wasted_calls} | {r.max_in_minute} / {r.max_in_hour} |"
        )
    lines += [
        "",
        f"Target: ≥ {TARGET:.0%} of the budget used usefully (utilisation = achieved ÷ "
        "theoretical, where theoretical = per-hour budget ÷ (1 sources + ceil(blocks/20) data "
        f"calls + one listing call per {_PAGE_SIZE} recordings)). Achieved counts the "
        "recordings' worth of snapshot calls in the scaled hour [t0 + 1 h, t0 + 2 h); whole "
        "run = an ideal client's time for the same recordings ÷ the real time (includes the "
        "fresh first-hour burst).",
    ]
    for r in results:
        for note in r.notes:
            lines.append(f"- {r.tier}: {note}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point (also the emulator child with `--serve`)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiers", default=",".join(TIERS))
    parser.add_argument(
        "--hour-seconds",
        type=float,
        default=50.0,
        help="wall seconds per scaled hour (a minute is 1/60 of it)",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=None,
        help="recordings per tier (default: ~2.6 h of the tier's budget)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--slack-seconds",
        type=float,
        default=None,
        help="limiter slack in wall seconds (default: the product's 0.5 s)",
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    # the emulator child process
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--windows", help=argparse.SUPPRESS)
    parser.add_argument("--manifest", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args)
        return 0
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    results = [
        run_tier(
            tier.strip(),
            hour_seconds=args.hour_seconds,
            count=args.count,
            seed=args.seed,
            slack=args.slack_seconds,
        )
        for tier in args.tiers.split(",")
        if tier.strip()
    ]
    meta = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": sys.version.split()[0],
        "target": TARGET,
        "cpus": os.cpu_count(),
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "results": [asdict(r) for r in results]}
    (args.output_dir / "api.json").write_text(json.dumps(payload, indent=2) + "\n")
    markdown = render_markdown(results, meta)
    (args.output_dir / "api.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
