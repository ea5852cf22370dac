"""Run the benchmarks and write `results/latest.json` plus `results/latest.md` (for the README).

    .venv/bin/python -m benchmarks.run_all                      # everything, full scale
    .venv/bin/python -m benchmarks.run_all --only throughput    # one part
    .venv/bin/python -m benchmarks.run_all --smoke --output-dir /tmp/bench   # proves it runs

Parts run in this order so each sees a quiet process: throughput (pinned to one CPU), load
(dlt + DuckDB, all CPUs), memory (each case a subprocess of the real CLI).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks.corpus import DATA_DIR, FULL, SMOKE, Corpus, build_corpus

__all__ = ["PARTS", "machine_info", "main", "render_markdown", "run"]

PARTS = ("throughput", "load", "memory")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
_PACKAGES = ("replayport", "orjson", "pyarrow", "dlt", "duckdb", "deltalake", "cramjam")


def run(
    corpus: Corpus,
    parts: Sequence[str] = PARTS,
    repeat: int = 3,
    memory_cases: Sequence[str] | None = None,
    memory_stages: bool = True,
) -> dict[str, Any]:
    """Run the chosen `parts` on `corpus`; the JSON-ready result with machine and corpus info."""
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "corpus": _corpus_info(corpus),
    }
    if "throughput" in parts:
        from benchmarks.bench_throughput import run_throughput

        result["throughput"] = _stamped(lambda: run_throughput(corpus, repeat=repeat))
    if "load" in parts:
        from benchmarks.bench_load import contract_tables, run_load

        result["load"] = _stamped(lambda: run_load(contract_tables(corpus)))
    if "memory" in parts:
        from benchmarks.bench_memory import ALL_CASES, run_memory

        result["memory"] = _stamped(
            lambda: run_memory(corpus, cases=memory_cases or ALL_CASES, stages=memory_stages)
        )
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return result


def _stamped(measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`measure()`'s result with when it ran and how busy the machine was just before."""
    stamp = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1m": _load_average(),
    }
    return {**stamp, **measure()}


