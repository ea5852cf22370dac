"""Run the real `replayport` CLI in-process and read what it wrote."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from replayport.cli import main

TEST_HASH_KEY = "test-hash-key-0123456789abcdef"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    else:  # pragma: no cover - main always exits
        code = 0
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


@contextmanager
def warehouse(workdir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(workdir / "replayport.duckdb"), read_only=True)
    try:
        yield con
    finally:
        con.close()


def scalar(workdir: Path, sql: str) -> Any:
    with warehouse(workdir) as con:
        row = con.execute(sql).fetchone()
    return row[0] if row else None


def run_files(capsys: pytest.CaptureFixture[str], workdir: Path, path: Path) -> CliResult:
    """`replayport run --source files --destination duckdb --path PATH` in `workdir`."""
    return run_cli(
        capsys,
        "--workdir",
        str(workdir),
        "run",
        "--source",
        "files",
        "--destination",
        "duckdb",
        "--path",
        str(path),
    )
