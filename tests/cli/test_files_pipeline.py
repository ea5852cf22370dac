"""`replayport run --source files` end to end on the real recordings: archive → DuckDB."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from replayport.archive.store import Archive
from replayport.config import Settings
from replayport.tables.schemas import EVENT_TABLES
from replayport.warehouse import load as warehouse_load
from tests.cli.helpers import TEST_HASH_KEY, run_cli, run_files, scalar, warehouse
from tests.corpus import SESSIONS, copy_corpus_inputs, corpus_path

pytestmark = pytest.mark.slow


def _corpus_dir(tmp_path: Path, sessions: tuple[str, ...] = SESSIONS) -> Path:
    return copy_corpus_inputs(tmp_path / "input", sessions)


def _independent_counts(session: str) -> dict[str, int]:
    """Counted straight from the corpus's own unpacked events, without replayport's code."""
    events: list[tuple[str, dict]] = []
    for line in corpus_path(session, "snapshots.decompressed.jsonl").read_text().splitlines():
        record = json.loads(line)
        events.extend((record["window_id"], e) for e in record["data"])
    unique = {(w, json.dumps(e, sort_keys=True)) for w, e in events}
    clicks = sum(
        1
        for _, e in events
        if e["type"] == 3 and e["data"].get("source") == 2 and e["data"].get("type") in (2, 3, 4, 9)
    )
    console = Counter(
        e["data"]["payload"]["level"]
        for _, e in events
        if e["type"] == 6 and e["data"].get("plugin") == "rrweb/console@1"
    )
    network = sum(
        len(e["data"]["payload"].get("requests", []))
        for _, e in events
        if e["type"] == 6 and e["data"].get("plugin") == "rrweb/network@1"
    )
    pages = 0
    current: dict[str, str] = {}
    for window, e in sorted(events, key=lambda pair: pair[1]["timestamp"]):
        if e["type"] == 4 and current.get(window) != e["data"]["href"]:
            pages += 1
            current[window] = e["data"]["href"]
    return {
        "replay_events": len(unique),
        "clicks": clicks,
        "console_error": console.get("error", 0),
        "console_warn": console.get("warn", 0),
        "console_log": console.get("log", 0),
        "network_requests": network,
        "page_views": pages,
    }


def _warehouse_counts(workdir: Path, session_id: str) -> dict[str, int]:
    def count(table: str, where: str = "") -> int:
        return int(
            scalar(
                workdir,
                f"select count(*) from posthog_replay.{table} "
                f"where session_id = '{session_id}' {where}",
            )
        )

    return {
        "replay_events": count("replay_events"),
        "clicks": count("clicks"),
        "console_error": count("console_logs", "and level = 'error'"),
        "console_warn": count("console_logs", "and level = 'warn'"),
        "console_log": count("console_logs", "and level = 'log'"),
        "network_requests": count("network_requests"),
        "page_views": count("page_views"),
    }


@pytest.fixture
def hash_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REPLAYPORT__HASH_KEY", TEST_HASH_KEY)
    return TEST_HASH_KEY


def test_counts_equal_an_independent_count_of_the_raw_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hash_key: str
) -> None:
    workdir = tmp_path / "work"
    result = run_files(capsys, workdir, _corpus_dir(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert scalar(workdir, "select count(*) from posthog_replay.sessions") == 3
    for session in SESSIONS:
        meta = json.loads(corpus_path(session, "recording.json").read_text())
        assert _warehouse_counts(workdir, meta["id"]) == _independent_counts(session), session
        clicks = scalar(
            workdir,
            f"select click_count from posthog_replay.sessions where session_id = '{meta['id']}'",
        )
        assert clicks == meta["click_count"]


def test_rerun_changes_nothing_and_a_new_session_adds_exactly_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hash_key: str
) -> None:
    workdir = tmp_path / "work"
    two = _corpus_dir(tmp_path, SESSIONS[:2])
    args = ("--workdir", str(workdir), "run", "--source", "files", "--destination", "duckdb")
    assert run_cli(capsys, *args, "--path", str(two)).exit_code == 0
    tables = (
        "sessions",
        "replay_events",
        "page_views",
        "clicks",
        "console_logs",
        "network_requests",
    )

    def snapshot() -> dict[str, int]:
        return {t: scalar(workdir, f"select count(*) from posthog_replay.{t}") for t in tables}

    first = snapshot()
    assert run_cli(capsys, *args, "--path", str(two)).exit_code == 0
    assert snapshot() == first
    for table, key in (
        ("sessions", "session_id"),
        ("replay_events", "session_id, seq"),
        ("network_requests", "session_id, seq"),
        ("clicks", "session_id, seq"),
    ):
        duplicates = scalar(
            workdir,
            f"select count(*) from (select {key} from posthog_replay.{table} "
            "group by all having count(*) > 1)",
        )
        assert duplicates == 0, table

    three = _corpus_dir(tmp_path, SESSIONS)
    assert run_cli(capsys, *args, "--path", str(three)).exit_code == 0
    after = snapshot()
    new_id = json.loads(corpus_path(SESSIONS[2], "recording.json").read_text())["id"]
    added = _warehouse_counts(workdir, new_id)
    assert after["sessions"] == first["sessions"] + 1
    assert after["replay_events"] == first["replay_events"] + added["replay_events"]
    assert after["clicks"] == first["clicks"] + added["clicks"]


def test_reprocessing_under_a_stricter_policy_drops_the_rows_it_no_longer_produces(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    hash_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Re-running a recording after `/admin*` became an excluded route leaves the archive and
    the warehouse exactly as a first run under that policy would: no stale admin events."""
    risky = _corpus_dir(tmp_path, SESSIONS[1:2])
    workdir, fresh = tmp_path / "work", tmp_path / "fresh"

    def counts(where: Path) -> dict[str, tuple[int, int]]:
        archive = Archive(Settings.resolve(where))
        return {
            t: (scalar(where, f"select count(*) from posthog_replay.{t}"), archive.read(t).num_rows)
            for t in EVENT_TABLES
        }

    assert run_files(capsys, workdir, risky).exit_code == 0
    before = counts(workdir)
    admin_views = "select count(*) from posthog_replay.page_views where path like '/admin%'"
    assert scalar(workdir, admin_views) > 0

    monkeypatch.setenv("REPLAYPORT__PRIVACY__EXCLUDED_ROUTES", "/admin*")
    assert run_files(capsys, workdir, risky).exit_code == 0
    assert run_files(capsys, fresh, risky).exit_code == 0
    after, expected = counts(workdir), counts(fresh)
    assert after == expected
    assert after["replay_events"][0] < before["replay_events"][0]
    assert all(warehouse_rows == archived for warehouse_rows, archived in after.values())
    assert scalar(workdir, admin_views) == 0

    # every route excluded: the session keeps its sessions row only, in every table it had
    monkeypatch.setenv("REPLAYPORT__PRIVACY__EXCLUDED_ROUTES", "/*")
    assert run_files(capsys, workdir, risky).exit_code == 0
    assert set(counts(workdir).values()) == {(0, 0)}
    assert scalar(workdir, "select bool_and(excluded) from posthog_replay.sessions") is True


