"""Single-core throughput of decode, privacy and Arrow, as ratios to merely parsing the bytes.

All cases read the same in-memory blob_v2 bodies of the scaled corpus (`corpus.py`):

- `baseline`: `orjson.loads` of every line - the practical floor (DESIGN.md "Performance goals");
- `parse_unpack` (reference, no goal): the baseline plus gunzip + `orjson.loads` of every
  `cv`-packed field - the least any decoder must do before it even sees the events, written
  here independently of the library;
- `decode`: `decode_snapshot_body` (split lines, parse, unpack `cv` fields, validate);
- `no_privacy`: decode + `process_recording` with `PrivacyPolicy(enabled=False)`, i.e.
  post-process + extract + Arrow tables (the privacy step passes events through);
- `full`: decode + `process_recording` with the default (private-by-default) policy - the whole
  decode → privacy → Arrow path a run takes for each recording;
- `privacy`: `mask_session` alone on already decoded, post-processed events (decoding for it
  happens outside the clock).

Each case gets a warm-up pass over a few sessions, then `repeat` rounds of one timed pass per
case; a case's best pass counts (least disturbed by the machine). The process is pinned to one
CPU while measuring. MB/s counts input body bytes; events/s counts input events (lines), so all
cases compare.
When a goal is missed, one pass of the failing path runs under cProfile and its top functions
go into the result for the owners of that code.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks.corpus import FULL, SMOKE, Corpus, build_corpus
from replayport.privacy.hashing import IdentifierHasher
from replayport.privacy.masker import mask_session
from replayport.privacy.policy import PrivacyPolicy
from replayport.rrweb.decode import decode_snapshot_body
from replayport.rrweb.postprocess import postprocess
from replayport.rrweb.types import DecodedStream, RecordingMeta
from replayport.session import ProcessingContext, RawRecording, process_recording

__all__ = ["GOAL_RATIO", "run_throughput"]

GOAL_RATIO = 1 / 3
"""decode + privacy + Arrow must reach a third of the baseline's speed (DESIGN.md)."""

_BENCH_KEY = "replayport-benchmark-hash-key"
_WARMUP_SESSIONS = 10
_PROFILE_TOP = 20
_FULL_SNAPSHOT = 2
_INCREMENTAL_SNAPSHOT = 3
_PACKED_NAMES = ("adds", "removes", "texts", "attributes")
"""Packed fields of Mutation and StyleSheetRule events (the latter only has adds/removes)."""
_GZIP_WBITS = 16 + zlib.MAX_WBITS


@dataclass(frozen=True)
class _Input:
    """One session's body and listing sidecar, read before any clock starts."""

    session_id: str
    name: str
    body: bytes
    meta: RecordingMeta


