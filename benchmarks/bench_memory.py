"""Peak RSS of the real CLI, `replayport run --source files --destination duckdb`, per input size.

Each case runs the console script with a fresh workdir under a tiny fresh Python launcher that
reports `getrusage(RUSAGE_CHILDREN).ru_maxrss` - the CLI's peak resident set size (and that of
any process the CLI waited for). The launcher matters: Linux carries `ru_maxrss` across
`execve`, and Python spawns with vfork, so a CLI started straight from this (by then large)
benchmark process would report *our* peak as its own. Cases, all from the scaled corpus
(`corpus.py`):

- `small`: one corpus session - the constant cost (interpreter, dlt, DuckDB, deltalake);
- `large`: the one large session alone - the footprint of the largest single session;
- `half`: the first half of the many-session corpus;
- `many`: the whole many-session corpus (≥ 100 MB of snapshot JSON).

DESIGN.md promises memory bounded by the largest single session, not by the number of sessions:
`many` should stay near `half` (doubling the sessions adds little) and below `large` (whose one
session is far bigger than any session of `many`, though `many` holds more bytes in total).
Each case also runs split in two, `replayport extract` then `replayport load` (unless
`--no-stages`): the streaming decode → privacy → archive stage is what the promise is about,
the archive → DuckDB load is DuckDB's and dlt's business, and the split shows which one grows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson

from benchmarks.corpus import FULL, SMOKE, Corpus, CorpusSession, build_corpus

__all__ = ["ALL_CASES", "BOUNDED_GROWTH", "run_memory"]

ALL_CASES = ("small", "large", "half", "many")
BOUNDED_GROWTH = 1.15
"""`many` may use at most this much more memory than `half` (twice the sessions) to count as
bounded."""
_HASH_KEY = "replayport-benchmark-hash-key"
_LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""
"""Runs argv[2:], then writes its children's peak RSS to the file argv[1]."""


def run_memory(
    corpus: Corpus,
    cases: Sequence[str] = ALL_CASES,
    workdir: Path | None = None,
    stages: bool = True,
) -> dict[str, Any]:
    """Run the CLI once per case and report peak RSS, wall time and what was loaded.

    With `stages`, each case also runs as `replayport extract` then `replayport load` (two more
    processes, another workdir), which tells the decode → privacy → archive stream apart from
    the archive → DuckDB load when `run` is not bounded.

    Returns:
        A JSON-ready dict with one entry per case and, when the cases allow, the boundedness
        figures (`many` vs `half`, `many` vs `large`, growth per extra session), for `run` and
        per stage.
    """
    base = Path(tempfile.mkdtemp(prefix="replayport-bench-memory-", dir=workdir))
    half = len(corpus.sessions) // 2 or 1
    inputs: dict[str, tuple[Sequence[CorpusSession], Path | None]] = {
        "small": (corpus.sessions[:1], None),
        "large": ((corpus.large,), corpus.large_dir),
        "half": (corpus.sessions[:half], None),
        "many": (corpus.sessions, corpus.many_dir),
    }
    results: dict[str, Any] = {}
    try:
        for case in cases:
            sessions, directory = inputs[case]
            if directory is None:
                # A subset: a directory of links to the same files (no copies, same bytes).
                directory = _linked_subset(base / f"{case}-input", sessions)
            results[case] = {
                "sessions": len(sessions),
                "input_bytes": sum(s.body_bytes for s in sessions),
                "largest_session_bytes": max(s.body_bytes for s in sessions),
                **_run_cli(base / f"{case}-workdir", "run", directory),
            }
            if stages:
                staged = base / f"{case}-staged"
                results[case]["stages"] = {
                    "extract": _run_cli(staged, "extract", directory),
                    "load": _run_cli(staged, "load", None),
                }
            shutil.rmtree(base / f"{case}-workdir", ignore_errors=True)
            shutil.rmtree(base / f"{case}-staged", ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    out: dict[str, Any] = {"cases": results, **_boundedness(_peaks(results))}
    if stages:
        out["stages"] = {
            stage: _boundedness(_peaks(results, stage)) for stage in ("extract", "load")
        }
    return out


def _peaks(results: dict[str, Any], stage: str | None = None) -> dict[str, Any]:
    """`{case: {"sessions", "peak_rss_mb"}}` of `run`, or of one stage."""
    return {
        case: {
            "sessions": r["sessions"],
            "peak_rss_mb": (r["stages"][stage] if stage else r)["peak_rss_mb"],
        }
        for case, r in results.items()
    }


def _linked_subset(directory: Path, sessions: Sequence[CorpusSession]) -> Path:
    directory.mkdir(parents=True)
    for session in sessions:
        for path in (session.body, session.sidecar):
            (directory / path.name).symlink_to(path)
    return directory


def _cli() -> list[str]:
    """The installed console script next to this interpreter, else `python -m replayport`."""
    script = Path(sys.executable).with_name("replayport")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "replayport"]


