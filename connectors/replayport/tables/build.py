"""Row lists → Arrow tables that match the contract schemas exactly.

Extraction produces NamedTuple rows (cheap to create); here they become columns in one pass per
column, never Python dicts per row. Timestamps arrive as epoch milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from replayport.tables.schemas import SCHEMAS, TS

__all__ = ["build_table", "constant_column", "ms_to_timestamps", "single_row_table"]


def ms_to_timestamps(values: Sequence[int | float | None]) -> pa.Array:
    """Epoch milliseconds → `timestamp[us, UTC]`."""
    millis = pa.array([int(v) if v is not None else None for v in values], type=pa.int64())
    return pc.multiply(millis, 1000).cast(TS)


def constant_column(value: Any, type_: pa.DataType, length: int) -> pa.Array:
    """`length` copies of `value` (nulls for None; epoch ms for timestamp columns)."""
    if value is None:
        return pa.nulls(length, type_)
    if pa.types.is_timestamp(type_) and isinstance(value, int | float):
        return pa.repeat(ms_to_timestamps([value])[0], length)
    return pa.repeat(pa.scalar(value, type=type_), length)


def _column(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(type_) and values and not isinstance(values[0], datetime):
        return ms_to_timestamps(values)
    return pa.array(values, type=type_)


def build_table(
    table: str, rows: Sequence[tuple[Any, ...]], constants: Mapping[str, Any] | None = None
) -> pa.Table:
    """Build contract table `table` from NamedTuple `rows` plus per-table `constants`.

    Columns come from the rows' fields, then `constants` (same value on every row, e.g.
    `session_id`, `run_id`), else nulls. Unknown row fields are an error: the contract decides.
    """
    schema = SCHEMAS[table]
    constants = constants or {}
    length = len(rows)
    if length == 0:
        return schema.empty_table()
    fields: tuple[str, ...] = rows[0]._fields  # type: ignore[attr-defined]
    unknown = set(fields) - set(schema.names)
    if unknown:
        raise ValueError(f"rows for {table} carry columns outside the contract: {sorted(unknown)}")
    columns = dict(zip(fields, zip(*rows, strict=True), strict=True))
    arrays = []
    for field in schema:
        if field.name in columns:
            arrays.append(_column(columns[field.name], field.type))
        else:
            arrays.append(constant_column(constants.get(field.name), field.type, length))
    return pa.Table.from_arrays(arrays, schema=schema)


def single_row_table(table: str, values: Mapping[str, Any]) -> pa.Table:
    """A one-row contract table from a mapping (for `sessions` and `_replayport_runs` rows)."""
    schema = SCHEMAS[table]
    unknown = set(values) - set(schema.names)
    if unknown:
        raise ValueError(f"values for {table} outside the contract: {sorted(unknown)}")
    arrays = [constant_column(values.get(field.name), field.type, 1) for field in schema]
    return pa.Table.from_arrays(arrays, schema=schema)
