"""`dbt build` against the Snowflake (fakesnow) and BigQuery (bqemulator) stand-ins.

Both are DuckDB underneath with a SQL translator in front, so they prove the models compile
with each adapter's macros (dispatch variants, cross-db macros, quoting) and run through the
adapter; they cannot prove the real warehouse's semantics. Skipped when the side venvs are
missing (`scripts/standins.sh`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replayport.transform import TransformResult, run_dbt
from replayport.warehouse.load import load_from_archive
from tests.dbt.conftest import DemoBuild
from tests.dbt.test_build_duckdb import UNIT_TESTS

pytestmark = [pytest.mark.standin, pytest.mark.timeout(600)]


def _assert_built(result: TransformResult, progress: list[str], unit_tests: bool = True) -> None:
    assert result.success, result.failures
    assert set(result.counts) <= {"success", "pass"}, result.counts
    nodes = " ".join(progress)
    assert "model fct_console_errors_churn success" in nodes
    assert "assert_revenue_reconciles_with_payment_identities pass" in nodes
    assert "assert_no_fan_out_in_session_payments pass" in nodes
    for unit_test in UNIT_TESTS if unit_tests else ():
        assert f"{unit_test} pass" in nodes


def test_dbt_build_on_snowflake_standin(demo_build: DemoBuild, tmp_path: Path) -> None:
    from tests.standins.snowflake import (
        fakesnow_server,
        patch_snowflake_capabilities,
        snowflake_dsn,
    )

    with fakesnow_server(tmp_path) as port, pytest.MonkeyPatch.context() as monkeypatch:
        patch_snowflake_capabilities(monkeypatch)
        monkeypatch.setenv("DESTINATION__SNOWFLAKE__CREDENTIALS", snowflake_dsn(port, "replayport"))
        load_from_archive(demo_build.settings, "snowflake")
        progress: list[str] = []
        result = run_dbt(
            demo_build.settings,
            "build",
            target="snowflake",
            progress=progress.append,
            # dbt-snowflake's unit tests create `temporary` tables with a database-qualified
            # name, which fakesnow's DuckDB refuses ("TEMPORARY table names can only use the
            # temp catalog"): a stand-in limit, real Snowflake accepts it. The unit tests'
            # logic runs on DuckDB, PostgreSQL and BigQuery.
            extra_args=["--exclude", "test_type:unit"],
            env={
                "REPLAYPORT_DBT_ACCOUNT": "fakesnow",
                "REPLAYPORT_DBT_HOST": "127.0.0.1",
                "REPLAYPORT_DBT_PORT": str(port),
                "REPLAYPORT_DBT_PROTOCOL": "http",
                "REPLAYPORT_DBT_INSECURE_MODE": "true",
                "REPLAYPORT_DBT_USER": "fake",
                "REPLAYPORT_DBT_PASSWORD": "snow",
                "REPLAYPORT_DBT_ROLE": "r",
                "REPLAYPORT_DBT_WAREHOUSE": "wh",
                "REPLAYPORT_DBT_DATABASE": "replayport",
                "REPLAYPORT_DBT_THREADS": "1",
            },
        )
    _assert_built(result, progress, unit_tests=False)


def test_dbt_build_on_bigquery_standin(demo_build: DemoBuild, tmp_path: Path) -> None:
    from tests.standins.bigquery import BQ_PROJECT, bqemulator_server, patch_bigquery_client

    with bqemulator_server(tmp_path) as endpoint, pytest.MonkeyPatch.context() as monkeypatch:
        patch_bigquery_client(monkeypatch, endpoint)
        load_from_archive(demo_build.settings, "bigquery")
        progress: list[str] = []
        result = run_dbt(
            demo_build.settings,
            "build",
            target="bigquery",
            progress=progress.append,
            env={
                "REPLAYPORT_DBT_BIGQUERY_METHOD": "oauth-secrets",
                "REPLAYPORT_DBT_BIGQUERY_TOKEN": "fake-token",
                "REPLAYPORT_DBT_BIGQUERY_API_ENDPOINT": endpoint,
                "REPLAYPORT_DBT_DATABASE": BQ_PROJECT,
                "REPLAYPORT_DBT_THREADS": "1",
            },
        )
    _assert_built(result, progress)