def test_only_runs_that_reprocessed_recordings_clean_up_the_warehouse(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    hash_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The superseded-rows DELETE scans whole event tables, which Snowflake and BigQuery bill
    for: runs that only add recordings skip it; re-processing triggers it, also when the
    extracting run and the load are separate commands."""
    cleaned: list[set[str]] = []
    real_drop = warehouse_load.drop_superseded_rows

    def recording_drop(pipeline: Any, run_ids: set[str]) -> None:
        cleaned.append(set(run_ids))
        real_drop(pipeline, run_ids)

    monkeypatch.setattr(warehouse_load, "drop_superseded_rows", recording_drop)
    workdir = tmp_path / "work"
    first = copy_corpus_inputs(tmp_path / "first", SESSIONS[:1])
    second = copy_corpus_inputs(tmp_path / "second", SESSIONS[1:2])
    assert run_files(capsys, workdir, first).exit_code == 0
    assert run_files(capsys, workdir, second).exit_code == 0
    assert cleaned == []

    extracted = run_cli(
        capsys, "--workdir", str(workdir), "extract", "--source", "files", "--path", str(first)
    )
    assert extracted.exit_code == 0, extracted.stderr
    assert run_cli(capsys, "--workdir", str(workdir), "load").exit_code == 0
    reprocessing_run = scalar(
        workdir,
        "select run_id from posthog_replay._replayport_runs where sessions_reprocessed = 1",
    )
    assert cleaned == [{reprocessing_run}]
    assert (
        scalar(workdir, "select sum(sessions_reprocessed) from posthog_replay._replayport_runs")
        == 1
    )


def _broken_inputs(tmp_path: Path) -> Path:
    """One healthy recording plus bodies broken in the ways real pipelines meet."""
    target = _corpus_dir(tmp_path, SESSIONS[:1])
    lines = corpus_path(SESSIONS[2], "blob_v2.jsonl").read_text().rstrip("\n").split("\n")
    broken = list(lines)
    broken[5] = broken[5][: len(broken[5]) // 2]  # truncated JSON line
    packed = next(i for i, line in enumerate(broken) if '"cv":"2024-10"' in line and i > 5)
    window, event = json.loads(broken[packed])
    event["data"] = "\u001f\u008b\u0008garbage"  # corrupt gzip inside a cv field
    broken[packed] = json.dumps([window, event])
    window, event = json.loads(broken[10])
    broken.insert(
        11, json.dumps([window, {"type": 99, "data": {}, "timestamp": event["timestamp"]}])
    )
    broken.insert(12, json.dumps([window, {"type": "3", "data": [], "timestamp": "soon"}]))
    (target / "broken-session.blob_v2.jsonl").write_text("\n".join(broken) + "\n")
    (target / "empty-session.blob_v2.jsonl").write_bytes(b"")
    return target


def test_bad_input_is_rejected_with_reasons_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hash_key: str
) -> None:
    workdir = tmp_path / "work"
    result = run_files(capsys, workdir, _broken_inputs(tmp_path))
    assert result.exit_code == 1
    assert "could not be processed" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    with warehouse(workdir) as con:
        reasons = {
            row[0]
            for row in con.execute(
                "select reason from posthog_replay._replayport_rejects"
            ).fetchall()
        }
        sessions = {
            row[0]
            for row in con.execute("select session_id from posthog_replay.sessions").fetchall()
        }
        broken_events = con.execute(
            "select count(*) from posthog_replay.replay_events where session_id = 'broken-session'"
        ).fetchone()[0]
    assert {
        "truncated_json",
        "corrupt_gzip",
        "unknown_event_type",
        "not_an_event",
        "empty_body",
    } <= reasons
    assert "broken-session" in sessions
    assert broken_events > 700  # the rest of the damaged session still landed


def test_missing_hash_key_is_a_clear_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_files(capsys, tmp_path / "w", _corpus_dir(tmp_path, SESSIONS[:1]))
    assert result.exit_code == 2
    assert "REPLAYPORT__HASH_KEY" in result.stderr


def test_missing_path_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hash_key: str
) -> None:
    result = run_files(capsys, tmp_path / "w", tmp_path / "nope")
    assert result.exit_code != 0
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr
