"""Values too large for a warehouse, retention (`prune`) and scheduler alerts (`status`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from replayport.archive.erasures import ERASURES_TABLE
from replayport.archive.runs import run_alert
from replayport.archive.store import Archive
from replayport.config import Settings
from replayport.retention import prune
from replayport.tables.build import single_row_table
from replayport.tables.schemas import SCHEMAS
from replayport.warehouse.destinations import MAX_VALUE_BYTES
from replayport.warehouse.limits import CutCounter, fit_to_limit
from tests.cli.helpers import run_cli, scalar
from tests.warehouse.conftest import CorpusArchives
from tests.warehouse.helpers import archive_counts

pytestmark = [pytest.mark.timeout(180)]


def test_a_value_beyond_redshifts_varchar_becomes_an_archive_pointer() -> None:
    rows = pa.Table.from_pylist(
        [
            {"session_id": "s1", "seq": 7, "data": "x" * 70_000, "data_bytes": 70_000},
            {"session_id": "s1", "seq": 8, "data": "{}", "data_bytes": 2},
        ],
        schema=SCHEMAS["replay_events"],
    )
    counter = CutCounter()
    fitted = fit_to_limit(
        "replay_events", rows, MAX_VALUE_BYTES["redshift"], "s3://b/a/replay_events", counter
    )
    assert fitted.column("data").to_pylist() == [None, "{}"]
    assert fitted.column("truncated_columns").to_pylist() == ["data", None]
    assert fitted.column("archive_pointer").to_pylist() == [
        "s3://b/a/replay_events#session_id=s1&seq=7",
        None,
    ]
    assert fitted.column("data_bytes").to_pylist() == [70_000, 2]  # the size stays known
    assert (counter.total_values, counter.total_rows) == (1, 1)


@pytest.mark.slow
def test_oversized_values_are_loaded_as_pointers_and_counted(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    corpus_archives: CorpusArchives,
    hash_key: str,
) -> None:
    """DuckDB with the limit lowered to 20,000 bytes stands in for a warehouse whose limit the
    real recordings exceed (Redshift's 65,535 bytes is above the corpus's largest event)."""
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__MAX_VALUE_BYTES", "20000")
    workdir = corpus_archives.workdir(tmp_path / "work")
    result = run_cli(capsys, "--workdir", str(workdir), "load", "--destination", "duckdb")
    assert result.exit_code == 0, result.stderr
    cut = scalar(
        workdir,
        "select count(*) from posthog_replay.replay_events where truncated_columns = 'data'",
    )
    assert cut > 0
    assert (
        scalar(
            workdir,
            "select count(*) from posthog_replay.replay_events where data is null "
            "and archive_pointer is null",
        )
        == 0
    )
    assert f"values too large for the warehouse (kept in archive) │ {cut}" in " ".join(
        result.stdout.split()
    )
    # the archive keeps every full value, so nothing was lost
    big = Archive(Settings.resolve(workdir)).read("replay_events", columns=["data_bytes"])
    assert sum(1 for n in big.column("data_bytes").to_pylist() if n and n > 20000) >= cut
    assert scalar(workdir, "select count(*) from posthog_replay.replay_events") == big.num_rows


@pytest.mark.slow
def test_prune_expires_old_sessions_everywhere_and_leaves_a_record(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    corpus_archives: CorpusArchives,
    hash_key: str,
) -> None:
    workdir = corpus_archives.workdir(tmp_path / "work")
    assert (
        run_cli(capsys, "--workdir", str(workdir), "load", "--destination", "duckdb").exit_code == 0
    )
    settings = Settings.resolve(workdir)
    assert prune(settings, "test-run", days=30) is None  # the corpus is recent: nothing expires
    record = prune(settings, "test-run", days=30, now=datetime.now(UTC) + timedelta(days=365))
    assert record is not None and len(record.session_ids) == 2 and record.ok
    assert set(archive_counts(settings).values()) == {0}
    assert scalar(workdir, "select count(*) from posthog_replay.replay_events") == 0
    erasures = Archive(settings).read(ERASURES_TABLE).to_pylist()
    assert erasures[-1]["kind"] == "expire" and erasures[-1]["sessions_matched"] == 2
    assert json.loads(erasures[-1]["removed"])["duckdb"]["sessions"] == 2
    # the CLI reads the same setting `run` uses
    result = run_cli(capsys, "--workdir", str(workdir), "prune")
    assert result.exit_code == 2 and "RETENTION_DAYS" in result.stderr


def test_run_alert_thresholds() -> None:
    assert run_alert(None) is None
    assert run_alert({"run_id": "r", "status": "failed"}) == "last run r failed"
    healthy = {"run_id": "r", "status": "partial", "sessions_extracted": 99, "sessions_failed": 1}
    assert run_alert(healthy) is None
    assert "10.0%" in str(run_alert({**healthy, "sessions_extracted": 9}))
    assert run_alert({**healthy, "sessions_extracted": 9}, max_error_rate=0.2) is None


def test_status_exits_1_when_the_last_run_failed_too_often(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings.resolve(tmp_path / "work")
    now = datetime.now(UTC)
    run = single_row_table(
        "_replayport_runs",
        {
            "run_id": "r1",
            "command": "run",
            "status": "partial",
            "started_at": now,
            "ended_at": now,
            "sessions_extracted": 8,
            "sessions_failed": 2,
        },
    )
    Archive(settings).write_tables([("_replayport_runs", run)])
    cli = ("--workdir", str(tmp_path / "work"), "status")
    result = run_cli(capsys, *cli)
    assert result.exit_code == 1 and "20.0%" in result.stderr
    assert run_cli(capsys, *cli, "--max-error-rate", "0.25").exit_code == 0
    assert (
        json.loads(run_cli(capsys, *cli, "--json", "--max-error-rate", "0.25").stdout)[0]["run_id"]
        == "r1"
    )
