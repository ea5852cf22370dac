"""One DuckDB warehouse built from the demo data and `dbt build`-ed once per test session.

dbt costs ~4 s per invocation before doing anything, so every test here reads the same build;
tests that need to break things work on a copy of the DuckDB file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from replayport.config import Settings
from replayport.demo import DemoManifest, write_demo_inputs
from replayport.runner import Run, extract_files, load, load_payments
from replayport.transform import TransformResult, run_dbt

DEMO_KEY = "dbt-tests-demo-hash-key-0123456789abcdef"


@dataclass
class DemoBuild:
    settings: Settings
    manifest: DemoManifest
    result: TransformResult
    progress: list[str]


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    """Demo recordings + payments → archive → DuckDB → `dbt build` (models, tests, unit tests)."""
    workdir = tmp_path_factory.mktemp("dbt-demo") / "work"
    settings = Settings.resolve(workdir)
    manifest = write_demo_inputs(workdir / "demo-input")
    run = Run(settings, "demo", source="files", destination="duckdb")
    extract_files(run, manifest.recordings_dir, hash_key=DEMO_KEY)
    load_payments(run, "file", hash_key=DEMO_KEY, path=manifest.payments)
    load(run, "duckdb")
    run.finish("duckdb")
    progress: list[str] = []
    result = run_dbt(settings, "build", progress=progress.append)
    return DemoBuild(settings, manifest, result, progress)


@contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a DuckDB file that dbt-duckdb may still hold open in this process."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        con = duckdb.connect(str(path))
    try:
        yield con
    finally:
        con.close()


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with connect(path) as con:
        return con.execute(sql).fetchall()


def copy_warehouse(build: DemoBuild, target: Path) -> Settings:
    """A separate workdir holding a copy of the built DuckDB file (same name, same catalog)."""
    target.mkdir(parents=True)
    source = build.settings.duckdb_path
    for suffix in ("", ".wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", target / f"{source.name}{suffix}")
    return Settings.resolve(target)
