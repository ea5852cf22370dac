"""Smoke tests: the benchmark scripts still run end to end, at a tiny scale (no timing asserts)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from benchmarks.bench_memory import _boundedness
from benchmarks.corpus import SMOKE, Corpus, build_corpus

from benchmarks import run_all


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build_corpus(SMOKE, root=tmp_path_factory.mktemp("bench-data"))


def test_corpus_is_deterministic_blob_v2_and_cached(corpus: Corpus, tmp_path: Path) -> None:
    again = build_corpus(SMOKE, root=tmp_path)
    assert again.key == corpus.key
    assert [s.read() for s in again.sessions] == [s.read() for s in corpus.sessions]
    assert again.large.read() == corpus.large.read()
    # A second build in the same place reuses the first.
    assert build_corpus(SMOKE, root=corpus.root.parent).root == corpus.root

    bodies = [s.read() for s in corpus.sessions]
    window_id, event = orjson.loads(bodies[0].splitlines()[0])
    assert isinstance(window_id, str) and isinstance(event["timestamp"], int)
    assert any(b'"cv":"2024-10"' in body for body in bodies)  # packed as posthog-js sends
    assert len({s.session_id for s in corpus.sessions}) == len(corpus.sessions)

    large = [orjson.loads(line) for line in corpus.large.read().splitlines()]
    assert len(large) == corpus.large.lines
    half = len(large) // SMOKE.large_copies
    assert large[half][1]["timestamp"] > max(e["timestamp"] for _, e in large[:half])


@pytest.mark.slow
def test_run_all_writes_every_part(corpus: Corpus, tmp_path: Path) -> None:
    run_all.main(
        [
            "--smoke",
            "--data-dir",
            str(corpus.root.parent),
            "--output-dir",
            str(tmp_path),
            "--name",
            "smoke",
            "--memory-cases",
            "small",
        ]
    )
    result = orjson.loads((tmp_path / "smoke.json").read_bytes())
    markdown = (tmp_path / "smoke.md").read_text()

    throughput = result["throughput"]
    assert set(throughput["cases"]) == {
        "baseline",
        "parse_unpack",
        "decode",
        "no_privacy",
        "full",
        "privacy",
    }
    assert all(case["mb_per_s"] > 0 for case in throughput["cases"].values())
    assert throughput["first_session_rows"]["replay_events"] > 0
    if not all(throughput["goals_met"].values()):
        assert throughput["hotspots"]["functions"]

    load = result["load"]
    assert set(load["cases"]) == {"arrow", "dicts_parquet", "dicts_default"}
    assert load["total_rows"] == sum(load["rows"].values()) > 0

    small = result["memory"]["cases"]["small"]
    assert small["loaded"]["sessions"] == 1 and small["peak_rss_mb"] > 0

    assert result["machine"]["python"] and result["corpus"]["sessions"] == SMOKE.sessions
    for heading in ("**Throughput**", "**Loading into DuckDB", "**Peak memory**"):
        assert heading in markdown


def test_boundedness_figures() -> None:
    cases = {
        "small": {"sessions": 1, "peak_rss_mb": 300.0},
        "large": {"sessions": 1, "peak_rss_mb": 900.0},
        "half": {"sessions": 10, "peak_rss_mb": 400.0},
        "many": {"sessions": 20, "peak_rss_mb": 420.0},
    }
    figures = _boundedness(cases)
    assert figures["many_vs_half"] == 1.05 and figures["bounded_by_count"]
    assert figures["growth_per_extra_session_kb"] == 2048.0
    assert figures["many_below_large"] and figures["large_session_footprint_mb"] == 600.0
    cases["many"]["peak_rss_mb"] = 800.0
    assert not _boundedness(cases)["bounded_by_count"]
