"""Load the archive into a warehouse with dlt: Arrow batches in, merge on the contract's keys.

The warehouse is always loaded from the archive, never from PostHog, so switching or re-loading
a warehouse costs no API budget. Each table is read incrementally on the time its rows were
archived (`extracted_at`, `ended_at` for runs, `created_at` for rejects), per destination.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.pipeline import LoadInfo

from replayport.archive.store import ARCHIVE_DATASET, Archive
from replayport.config import Settings
from replayport.errors import ConfigError, WarehouseError
from replayport.warehouse.delete import apply_deletions
from replayport.tables.schemas import PRIMARY_KEYS, SCHEMAS

__all__ = ["DESTINATIONS", "WAREHOUSE_DATASET", "load_from_archive", "warehouse_pipeline"]

WAREHOUSE_DATASET = ARCHIVE_DATASET
DESTINATIONS = ("duckdb", "postgres", "snowflake", "bigquery", "redshift")
LOAD_TABLES = (
    "sessions",
    "replay_events",
    "page_views",
    "clicks",
    "console_logs",
    "network_requests",
    "payment_identities",
    "_replayport_runs",
    "_replayport_rejects",
    "_replayport_deletions",
)
_CURSORS = {
    "_replayport_runs": "ended_at",
    "_replayport_rejects": "created_at",
    "_replayport_deletions": "deleted_at",
}
_BATCH_ROWS = 50_000
_LAG_SECONDS = 3600
"""Each load re-reads the last hour before its cursor: rows committed late by a concurrent
writer (several extract tasks can share one archive) are still picked up; the merge on primary
keys makes the overlap harmless."""


def warehouse_pipeline(settings: Settings, destination: str) -> dlt.Pipeline:
    """The dlt pipeline archive → `destination`; DuckDB lives at `<workdir>/replayport.duckdb`."""
    if destination not in DESTINATIONS:
        raise ConfigError(
            f"unknown destination `{destination}`; choose one of {', '.join(DESTINATIONS)}"
        )
    if destination == "duckdb":
        settings.workdir.mkdir(parents=True, exist_ok=True)
        target: Any = dlt.destinations.duckdb(credentials=str(settings.duckdb_path))
    else:
        target = destination
    settings.pipelines_dir.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"replayport_{destination}",
        destination=target,
        dataset_name=WAREHOUSE_DATASET,
        pipelines_dir=str(settings.pipelines_dir),
    )


def _archive_resource(archive: Archive, table: str) -> Any:
    cursor_column = _CURSORS.get(table, "extracted_at")

    @dlt.resource(
        name=table,
        table_name=table,
        primary_key=list(PRIMARY_KEYS[table]),
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        columns=_column_hints(table),
    )
    def rows(
        archived_at: dlt.sources.incremental[Any] = dlt.sources.incremental(
            cursor_column,
            initial_value=None,
            lag=_LAG_SECONDS,
            # no boundary de-duplication: it would keep a hash of every row sharing the last
            # cursor value (a whole run) in the pipeline state; the merge already dedupes
            primary_key=(),
        ),
    ) -> Iterator[pa.Table]:
        dataset = archive.dataset(table)
        if dataset is None:
            return
        start = archived_at.start_value
        row_filter = pc.field(cursor_column) >= start if start is not None else None
        for batch in dataset.to_batches(filter=row_filter, batch_size=_BATCH_ROWS):
            if batch.num_rows:
                yield pa.Table.from_batches([batch]).cast(SCHEMAS[table])

    return rows


def _column_hints(table: str) -> dict[str, Any]:
    """Keys are NOT NULL; the rest nullable, as the Arrow contract says."""
    return {
        field.name: {"nullable": field.nullable}
        for field in SCHEMAS[table]
    }


@dlt.source(name="replayport_archive", section="replayport_archive")
def archive_source(archive: Archive, tables: Sequence[str] = LOAD_TABLES) -> Any:
    """Every contract table present in the archive, read incrementally."""
    return [_archive_resource(archive, table) for table in tables if archive.has_table(table)]


def load_from_archive(
    settings: Settings, destination: str, tables: Sequence[str] = LOAD_TABLES
) -> LoadInfo | None:
    """Merge what was archived since the last load into `destination`.

    Returns:
        dlt's load info, or None when the archive holds nothing yet.
    """
    archive = Archive(settings)
    source = archive_source(archive, tables)
    if not source.resources:
        return None
    pipeline = warehouse_pipeline(settings, destination)
    try:
        info = pipeline.run(source, loader_file_format=_file_format(destination))
    except ConfigError:
        raise
    except Exception as exc:  # dlt wraps every failure in PipelineStepFailed
        raise WarehouseError(f"loading {destination} failed: {_short(exc)}") from exc
    if info.has_failed_jobs:
        raise WarehouseError(f"loading {destination} had failed jobs")
    if "_replayport_deletions" in tables:
        apply_deletions(archive, pipeline)
    return info


def _file_format(destination: str) -> Any:
    return {"duckdb": "parquet", "postgres": "csv", "snowflake": "parquet"}.get(destination)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:300] if text else type(exc).__name__
