"""Payments from a table already in the warehouse (Fivetran's or Airbyte's `stripe.charge`, …).

Only the mapped columns are selected; rows are hashed here in Python, so the hash key never
enters the warehouse or any SQL. The query goes through dlt's SQL client of the destination,
with credentials resolved the dlt way (DuckDB: the workdir's `replayport.duckdb`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from replayport.config import Settings
from replayport.errors import ConfigError, WarehouseError
from replayport.privacy.hashing import IdentifierHasher
from replayport.sources.payments.identities import (
    ColumnMapping,
    PaymentRow,
    batched_tables,
    row_from_mapping,
)

__all__ = ["FIVETRAN_CHARGE", "warehouse_table_tables"]

FIVETRAN_CHARGE = ColumnMapping(
    email="billing_detail_email,receipt_email", customer_id="customer_id"
)
"""Fivetran's `stripe.charge` layout (flattened billing details, `customer_id`)."""

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_FETCH_ROWS = 10_000


def _quoted(identifier: str, quote: str) -> str:
    if not _IDENT.match(identifier):
        raise ConfigError(f"--table: not a plain identifier: {identifier!r}")
    return f"{quote}{identifier}{quote}"


def warehouse_table_tables(
    settings: Settings,
    destination: str,
    table: str,
    hasher: IdentifierHasher,
    mapping: ColumnMapping | None = None,
    run_id: str | None = None,
) -> Iterator[pa.Table]:
    """Hashed `payment_identities` tables from `table` (`schema.table`) in `destination`.

    Raises:
        ConfigError: `table` is not `schema.table` of plain identifiers.
        WarehouseError: The table cannot be read.
    """
    from replayport.warehouse.load import warehouse_pipeline

    schema, _, name = table.rpartition(".")
    if not schema:
        raise ConfigError("--table needs SCHEMA.TABLE, e.g. stripe.charge")
    mapping = mapping or ColumnMapping()
    pipeline = warehouse_pipeline(settings, destination)
    try:
        with pipeline.sql_client() as client:
            quote = "`" if destination == "bigquery" else '"'
            fq = (
                ".".join(_quoted(part, quote) for part in schema.split("."))
                + "."
                + _quoted(name, quote)
            )
            with client.execute_query(f"select * from {fq} where 1 = 0") as cursor:
                available = [d[0] for d in cursor.description]
            columns = mapping.columns_needed(available)
            select = ", ".join(_quoted(c, quote) for c in columns)
            rows = _fetch(client, f"select {select} from {fq}", columns, mapping, hasher)
            yield from batched_tables(rows, hasher, f"table:{table}", run_id)
    except (ConfigError, WarehouseError):
        raise
    except Exception as exc:  # DB-API errors differ per driver
        if type(exc).__name__ == "InputError":
            raise
        raise WarehouseError(
            f"reading payments table {table} from {destination} failed: {type(exc).__name__}"
        ) from exc


def _fetch(
    client: Any, sql: str, columns: list[str], mapping: ColumnMapping, hasher: IdentifierHasher
) -> Iterator[PaymentRow]:
    with client.execute_query(sql) as cursor:
        while True:
            chunk = cursor.fetchmany(_FETCH_ROWS)
            if not chunk:
                return
            for values in chunk:
                yield row_from_mapping(dict(zip(columns, values, strict=True)), mapping, hasher)
