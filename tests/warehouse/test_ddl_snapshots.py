"""The DDL dlt would run for the contract tables on Snowflake, BigQuery and Redshift, pinned.

Produced without connecting (`_get_table_update_sql`), so it shows the exact column types
production gets — e.g. Redshift `varchar(max)` (65,535 bytes, hence the archive pointers),
Snowflake `TIMESTAMP_TZ`, BigQuery `TIMESTAMP`/`INT64` — which the stand-ins translate away.
Not covered: whether the real services accept it (they are not reachable from tests).
Refresh after an intended contract change:
`UPDATE_SNAPSHOTS=1 pytest tests/warehouse/test_ddl_snapshots.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import dlt
import pytest

from replayport.tables.schemas import CONTRACT_TABLES, PRIMARY_KEYS
from replayport.warehouse.limits import warehouse_schema
from replayport.warehouse.load import _column_hints

SNAPSHOTS = Path(__file__).parent / "snapshots"
FACTORIES = {
    "snowflake": lambda: dlt.destinations.snowflake("snowflake://user:secret@account/db"),
    "bigquery": lambda: dlt.destinations.bigquery(
        credentials={
            "project_id": "p",
            "private_key": "k",
            "client_email": "a@p.iam.gserviceaccount.com",
        },
        location="US",
    ),
    "redshift": lambda: dlt.destinations.redshift("redshift://user:secret@host:5439/db"),
}


def _ddl(destination: str, tmp_path: Path) -> str:
    pipeline = dlt.pipeline(
        f"ddl_{destination}",
        destination=FACTORIES[destination](),
        dataset_name="posthog_replay",
        pipelines_dir=str(tmp_path),
    )
    resources = [
        dlt.resource(
            [warehouse_schema(table).empty_table()],
            name=table,
            primary_key=list(PRIMARY_KEYS[table]),
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            columns=_column_hints(table),
        )
        for table in CONTRACT_TABLES
    ]
    pipeline.extract(resources)
    pipeline.normalize()
    client = pipeline.destination_client()
    statements = []
    for table in CONTRACT_TABLES:
        name = pipeline.default_schema.naming.normalize_table_identifier(table)
        columns = list(pipeline.default_schema.tables[name]["columns"].values())
        statements.extend(client._get_table_update_sql(name, columns, False))
    return "\n".join(statements) + "\n"


@pytest.mark.parametrize("destination", list(FACTORIES))
def test_contract_ddl_matches_snapshot(destination: str, tmp_path: Path) -> None:
    ddl = _ddl(destination, tmp_path)
    snapshot = SNAPSHOTS / f"{destination}.sql"
    if os.environ.get("UPDATE_SNAPSHOTS") or not snapshot.exists():
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(ddl)
    assert ddl == snapshot.read_text()
    assert "secret" not in ddl


def test_redshift_text_columns_are_varchar_max(tmp_path: Path) -> None:
    ddl = _ddl("redshift", tmp_path)
    assert '"data" varchar(max)' in ddl
    assert '"archive_pointer" varchar(max)' in ddl
