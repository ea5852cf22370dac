"""`dbt build` on PostgreSQL (127.0.0.1:5432, trust auth), loaded by `replayport`'s own loader.

A fresh database per test session; skipped when no server answers.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator

import pytest

from replayport.transform import TransformResult, run_dbt
from replayport.warehouse.load import load_from_archive
from tests.dbt.conftest import DemoBuild
from tests.dbt.test_build_duckdb import UNIT_TESTS

pytestmark = pytest.mark.standin

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def _server_up() -> bool:
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=1).close()
    except OSError:
        return False
    return True


def _admin(sql: str) -> None:
    import psycopg2

    con = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    con.autocommit = True
    try:
        con.cursor().execute(sql)
    finally:
        con.close()


@pytest.fixture(scope="session")
def postgres_build(demo_build: DemoBuild) -> Iterator[tuple[str, TransformResult, list[str]]]:
    if not _server_up():
        pytest.skip(f"no PostgreSQL server on {PG_HOST}:{PG_PORT}")
    database = f"replayport_dbt_{secrets.token_hex(4)}"
    _admin(f"create database {database}")
    credentials = f"postgresql://{PG_USER}:trust@{PG_HOST}:{PG_PORT}/{database}"
    saved = os.environ.get("DESTINATION__POSTGRES__CREDENTIALS")
    os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = credentials
    try:
        # the same archive → warehouse path as `replayport load --destination postgres`
        load_from_archive(demo_build.settings, "postgres")
        progress: list[str] = []
        result = run_dbt(
            demo_build.settings,
            "build",
            target="postgres",
            progress=progress.append,
            env={
                "REPLAYPORT_DBT_HOST": PG_HOST,
                "REPLAYPORT_DBT_PORT": str(PG_PORT),
                "REPLAYPORT_DBT_USER": PG_USER,
                "REPLAYPORT_DBT_PASSWORD": "trust",
                "REPLAYPORT_DBT_DATABASE": database,
            },
        )
        yield database, result, progress
    finally:
        if saved is None:
            os.environ.pop("DESTINATION__POSTGRES__CREDENTIALS", None)
        else:
            os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = saved
        _admin(f"drop database if exists {database} with (force)")


PostgresBuild = tuple[str, TransformResult, list[str]]


def test_dbt_build_passes_on_postgres(postgres_build: PostgresBuild) -> None:
    _, result, progress = postgres_build
    assert result.success, result.failures
    assert set(result.counts) <= {"success", "pass"}, result.counts
    nodes = " ".join(progress)
    assert "assert_no_fan_out_in_session_payments pass" in nodes
    for unit_test in UNIT_TESTS:  # unit tests ran on PostgreSQL too
        assert f"{unit_test} pass" in nodes


def test_postgres_marts_match_duckdb(postgres_build: PostgresBuild, demo_build: DemoBuild) -> None:
    import psycopg2

    from tests.dbt.conftest import rows

    database, _, _ = postgres_build
    query = """
        select
            (select count(*) from posthog_replay_marts.fct_sessions),
            (select sum(revenue) from posthog_replay_marts.fct_session_payments),
            (select sum(paid_again_count) from posthog_replay_marts.fct_console_errors_churn),
            (select sum(click_count) from posthog_replay_marts.fct_clickmap)
    """
    con = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database)
    try:
        cursor = con.cursor()
        cursor.execute(query)
        on_postgres = cursor.fetchone()
    finally:
        con.close()
    [on_duckdb] = rows(demo_build.settings.duckdb_path, query)
    assert [float(v) for v in on_postgres] == [float(v) for v in on_duckdb]
