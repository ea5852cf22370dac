"""The compiled models parse as Snowflake, BigQuery and Redshift SQL (sqlglot), and the dbt
project's contract macro matches the Arrow contract."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from replayport.tables.schemas import SCHEMAS
from replayport.transform import dbt_project_dir
from tests.dbt.conftest import DemoBuild

DIALECTS = ("snowflake", "bigquery", "redshift")


def _compiled(build: DemoBuild) -> list[Path]:
    assert build.result.target_path is not None
    root = build.result.target_path / "compiled" / "replayport"
    files = sorted(p for p in root.rglob("*.sql") if "models" in p.parts or "data-tests" in p.parts)
    return files


def test_compiled_sql_exists_for_every_model(demo_build: DemoBuild) -> None:
    names = {p.stem for p in _compiled(demo_build)}
    models = {p.stem for p in (dbt_project_dir() / "models").rglob("*.sql")}
    assert models <= names


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compiled_models_parse_in_other_warehouses(demo_build: DemoBuild, dialect: str) -> None:
    """DuckDB-compiled SQL, transpiled and re-parsed: catches syntax no warehouse accepts
    (not semantics: an unknown function still parses; PostgreSQL covers those for Redshift)."""
    failures: list[str] = []
    for path in _compiled(demo_build):
        sql = path.read_text()
        try:
            for statement in sqlglot.transpile(
                sql, read="duckdb", write=dialect, error_level=ErrorLevel.RAISE
            ):
                sqlglot.parse_one(statement, read=dialect)
        except sqlglot.errors.SqlglotError as exc:
            failures.append(f"{path.name}: {str(exc).splitlines()[0]}")
    assert not failures, "\n".join(failures)


def _arrow_family(type_: object) -> str:
    import pyarrow as pa

    for check, family in (
        (pa.types.is_string, "string"),
        (pa.types.is_integer, "bigint"),
        (pa.types.is_floating, "float"),
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_timestamp, "timestamp"),
        (pa.types.is_decimal, "numeric"),
    ):
        if check(type_):
            return family
    raise AssertionError(f"no type family for {type_}")


def test_contract_macro_matches_arrow_schemas() -> None:
    text = (dbt_project_dir() / "macros" / "contract_columns.sql").read_text()
    literal = re.search(r"set contract = (\{.*?\}) -%\}", text, re.S)
    assert literal, "contract dict not found"
    contract = ast.literal_eval(literal.group(1))
    for table, columns in contract.items():
        expected = {f.name: _arrow_family(f.type) for f in SCHEMAS[table]}
        assert columns == expected, table
    staged = {
        "sessions",
        "replay_events",
        "page_views",
        "clicks",
        "console_logs",
        "network_requests",
        "payment_identities",
        "_replayport_runs",
        "_replayport_rejects",
    }
    assert set(contract) == staged
