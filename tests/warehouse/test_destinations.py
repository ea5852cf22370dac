"""The real recordings loaded into every warehouse for real, merged, then forgotten.

For each destination: `replayport load` (the CLI) into a fresh database/dataset, read back,
load the same archive again (nothing changes), archive one more recording and load (exactly it
is added), then `replayport forget` (no row of the erased session anywhere: warehouse and its
staging dataset, every archive file including old Delta versions and logs, the exports).
Each destination's fixture names what its stand-in cannot show about production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from replayport.config import Settings
from replayport.warehouse.load import load_from_archive
from tests.cli.helpers import run_cli
from tests.corpus import SESSIONS, corpus_path
from tests.standins.bigquery import bqemulator_server, patch_bigquery_client
from tests.standins.postgres import PostgresServer
from tests.standins.redshift import PG_SETUP_SQL, patch_redshift_on_postgres
from tests.standins.snowflake import fakesnow_server, patch_snowflake_capabilities, snowflake_dsn
from tests.warehouse.conftest import CorpusArchives
from tests.warehouse.helpers import (
    archive_counts,
    archive_files_naming,
    duplicate_keys,
    warehouse_counts,
    write_exports,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="session")
def fakesnow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with fakesnow_server(tmp_path_factory.mktemp("fakesnow")) as port:
        yield port


@pytest.fixture(scope="session")
def bqemulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with bqemulator_server(tmp_path_factory.mktemp("bq")) as endpoint:
        yield endpoint


def _duckdb(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Embedded DuckDB is the production engine itself: nothing to stand in for."""


def _postgres(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real PostgreSQL 15 server. Not covered: managed-service limits (RDS/Cloud SQL
    parameter groups, connection poolers), TLS and password auth."""
    server: PostgresServer = request.getfixturevalue("postgres")
    database = server.create_database()
    request.addfinalizer(lambda: server.drop_database(database))
    monkeypatch.setenv(
        "DESTINATION__POSTGRES__CREDENTIALS",
        server.dsn(database).replace("postgres@", "postgres:unused@"),
    )


def _snowflake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """fakesnow 0.12.1 server (DuckDB underneath) with three SQL shims and two capability
    overrides. Not covered: Snowflake's own parser and type system (VARIANT, NUMBER
    precision), real stages/PUT, multi-statement DDL, 16 MB value enforcement, time travel."""
    port = request.getfixturevalue("fakesnow")
    patch_snowflake_capabilities(monkeypatch)
    database = f"rp_{request.node.name[-6:].strip('[]').replace('-', '_')}_{id(request) % 10_000}"
    monkeypatch.setenv("DESTINATION__SNOWFLAKE__CREDENTIALS", snowflake_dsn(port, database))


def _bigquery(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """bqemulator 1.4.0 (DuckDB underneath) through a client endpoint shim, anonymous
    credentials, uncompressed load files. Not covered: IAM, gzip loads, GoogleSQL edge
    semantics, quotas and the 100 MB row limit, time travel retention."""
    endpoint = request.getfixturevalue("bqemulator")
    patch_bigquery_client(monkeypatch, endpoint)


def _redshift(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt's Redshift SQL (DDL, delete-insert merge, insert_values) on PostgreSQL with a
    `varchar(max)` rewrite. Not covered: COPY from S3 staging, the 65,535-byte VARCHAR limit
    enforced by the server, SUPER, DISTKEY/SORTKEY, redshift_connector/dbt-redshift."""
    server: PostgresServer = request.getfixturevalue("postgres")
    database = server.create_database("replayport_rs")
    request.addfinalizer(lambda: server.drop_database(database))
    server.execute(database, PG_SETUP_SQL)
    patch_redshift_on_postgres(monkeypatch)
    monkeypatch.setenv(
        "DESTINATION__REDSHIFT__CREDENTIALS",
        f"postgresql://postgres:unused@127.0.0.1:{server.port}/{database}",
    )


DESTINATIONS = {
    "duckdb": _duckdb,
    "postgres": _postgres,
    "snowflake": _snowflake,
    "bigquery": _bigquery,
    "redshift": _redshift,
}


def _distinct_id(session: str) -> str:
    return str(json.loads(corpus_path(session, "recording.json").read_text())["distinct_id"])


def _session_id(session: str) -> str:
    return str(json.loads(corpus_path(session, "recording.json").read_text())["id"])


@pytest.mark.parametrize("destination", list(DESTINATIONS))
def test_load_merge_and_forget(
    destination: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    corpus_archives: CorpusArchives,
    hash_key: str,
) -> None:
    DESTINATIONS[destination](request, monkeypatch)
    workdir = corpus_archives.workdir(tmp_path / "work")
    settings = Settings.resolve(workdir)
    cli = ("--workdir", str(workdir))

    # 1. the CLI loads the archive; the warehouse holds exactly the archive's rows
    result = run_cli(capsys, *cli, "load", "--destination", destination)
    assert result.exit_code == 0, result.stderr + result.stdout
    first = warehouse_counts(settings, destination)
    assert first == archive_counts(settings)
    assert first["sessions"] == 2 and first["replay_events"] > 1000

    # 2. loading the same archive again changes nothing (merge on the primary keys)
    load_from_archive(settings, destination)
    assert warehouse_counts(settings, destination) == first
    assert set(duplicate_keys(settings, destination).values()) == {0}

    # 3. one more recording archived: the next load adds exactly its rows
    corpus_archives.add_new_recording(workdir)
    load_from_archive(settings, destination)
    added = archive_counts(settings, corpus_archives.new_session_id)
    after = warehouse_counts(settings, destination)
    assert after == {table: first[table] + added[table] for table in first}
    assert warehouse_counts(settings, destination, corpus_archives.new_session_id) == added

    # 4. forget a person by distinct id: gone from warehouse, staging, archive files, exports
    erased, kept = _session_id(SESSIONS[0]), _session_id(SESSIONS[1])
    write_exports(settings.exports_dir, erased, kept)
    erased_events = archive_counts(settings, erased)["replay_events"]
    result = run_cli(capsys, *cli, "forget", "--distinct-id", _distinct_id(SESSIONS[0]), "--json")
    assert result.exit_code == 0, result.stderr + result.stdout
    summary = json.loads(result.stdout)
    assert summary["sessions_matched"] == 1 and summary["ok"]
    assert summary["removed"][destination]["replay_events"] == erased_events
    assert summary["export_files"] == 2
    assert set(warehouse_counts(settings, destination, erased).values()) == {0}
    assert set(warehouse_counts(settings, destination, erased, staging=True).values()) == {0}
    assert warehouse_counts(settings, destination, kept)["replay_events"] > 0
    assert archive_files_naming(workdir / "archive", erased) == []
    assert archive_files_naming(workdir / ".pipelines", erased) == []
    assert sorted(p.name for p in settings.exports_dir.iterdir()) == [f"{kept}.html"]
    assert _distinct_id(SESSIONS[0]) not in result.stdout  # raw identifiers never echoed
