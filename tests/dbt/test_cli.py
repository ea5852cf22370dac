"""`replayport transform` and the demo summary's headline answers, through the CLI layer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from replayport import report as render
from replayport.runner import DemoResult, RunReport
from replayport.transform import Headline
from tests.cli.helpers import run_cli
from tests.dbt.conftest import DemoBuild, copy_warehouse


def test_transform_command_builds_and_reports(
    demo_build: DemoBuild, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = copy_warehouse(demo_build, tmp_path / "work")
    result = run_cli(capsys, "--workdir", str(settings.workdir), "transform")
    assert result.exit_code == 0, result.stdout + result.stderr
    summary = re.search(r"dbt build on duckdb: (\d+) nodes \((.*?)\)", result.stdout)
    assert summary and int(summary.group(1)) > 70, result.stdout
    assert "fail" not in summary.group(2) and "error" not in summary.group(2)
    assert "dbt [" in result.stderr  # progress lines


def test_transform_failure_exits_1_and_names_the_node(
    demo_build: DemoBuild, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = copy_warehouse(demo_build, tmp_path / "work")
    import duckdb

    with duckdb.connect(str(settings.duckdb_path)) as con:
        # a duplicated recording: the staging uniqueness test must stop the build
        con.execute(
            "insert into posthog_replay.sessions select * from posthog_replay.sessions limit 1"
        )
    result = run_cli(capsys, "--workdir", str(settings.workdir), "transform")
    assert result.exit_code == 1
    assert "unique_stg_posthog_replay__sessions_session_id: fail" in result.stderr.replace("\n", "")


def test_demo_summary_prints_the_headline_answers(tmp_path: Path) -> None:
    from replayport.config import Settings

    now = datetime.now(UTC)
    report = RunReport("r", "demo", "ok", {}, {}, [], now, now)
    result = DemoResult(
        report,
        Settings.resolve(tmp_path),
        tmp_path,
        False,
        {"sessions": 36},
        [
            Headline(
                "Do users who hit console errors pay again within 30 days?",
                "with console errors: 1/3 (33%); without: 5/6 (83%)",
            )
        ],
    )
    console = Console(record=True, width=200)
    render.demo_summary(console, result)
    text = console.export_text()
    assert "pay again within 30 days?" in text and "1/3 (33%)" in text
    assert "posthog_replay_marts.fct_console_errors_churn" in text
