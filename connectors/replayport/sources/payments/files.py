"""Payments from a file: Stripe list JSON / JSON lines, CSV or Parquet.

JSON holds Stripe objects (a list response `{"object": "list", "data": [...]}`, an array, or
one object per line) and is read like the API. CSV and Parquet are tables of any layout, read
through a `ColumnMapping`. Files are read in record batches, so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from replayport.errors import InputError
from replayport.privacy.hashing import IdentifierHasher
from replayport.sources.payments.identities import (
    ColumnMapping,
    PaymentRow,
    batched_tables,
    row_from_mapping,
    row_from_stripe,
)

__all__ = ["FILE_FORMATS", "payment_file_tables"]

FILE_FORMATS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def payment_file_tables(
    path: Path,
    hasher: IdentifierHasher,
    mapping: ColumnMapping | None = None,
    run_id: str | None = None,
) -> Iterator[pa.Table]:
    """Hashed `payment_identities` tables from the payments file at `path`.

    Raises:
        InputError: The file is missing, of an unknown format or lacks required columns.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such payments file: {path}")
    kind = FILE_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"payments file {path.name}: unknown format; use {', '.join(sorted(FILE_FORMATS))}"
        )
    source = f"file:{kind}"
    if kind in ("json", "jsonl"):
        objects = _stripe_objects(path, kind)
        rows: Iterator[PaymentRow] = (row_from_stripe(obj, hasher) for obj in objects)
    else:
        rows = _mapped_rows(path, kind, mapping or ColumnMapping(), hasher)
    yield from batched_tables(rows, hasher, source, run_id)


def _stripe_objects(path: Path, kind: str) -> Iterator[dict[str, Any]]:
    try:
        if kind == "jsonl":
            with path.open("rb") as handle:
                for line in handle:
                    if line.strip():
                        yield orjson.loads(line)
            return
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"payments file {path.name} is not valid JSON ({exc.msg})") from None
    if isinstance(document, dict) and document.get("object") == "list":
        document = document.get("data") or []
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise InputError(f"payments file {path.name}: expected Stripe objects")
    yield from document


def _flatten(batch: pa.RecordBatch) -> pa.Table:
    """`billing_details.email` (Parquet structs) → a `billing_details_email` column."""
    table = pa.Table.from_batches([batch])
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table.rename_columns([name.replace(".", "_") for name in table.schema.names])


def _mapped_rows(
    path: Path, kind: str, mapping: ColumnMapping, hasher: IdentifierHasher
) -> Iterator[PaymentRow]:
    try:
        if kind == "csv":
            # every column as text: ids like `00123` and mixed-type columns survive untouched
            options = pacsv.ConvertOptions(strings_can_be_null=True, column_types=_all_text(path))
            reader: Any = pacsv.open_csv(path, convert_options=options)
            batches: Iterator[pa.RecordBatch] = iter(reader)
        else:
            batches = pq.ParquetFile(path).iter_batches(batch_size=10_000)
        checked = False
        for batch in batches:
            batch = _flatten(batch)
            if not checked:
                columns = mapping.columns_needed(batch.schema.names)
                checked = True
            for row in batch.select(columns).to_pylist():
                yield row_from_mapping(row, mapping, hasher)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(
            f"payments file {path.name} could not be read ({type(exc).__name__})"
        ) from None


def _all_text(path: Path) -> dict[str, pa.DataType]:
    header = pacsv.open_csv(path).schema.names
    return {name: pa.string() for name in header}