def run_throughput(
    corpus: Corpus, repeat: int = 3, limit: int | None = None, profile: bool = True
) -> dict[str, Any]:
    """Measure every case over the first `limit` sessions of `corpus` (all by default).

    Returns:
        A JSON-ready dict: input size, per-case best seconds / MB/s / events/s, ratios against
        the goals, and profiler hotspots for any missed goal.
    """
    inputs = [
        _Input(s.session_id, s.body.name, body, orjson.loads(s.sidecar.read_bytes()))
        for s, body in corpus.bodies(limit)
    ]
    total_bytes = sum(len(i.body) for i in inputs)
    total_events = sum(s.lines for s in corpus.sessions[: len(inputs)])
    disabled = _context(PrivacyPolicy(enabled=False))
    default = _context(PrivacyPolicy())

    cases: dict[str, Callable[[list[_Input]], float]] = {
        "baseline": _clocked(_parse_only),
        "parse_unpack": _clocked(_parse_and_unpack),
        "decode": _clocked(_decode_only),
        "no_privacy": _clocked(lambda items: _process(items, disabled)),
        "full": _clocked(lambda items: _process(items, default)),
        "privacy": lambda items: _mask_only(items, default.policy),
    }
    rows_out = _rows_out(inputs[0], default)
    runs: dict[str, list[float]] = {name: [] for name in cases}
    with _single_core() as pinned:
        for case in cases.values():
            case(inputs[:_WARMUP_SESSIONS])
        # Rounds go through every case once, so a burst of other work on the machine hits
        # all cases alike instead of one case's every pass.
        for _ in range(repeat):
            for name, case in cases.items():
                gc.collect()
                runs[name].append(case(inputs))
    results: dict[str, Any] = {}
    for name, times in runs.items():
        best = min(times)
        results[name] = {
            "seconds": round(best, 4),
            "runs": [round(t, 4) for t in times],
            "mb_per_s": round(total_bytes / 1e6 / best, 2),
            "events_per_s": round(total_events / best),
        }

    def ratio(case: str, to: str) -> float:
        return round(results[to]["seconds"] / results[case]["seconds"], 3)

    ratios = {
        "no_privacy_vs_baseline": ratio("no_privacy", "baseline"),
        "full_vs_baseline": ratio("full", "baseline"),
        "decode_vs_baseline": ratio("decode", "baseline"),
        "decode_vs_parse_unpack": ratio("decode", "parse_unpack"),
        "full_vs_parse_unpack": ratio("full", "parse_unpack"),
        "privacy_vs_decode": ratio("privacy", "decode"),
    }
    goals = {
        "no_privacy_vs_baseline": ratios["no_privacy_vs_baseline"] >= GOAL_RATIO,
        "full_vs_baseline": ratios["full_vs_baseline"] >= GOAL_RATIO,
    }
    result: dict[str, Any] = {
        "sessions": len(inputs),
        "bytes": total_bytes,
        "events": total_events,
        "packed_fields_inflated_bytes": _inflated_bytes(inputs),
        "repeat": repeat,
        "pinned_cpu": pinned,
        "first_session_rows": rows_out,
        "cases": results,
        "ratios": ratios,
        "goal_ratio": round(GOAL_RATIO, 4),
        "goals_met": goals,
        "stage_seconds": _stage_split(results),
    }
    if profile and not all(goals.values()):
        # The full path contains every stage of the no-privacy path, so one profile covers both.
        result["hotspots"] = _hotspots(lambda: _process(inputs, default))
    return result