def _run_cli(workdir: Path, command_name: str, path: Path | None) -> dict[str, Any]:
    """One `replayport <command_name>` (`run`, `extract` or `load`) in `workdir` over `path`;
    its peak RSS, wall time, exit code and, once DuckDB exists, what it holds.

    Raises:
        RuntimeError: The CLI failed outright: an exit code other than 0 or 1 (usage, crash), or
            nothing written (exit code 1 also covers a crash before any work).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "REPLAYPORT__HASH_KEY": _HASH_KEY,
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(workdir / "dlt-data"),
    }
    command = [*_cli(), "--workdir", str(workdir), command_name]
    if command_name in ("run", "extract"):
        command += ["--source", "files", "--path", str(path)]
    if command_name in ("run", "load"):
        command += ["--destination", "duckdb"]
    log = workdir / f"{command_name}.log"
    rss_file = workdir / f"{command_name}.peak-rss"
    started = time.perf_counter()
    with log.open("wb") as output:
        # cwd is the fresh workdir so no stray .dlt/ config changes what is measured.
        code = subprocess.call(
            [sys.executable, "-S", "-c", _LAUNCHER, str(rss_file), *command],
            cwd=workdir,
            env=env,
            stdout=output,
            stderr=output,
        )
    seconds = time.perf_counter() - started
    if command_name == "extract":
        loaded: dict[str, int] = {}
        wrote = (workdir / "archive").is_dir()
    else:
        loaded = _loaded_counts(workdir / "replayport.duckdb")
        wrote = bool(loaded.get("sessions"))
    if code not in (0, 1) or not wrote:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"replayport {command_name} exited {code}:\n{tail}")
    max_rss = int(rss_file.read_text())
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    rss_bytes = max_rss if sys.platform == "darwin" else max_rss * 1024
    return {
        "exit_code": code,
        "peak_rss_mb": round(rss_bytes / 2**20, 1),
        "seconds": round(seconds, 2),
        "loaded": loaded,
    }


def _loaded_counts(database: Path) -> dict[str, int]:
    """Sessions and events that reached DuckDB: proof the case did the whole job."""
    if not database.is_file():
        return {}
    with duckdb.connect(str(database), read_only=True) as con:
        sessions, events = con.execute(
            "select count(*), coalesce(sum(event_count), 0) from posthog_replay.sessions"
        ).fetchone()  # type: ignore[misc]
    return {"sessions": int(sessions), "events": int(events)}


def _boundedness(results: dict[str, Any]) -> dict[str, Any]:
    """The figures that say whether memory grows with the number of sessions."""
    rss = {case: r["peak_rss_mb"] for case, r in results.items()}
    out: dict[str, Any] = {}
    if "many" in rss and "half" in rss:
        extra = results["many"]["sessions"] - results["half"]["sessions"]
        out["many_vs_half"] = round(rss["many"] / rss["half"], 3)
        out["growth_per_extra_session_kb"] = (
            round((rss["many"] - rss["half"]) * 1024 / extra, 1) if extra else None
        )
        out["bounded_by_count"] = out["many_vs_half"] <= BOUNDED_GROWTH
    if "many" in rss and "large" in rss:
        out["many_vs_large"] = round(rss["many"] / rss["large"], 3)
        out["many_below_large"] = rss["many"] <= rss["large"]
    if "small" in rss:
        out["constant_mb"] = rss["small"]
        if "large" in rss:
            out["large_session_footprint_mb"] = round(rss["large"] - rss["small"], 1)
    return out


def main() -> None:
    """Run the memory benchmark alone and print its result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny corpus")
    parser.add_argument("--cases", default=",".join(ALL_CASES), help="comma-separated cases")
    parser.add_argument("--no-stages", action="store_true", help="only `run`, no split")
    args = parser.parse_args()
    corpus = build_corpus(SMOKE if args.smoke else FULL)
    cases = [c for c in args.cases.split(",") if c]
    result = run_memory(corpus, cases=cases, stages=not args.no_stages)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