def _load_average() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on: CPU, cores, memory, OS, Python, library versions."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "git": _git_revision(),
        # Other work on the machine skews timings; the 1-minute load says how quiet it was.
        "load_average_1m": _load_average(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _git_revision() -> str | None:
    """The commit measured, `+dirty` when the work tree has changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def _corpus_info(corpus: Corpus) -> dict[str, Any]:
    return {
        "label": corpus.scale.label,
        "key": corpus.key[:12],
        "sessions": len(corpus.sessions),
        "events": sum(s.lines for s in corpus.sessions),
        "snapshot_json_mb": round(corpus.many_bytes / 1e6, 1),
        "large_session_mb": round(corpus.large.body_bytes / 1e6, 1),
        "large_session_events": corpus.large.lines,
    }


# ------------------------------------------------------------------------------------------
# markdown


def render_markdown(result: dict[str, Any]) -> str:
    """The result as markdown tables, ready to paste into the README."""
    m, c = result["machine"], result["corpus"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    lines = [
        f"### Benchmarks ({result['started_at'][:10]}, commit {m['git'] or 'unknown'})",
        "",
        f"Machine: {m['cpu']}, {m['logical_cores']} logical cores ({m['usable_cores']} usable), "
        f"{m['memory_gb']} GB RAM, {m['os']}, Python {m['python']}; {versions}.",
        "",
        f"Corpus (`benchmarks/corpus.py`, {c['label']} scale): {c['sessions']} re-identified "
        f"copies of the real recordings as PostHog blob_v2 bodies, {c['snapshot_json_mb']} MB of "
        f"snapshot JSON, {c['events']:,} events; one large session of {c['large_session_mb']} MB "
        f"({c['large_session_events']:,} events).",
        "",
    ]
    if "throughput" in result:
        lines += _throughput_md(result["throughput"])
    if "load" in result:
        lines += _load_md(result["load"])
    if "memory" in result:
        lines += _memory_md(result["memory"])
    return "\n".join(lines).rstrip() + "\n"


def _when(part: dict[str, Any]) -> str:
    """`, measured <time>, load average <n>` when the part carries its stamp."""
    if "measured_at" not in part:
        return ""
    return f"; measured {part['measured_at'][11:16]} UTC, load average {part['load_average_1m']}"


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def _throughput_md(t: dict[str, Any]) -> list[str]:
    cases, ratios, goal = t["cases"], t["ratios"], t["goal_ratio"]
    base = cases["baseline"]["mb_per_s"]
    labels = {
        "baseline": "`orjson.loads` of every line (baseline)",
        "parse_unpack": "reference: baseline + gunzip and parse the `cv`-packed fields",
        "decode": "decode (`decode_snapshot_body`)",
        "no_privacy": "decode + post-process + extract + Arrow (privacy off)",
        "full": "decode + privacy + Arrow (`process_recording`, default policy)",
        "privacy": "privacy pass alone (`mask_session`)",
    }
    notes = {
        "parse_unpack": (
            f"packed fields inflate to {t['packed_fields_inflated_bytes'] / 1e6:.1f} MB of JSON"
        ),
        "decode": f"{ratios['decode_vs_parse_unpack']:.2f}× the reference's speed",
        "no_privacy": f"goal ≥ {goal:.2f}: {_verdict(t['goals_met']['no_privacy_vs_baseline'])}",
        "full": f"goal ≥ {goal:.2f}: {_verdict(t['goals_met']['full_vs_baseline'])}",
        "privacy": f"{ratios['privacy_vs_decode']:.2f}× decode's speed",
    }
    lines = [
        f"**Throughput**, single core (CPU {t['pinned_cpu']}), best of {t['repeat']}, "
        f"{t['sessions']} sessions, {t['bytes'] / 1e6:.1f} MB{_when(t)}:",
        "",
        "| path | MB/s | events/s | vs baseline | note |",
        "|---|---:|---:|---:|---|",
    ]
    for name, label in labels.items():
        case = cases[name]
        lines.append(
            f"| {label} | {case['mb_per_s']:.1f} | {case['events_per_s']:,} | "
            f"{case['mb_per_s'] / base:.3f} | {notes.get(name, '')} |"
        )
    stages = t["stage_seconds"]
    lines += [
        "",
        f"Where the full path's {cases['full']['seconds']:.2f} s go: "
        f"decode {stages['decode']:.2f} s, "
        f"post-process + extract + Arrow {stages['postprocess_extract_arrow']:.2f} s, "
        f"privacy + hashing {stages['privacy_and_hashing']:.2f} s "
        f"(`mask_session` alone: {stages['mask_session_alone']:.2f} s).",
        "",
    ]
    if t.get("hotspots"):
        hot = t["hotspots"]
        lines += [
            "Goal missed, so one pass of the full path ran under cProfile "
            f"({hot['profiled_s']:.2f} s profiled; the profiler inflates absolute times, "
            "shares are what matter). Own time by file, counting the C built-ins (dict.get, "
            "orjson, regex…) a file's code calls as that file's:",
            "",
            "| file | own s | share |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| `{f['file']}` | {f['own_s']:.2f} | {f['own_share'] * 100:.1f}% |"
            for f in hot["files"]
        ]
        lines += [
            "",
            "Top functions by own time:",
            "",
            "| function | calls | own s | cumulative s | share |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| `{h['function']}` | {h['calls']:,} | {h['own_s']:.3f} | {h['cumulative_s']:.3f} "
            f"| {h['own_share'] * 100:.1f}% |"
            for h in hot["functions"]
        ]
        lines.append("")
    return lines


def _load_md(load: dict[str, Any]) -> list[str]:
    cases, rows = load["cases"], load["rows"]
    row_text = " + ".join(f"{n:,} `{name}`" for name, n in rows.items())
    labels = {
        "arrow": "Arrow tables",
        "dicts_parquet": 'Python dicts, `loader_file_format="parquet"`',
        "dicts_default": "Python dicts, default file format (`insert_values`)",
    }
    arrow = cases["arrow"]["total_s"]
    lines = [
        f"**Loading into DuckDB through dlt** ({row_text} = {load['total_rows']:,} rows, "
        f"merge on the primary keys, fresh pipeline each{_when(load)}):",
        "",
        "| input | extract s | normalize s | load s | total s | vs Arrow |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, label in labels.items():
        case = cases[name]
        lines.append(
            f"| {label} | {case['extract_s']:.2f} | {case['normalize_s']:.2f} | "
            f"{case['load_s']:.2f} | {case['total_s']:.2f} | {case['total_s'] / arrow:.1f}× |"
        )
    met = load["goals_met"]["dicts_default_vs_arrow"]
    r = load["ratios"]
    lines += [
        "",
        f"DESIGN goal, Arrow ≥ {load['goal_speedup']:.0f}× faster than dicts: "
        f"{_verdict(met)} end to end against the default dict path "
        f"({r['dicts_default_vs_arrow']:.1f}×; {r['dicts_parquet_vs_arrow']:.1f}× against dicts "
        "written as Parquet). The load step is DuckDB's own SQL (staging + merge) and about equal "
        "for every input; in dlt's extract + normalize, where the choice is made, Arrow is "
        f"{r['dicts_default_vs_arrow_extract_normalize']:.0f}× faster than default dicts and "
        f"{r['dicts_parquet_vs_arrow_extract_normalize']:.0f}× faster than Parquet dicts.",
        "",
    ]
    return lines


def _memory_md(memory: dict[str, Any]) -> list[str]:
    labels = {
        "small": "one session (constant cost)",
        "large": "the large session alone",
        "half": "half the many-session corpus",
        "many": "the many-session corpus",
    }
    staged = "stages" in memory
    header = "| input | sessions | snapshot MB | largest session MB | `run` peak RSS MB | wall s |"
    rule = "|---|---:|---:|---:|---:|---:|"
    if staged:
        header += " `extract` peak MB | `load` peak MB |"
        rule += "---:|---:|"
    lines = [
        "**Peak memory** of the real CLI, `replayport run --source files --destination duckdb` "
        f"(whole process, fresh workdir per case{_when(memory)}); with the same input also run "
        "as `extract` then `load`, each its own process:"
        if staged
        else "**Peak memory** of the real CLI, `replayport run --source files --destination "
        f"duckdb` (whole process, fresh workdir per case{_when(memory)}):",
        "",
        header,
        rule,
    ]
    for name, case in memory["cases"].items():
        row = (
            f"| {labels.get(name, name)} | {case['sessions']:,} | {case['input_bytes'] / 1e6:.1f} "
            f"| {case['largest_session_bytes'] / 1e6:.2f} | {case['peak_rss_mb']:.0f} "
            f"| {case['seconds']:.1f} |"
        )
        if staged:
            stages = case["stages"]
            row += (
                f" {stages['extract']['peak_rss_mb']:.0f} | {stages['load']['peak_rss_mb']:.0f} |"
            )
        lines.append(row)
    lines.append("")
    lines += _bounded_md("`run`", memory)
    for stage, figures in memory.get("stages", {}).items():
        lines += _bounded_md(f"`{stage}`", figures)
    lines.append("")
    return lines


def _bounded_md(what: str, figures: dict[str, Any]) -> list[str]:
    """One line on whether `what`'s peak RSS grows with the number of sessions."""
    parts = []
    if "many_vs_half" in figures:
        parts.append(
            f"twice the sessions (half → many) ×{figures['many_vs_half']:.2f} "
            f"({figures['growth_per_extra_session_kb']} KB per extra session), bounded by count "
            f"{_verdict(figures['bounded_by_count'])}"
        )
    if "many_vs_large" in figures:
        where = "below" if figures["many_below_large"] else "**above**"
        parts.append(
            f"many sessions at ×{figures['many_vs_large']:.2f} of the large session, {where} it"
        )
    return [f"- {what}: " + "; ".join(parts) + "."] if parts else []


def main(argv: list[str] | None = None) -> None:
    """Parse flags, run, write `<name>.json` and `<name>.md` into the output directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated of {PARTS}")
    parser.add_argument("--smoke", action="store_true", help="tiny corpus, one pass")
    parser.add_argument("--repeat", type=int, default=3, help="timed throughput passes")
    parser.add_argument("--memory-cases", default=None, help="comma-separated memory cases")
    parser.add_argument(
        "--no-memory-stages", action="store_true", help="memory: only `run`, no extract/load split"
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--name", default="latest", help="result file name without extension")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where the corpus lives")
    parser.add_argument(
        "--keep-other-parts",
        action="store_true",
        help="keep the parts not run now from the existing result (same corpus only)",
    )
    args = parser.parse_args(argv)
    parts = [p for p in args.only.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {PARTS}")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    corpus = build_corpus(SMOKE if args.smoke else FULL, root=args.data_dir)
    result = run(
        corpus,
        parts,
        repeat=1 if args.smoke else args.repeat,
        memory_cases=args.memory_cases.split(",") if args.memory_cases else None,
        memory_stages=not args.no_memory_stages,
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.output_dir / f"{args.name}.json"
    md_path = args.output_dir / f"{args.name}.md"
    if args.keep_other_parts and json_path.is_file():
        previous = orjson.loads(json_path.read_bytes())
        if previous.get("corpus", {}).get("key") == result["corpus"]["key"]:
            for part in set(PARTS) - set(parts):
                if part in previous:
                    result[part] = previous[part]
    json_path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    md_path.write_text(render_markdown(result))
    print(md_path.read_text())
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