def _context(policy: PrivacyPolicy) -> ProcessingContext:
    return ProcessingContext(
        policy=policy,
        hasher=IdentifierHasher(_BENCH_KEY),
        run_id="benchmark",
        extracted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _clocked(work: Callable[[list[_Input]], object]) -> Callable[[list[_Input]], float]:
    """`work` wrapped to return the seconds one call takes."""

    def run(items: list[_Input]) -> float:
        started = time.perf_counter()
        work(items)
        return time.perf_counter() - started

    return run


def _parse_only(items: list[_Input]) -> None:
    loads = orjson.loads
    for item in items:
        for line in item.body.splitlines():
            if line:
                loads(line)


def _packed_fields(event: Any) -> Iterator[str]:
    """The `cv: "2024-10"` packed strings of one parsed event (see `rrweb/packed.py`)."""
    if not isinstance(event, dict) or event.get("cv") != "2024-10":
        return
    data = event.get("data")
    if event.get("type") == _FULL_SNAPSHOT and isinstance(data, str):
        yield data
    elif event.get("type") == _INCREMENTAL_SNAPSHOT and isinstance(data, dict):
        for name in _PACKED_NAMES:
            value = data.get(name)
            if isinstance(value, str):
                yield value


def _parse_and_unpack(items: list[_Input]) -> None:
    loads, inflate = orjson.loads, zlib.decompress
    for item in items:
        for line in item.body.splitlines():
            if line:
                for packed in _packed_fields(loads(line)[1]):
                    loads(inflate(packed.encode("latin-1"), _GZIP_WBITS))


def _inflated_bytes(items: list[_Input]) -> int:
    """JSON bytes hidden inside the packed fields once inflated (they are parsed too)."""
    total = 0
    for item in items:
        for line in item.body.splitlines():
            if line:
                for packed in _packed_fields(orjson.loads(line)[1]):
                    total += len(zlib.decompress(packed.encode("latin-1"), _GZIP_WBITS))
    return total


def _decode(item: _Input) -> DecodedStream:
    return decode_snapshot_body(
        item.body, content_type="application/jsonl", source="blob_v2", origin=item.name
    )


def _raw(item: _Input) -> RawRecording:
    """The recording as the files source hands it over (body decoded, sidecar as metadata)."""
    return RawRecording(item.session_id, _decode(item), meta=item.meta, origin=item.name)


def _decode_only(items: list[_Input]) -> None:
    for item in items:
        _decode(item)


def _process(items: list[_Input], ctx: ProcessingContext) -> None:
    for item in items:
        process_recording(_raw(item), ctx)


def _rows_out(item: _Input, ctx: ProcessingContext) -> dict[str, int]:
    """Rows the full path makes of one session: proof the measured path really produces tables.

    Raises:
        RuntimeError: No `replay_events` came out, so the timings would measure nothing.
    """
    batch = process_recording(_raw(item), ctx)
    rows = {name: table.num_rows for name, table in batch.tables.items()}
    if not rows.get("replay_events"):
        raise RuntimeError(f"{item.name}: the full path produced no replay_events rows")
    return rows


def _mask_only(items: list[_Input], policy: PrivacyPolicy) -> float:
    """Seconds spent in `mask_session` alone; events are decoded fresh for every pass
    (masking may work in place), outside the clock."""
    spent = 0.0
    for item in items:
        events = postprocess(_decode(item).events)
        started = time.perf_counter()
        mask_session(events, policy)
        spent += time.perf_counter() - started
    return spent


def _stage_split(results: dict[str, Any]) -> dict[str, float]:
    """Where the full path's time goes, from differences between cases (best passes)."""
    seconds = {name: case["seconds"] for name, case in results.items()}
    return {
        "decode": seconds["decode"],
        "postprocess_extract_arrow": round(seconds["no_privacy"] - seconds["decode"], 4),
        "privacy_and_hashing": round(seconds["full"] - seconds["no_privacy"], 4),
        "mask_session_alone": seconds["privacy"],
    }


@contextmanager
def _single_core() -> Iterator[int | None]:
    """Pin this process to one CPU (the lowest it may use) and restore the mask afterwards."""
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


def _hotspots(work: Callable[[], object]) -> dict[str, Any]:
    """Where one profiled call of `work` spends its time: top functions by own time, and files
    by own time including the C built-ins (dict.get, orjson, regex…) their code calls directly -
    a file's total tells its owner how much there is to win."""
    profiler = cProfile.Profile()
    profiler.runcall(work)
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values()) or 1.0
    functions = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)
    per_file: dict[str, float] = {}
    for (file, _line, _func), (_, _, own, _, callers) in stats.items():
        if file != "~":
            name = _short_path(file)
            per_file[name] = per_file.get(name, 0.0) + own
            continue
        for (caller_file, _, _), caller_row in callers.items():
            # A caller row's third field is the built-in's own time when called from there.
            name = _short_path(caller_file)
            per_file[name] = per_file.get(name, 0.0) + caller_row[2]
    return {
        "profiled_s": round(total, 3),
        "functions": [
            {
                "function": func if file == "~" else f"{_short_path(file)}:{line}({func})",
                "calls": calls,
                "own_s": round(own, 3),
                "cumulative_s": round(cumulative, 3),
                "own_share": round(own / total, 3),
            }
            for (file, line, func), (_, calls, own, cumulative, _) in functions[:_PROFILE_TOP]
        ],
        "files": [
            {"file": name, "own_s": round(own, 3), "own_share": round(own / total, 3)}
            for name, own in sorted(per_file.items(), key=lambda item: item[1], reverse=True)[:12]
        ],
    }


def _short_path(file: str) -> str:
    """A profiler file name without the machine-specific prefix."""
    for marker in ("/connectors/", "/site-packages/", "/lib/python"):
        if marker in file:
            return file.split(marker, 1)[1]
    return Path(file).name if file.startswith("/") else file


def main() -> None:
    """Run the throughput benchmark alone and print its result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny corpus, one pass")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="only the first N sessions")
    args = parser.parse_args()
    corpus = build_corpus(SMOKE if args.smoke else FULL)
    result = run_throughput(corpus, repeat=1 if args.smoke else args.repeat, limit=args.limit)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
