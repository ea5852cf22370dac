"""Every `sql/<warehouse>/*.sql` parses in its own dialect and names only contract columns.

Only the PostgreSQL files run against a real server (`test_sql.py`); no stand-in runs the grant
systems of Snowflake, BigQuery or Redshift. This static check still catches what breaks those
files in practice: a syntax slip, or a view or DELETE naming a table or column the contract
renamed or never had.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from replayport.archive.store import ARCHIVE_SCHEMAS

SQL_ROOT = Path(__file__).resolve().parents[2] / "sql"
DIALECTS = ("postgres", "redshift", "snowflake", "bigquery")
"""The `sql/` folders, named as sqlglot names their dialects."""
_PSQL_VARIABLE = re.compile(r"(?<!:):'?(\w+)'?")
"""`:'name'` or `:name`, not the `::type` of a cast."""
_SNOWFLAKE_VARIABLE = re.compile(r"\$(\w+)")
_COMMENT = re.compile(r"--[^\n]*")
_VACUUM = re.compile(r"VACUUM\b", re.IGNORECASE)
_CHECKED = (exp.Create, exp.Delete, exp.Select)
"""Statements whose tables and columns are checked; the rest (GRANT, roles, DECLARE, VACUUM)
only have to parse."""


def _files() -> list[tuple[str, Path]]:
    return [
        (warehouse, path)
        for warehouse in DIALECTS
        for path in sorted((SQL_ROOT / warehouse).glob("*.sql"))
    ]


def _without_client_variables(text: str, warehouse: str) -> str:
    """psql's `:'name'` / `:name` and Snowflake's `$name` are client-side: stand in a literal."""
    if warehouse in ("postgres", "redshift"):
        return _PSQL_VARIABLE.sub("'value'", text)
    if warehouse == "snowflake":
        return _SNOWFLAKE_VARIABLE.sub("'value'", text)
    return text


def _contract_table(table: exp.Table) -> str | None:
    name = table.name.lower()
    return name if name in ARCHIVE_SCHEMAS and table.db.lower() == "posthog_replay" else None


def _unqualified_columns(statement: exp.Expression, table: str) -> set[str]:
    """Columns the statement reads from `table`: every column of a SELECT whose only source
    is `table`, and those of the statement's own WHERE."""
    names: set[str] = set()
    for select in statement.find_all(exp.Select):
        sources = [t for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select]
        if len(sources) == 1 and _contract_table(sources[0]) == table:
            names.update(c.name.lower() for c in select.find_all(exp.Column) if not c.table)
    if isinstance(statement, exp.Delete) and statement.args.get("where") is not None:
        where = statement.args["where"]
        outer = [
            c.name.lower()
            for c in where.find_all(exp.Column)
            if c.find_ancestor(exp.Select, exp.Unnest) is None and not c.table
        ]
        names.update(outer)
    return names


@pytest.mark.parametrize(
    ("warehouse", "path"), _files(), ids=[f"{w}/{p.name}" for w, p in _files()]
)
def test_sql_file_parses_and_names_only_contract_columns(warehouse: str, path: Path) -> None:
    text = _without_client_variables(path.read_text(), warehouse)
    # sqlglot reads one table per VACUUM; PostgreSQL takes a list
    text = ";".join(
        part for part in _COMMENT.sub("", text).split(";") if not _VACUUM.match(part.strip())
    )
    statements = [
        s
        for s in sqlglot.parse(text, read=warehouse, error_level=sqlglot.ErrorLevel.RAISE)
        if s is not None
    ]
    assert statements, path
    checked = 0
    for statement in statements:
        if not isinstance(statement, _CHECKED) or statement.args.get("kind") == "SCHEMA":
            continue
        for table in statement.find_all(exp.Table):
            name = _contract_table(table)
            if name is None:
                assert table.db.lower() != "posthog_replay", f"{path.name}: no table {table.sql()}"
                continue
            checked += 1
            unknown = _unqualified_columns(statement, name) - set(ARCHIVE_SCHEMAS[name].names)
            assert not unknown, f"{path.name}: {name} has no column(s) {sorted(unknown)}"
    if path.stem in ("deletion", "retention", "restricted_views"):
        assert checked, f"{path.name}: no statement on a contract table was checked"
