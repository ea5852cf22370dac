"""Values too large for a warehouse: the row is loaded, the value stays in the archive.

Every recording table (`sessions` and the event tables) gets two warehouse-only columns:

- `truncated_columns` — comma-separated names of the columns whose value was too large for this
  warehouse and was loaded as NULL (NULL when nothing was cut);
- `archive_pointer` — where the full row lives: `<archive table URI>#<key>=<value>&…`
  (NULL when nothing was cut). `replay_events.data` is the usual candidate (big DOM snapshots
  exceed Redshift's 65,535-byte VARCHAR).

The archive always keeps the full value; the load counts what it cut, so nothing is dropped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from replayport.tables.schemas import CONTRACT_TABLES, PRIMARY_KEYS, SCHEMAS

__all__ = ["WAREHOUSE_COLUMNS", "CutCounter", "fit_to_limit", "warehouse_schema"]

WAREHOUSE_COLUMNS = (
    pa.field("truncated_columns", pa.string()),
    pa.field("archive_pointer", pa.string()),
)
"""Added to every recording table in the warehouse (never in the archive)."""


@dataclass
class CutCounter:
    """Values and rows a load replaced by an archive pointer, per table."""

    values: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, values: int, rows: int) -> None:
        self.values[table] = self.values.get(table, 0) + values
        self.rows[table] = self.rows.get(table, 0) + rows

    @property
    def total_values(self) -> int:
        return sum(self.values.values())

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def warehouse_schema(table: str) -> pa.Schema:
    """The Arrow schema of `table` as loaded into a warehouse."""
    schema = SCHEMAS[table]
    if table in CONTRACT_TABLES:
        for extra in WAREHOUSE_COLUMNS:
            schema = schema.append(extra)
    return schema


def fit_to_limit(
    table_name: str,
    table: pa.Table,
    max_bytes: int | None,
    archive_table_uri: str,
    counter: CutCounter,
) -> pa.Table:
    """Replace every string value longer than `max_bytes` by NULL and point at the archive.

    Args:
        table_name: contract table name.
        table: rows in the archive's schema.
        max_bytes: the warehouse's limit in UTF-8 bytes; None keeps every value.
        archive_table_uri: the table's location in the archive (without credentials).
        counter: receives how many values and rows were cut.

    Returns:
        The rows in `warehouse_schema(table_name)`.
    """
    if table_name not in CONTRACT_TABLES:
        return table
    keys = PRIMARY_KEYS[table_name]
    n = table.num_rows
    cut_columns: list[tuple[str, list[bool]]] = []
    if max_bytes is not None and n:
        for index, column in enumerate(table.schema):
            if column.name in keys or not pa.types.is_string(column.type):
                continue
            too_long = pc.fill_null(
                pc.greater(pc.binary_length(table.column(index)), max_bytes), False
            )
            if not pc.any(too_long).as_py():
                continue
            table = table.set_column(
                index,
                column,
                pc.if_else(too_long, pa.scalar(None, pa.string()), table.column(index)),
            )
            cut_columns.append((column.name, too_long.to_pylist()))
    truncated: list[str | None] = [None] * n
    pointer: list[str | None] = [None] * n
    if cut_columns:
        # rare (only values beyond the warehouse's limit), so plain Python is fine here
        key_values = [table.column(key).to_pylist() for key in keys]
        values_cut = 0
        for row in range(n):
            names = [name for name, flags in cut_columns if flags[row]]
            if names:
                values_cut += len(names)
                truncated[row] = ",".join(names)
                pointer[row] = (
                    archive_table_uri
                    + "#"
                    + "&".join(
                        f"{key}={values[row]}" for key, values in zip(keys, key_values, strict=True)
                    )
                )
        counter.add(table_name, values_cut, sum(1 for value in truncated if value))
    return table.append_column(
        WAREHOUSE_COLUMNS[0], pa.array(truncated, pa.string())
    ).append_column(WAREHOUSE_COLUMNS[1], pa.array(pointer, pa.string()))
