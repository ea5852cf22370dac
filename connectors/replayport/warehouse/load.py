"""Load the archive into a warehouse with dlt: Arrow batches in, merge on the contract's keys.

The warehouse is always loaded from the archive, never from PostHog, so switching or re-loading
a warehouse costs no API budget. Each table is read incrementally on the time its rows were
archived (`extracted_at`, `ended_at` for runs, `created_at` for rejects), per destination.
String values larger than the warehouse holds are loaded as NULL with a pointer to the archive
(`replayport.warehouse.limits`) and counted.

Memory stays bounded whatever the archive holds: each table is read in batches of at most
`[replayport.warehouse] read_batch_rows` rows (default `READ_BATCH_ROWS`) and, sliced further,
`read_batch_bytes` bytes (default `READ_BATCH_BYTES`), one archive file at a time (pyarrow's
scanner over the whole table reads ahead across files and held nearly all of it while dlt
wrote); DuckDB's own memory is capped too (`replayport.warehouse.destinations`). Rows read from
the archive are unique per primary key (the archive is upserted), so the merge is declared
deduplicated: dlt then skips the `ROW_NUMBER()` window over the whole staging table, a blocking
operator that held every staged row, `replay_events.data` included, in memory at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import dlt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from dlt.common.destination import TLoaderFileFormat
from dlt.common.pipeline import LoadInfo
from dlt.common.schema.typing import TDeleteInsertStrategyDict

from replayport.archive.erasures import ERASURES_TABLE
from replayport.archive.store import ARCHIVE_DATASET, ARCHIVE_KEYS, ARCHIVE_SCHEMAS, Archive
from replayport.config import Settings, section_values
from replayport.errors import ConfigError, WarehouseError
from replayport.metrics import RunMetrics
from replayport.tables.schemas import CONTRACT_TABLES
from replayport.warehouse.delete import (
    apply_deletions,
    apply_payment_erasures,
    drop_superseded_rows,
)
from replayport.warehouse.destinations import DESTINATIONS, destination_setup
from replayport.warehouse.limits import CutCounter, fit_to_limit, warehouse_schema

__all__ = [
    "DESTINATIONS",
    "LOAD_TABLES",
    "MERGE_DISPOSITION",
    "READ_BATCH_BYTES",
    "READ_BATCH_ROWS",
    "WAREHOUSE_DATASET",
    "load_from_archive",
    "loaded_destinations",
    "warehouse_pipeline",
]

WAREHOUSE_DATASET = ARCHIVE_DATASET
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
    ERASURES_TABLE,
)
_CURSORS = {
    "_replayport_runs": "ended_at",
    "_replayport_rejects": "created_at",
    "_replayport_deletions": "deleted_at",
    ERASURES_TABLE: "completed_at",
}
READ_BATCH_ROWS = 10_000
"""Rows per batch read from the archive (`[replayport.warehouse] read_batch_rows`)."""
READ_BATCH_BYTES = 16 * 2**20
"""Bytes per batch handed to dlt (`[replayport.warehouse] read_batch_bytes`): larger batches
are sliced, so a few huge `replay_events.data` values cannot make one batch huge."""
MERGE_DISPOSITION: TDeleteInsertStrategyDict = {
    "disposition": "merge",
    "strategy": "delete-insert",
    "deduplicated": True,
}
"""The archive holds each key once, so dlt need not deduplicate the staged rows."""
_LAG_SECONDS = 3600
"""Each load re-reads the last hour before its cursor: rows committed late by a concurrent
writer (several extract tasks can share one archive) are still picked up; the merge on primary
keys makes the overlap harmless."""
_PIPELINE_PREFIX = "replayport_"


def warehouse_pipeline(settings: Settings, destination: str) -> dlt.Pipeline:
    """The dlt pipeline archive → `destination` (state kept per destination in the workdir)."""
    setup = destination_setup(settings, destination)
    settings.pipelines_dir.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"{_PIPELINE_PREFIX}{destination}",
        destination=setup.destination,
        staging=setup.staging,
        dataset_name=WAREHOUSE_DATASET,
        pipelines_dir=str(settings.pipelines_dir),
    )


def loaded_destinations(settings: Settings) -> list[str]:
    """Warehouses this workdir has loaded before (a dlt pipeline directory exists for them)."""
    return [
        name
        for name in DESTINATIONS
        if (settings.pipelines_dir / f"{_PIPELINE_PREFIX}{name}").is_dir()
    ]


def read_batch_limits() -> tuple[int, int]:
    """`(rows, bytes)` per batch read from the archive, from `[replayport.warehouse]`.

    Raises:
        ConfigError: a limit that is not a positive whole number.
    """
    options = section_values("warehouse", ["read_batch_rows", "read_batch_bytes"])
    limits = []
    for name, default in (
        ("read_batch_rows", READ_BATCH_ROWS),
        ("read_batch_bytes", READ_BATCH_BYTES),
    ):
        value = options.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"replayport.warehouse.{name} must be a positive whole number")
        limits.append(value)
    return limits[0], limits[1]


def bounded_batches(
    dataset: ds.Dataset, row_filter: Any, max_rows: int, max_bytes: int
) -> Iterator[pa.RecordBatch]:
    """The rows of `dataset` in batches of at most `max_rows` rows and (but for single rows
    larger than that) `max_bytes` bytes, one file at a time.

    Scanning the whole dataset at once lets pyarrow's threaded scanner read ahead across files
    whatever `batch_readahead`/`fragment_readahead` say (measured: 110 MB of 129 MB of
    `replay_events` held while the consumer was slower than the reader); file by file, it holds
    at most one file's row group.
    """
    for fragment in dataset.get_fragments(filter=row_filter):
        batches = fragment.to_batches(
            schema=dataset.schema, filter=row_filter, batch_size=max_rows, batch_readahead=1
        )
        for batch in batches:
            if not batch.num_rows:
                continue
            pieces = math.ceil(batch.nbytes / max_bytes)
            if pieces <= 1:
                yield batch
                continue
            step = math.ceil(batch.num_rows / pieces)
            for start in range(0, batch.num_rows, step):
                yield batch.slice(start, step)


def _archive_resource(
    archive: Archive,
    table: str,
    max_bytes: int | None,
    cuts: CutCounter,
    session_runs: set[str],
) -> Any:
    cursor_column = _CURSORS.get(table, "extracted_at")
    batch_rows, batch_bytes = read_batch_limits()

    @dlt.resource(
        name=table,
        table_name=table,
        primary_key=list(ARCHIVE_KEYS[table]),
        write_disposition=MERGE_DISPOSITION,
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
        uri = archive.safe_table_uri(table)
        for batch in bounded_batches(dataset, row_filter, batch_rows, batch_bytes):
            arrow = pa.Table.from_batches([batch]).cast(ARCHIVE_SCHEMAS[table])
            if table == "sessions":
                session_runs.update(pc.unique(arrow.column("run_id")).to_pylist())
            yield fit_to_limit(table, arrow, max_bytes, uri, cuts)

    return rows


def _column_hints(table: str) -> dict[str, Any]:
    """Keys are NOT NULL; the rest nullable, as the Arrow contract says."""
    schema = warehouse_schema(table) if table in CONTRACT_TABLES else ARCHIVE_SCHEMAS[table]
    return {field.name: {"nullable": field.nullable} for field in schema}


@dlt.source(name="replayport_archive", section="replayport_archive")
def archive_source(
    archive: Archive,
    tables: Sequence[str] = LOAD_TABLES,
    max_bytes: int | None = None,
    cuts: CutCounter | None = None,
    session_runs: set[str] | None = None,
) -> Any:
    """Every contract table present in the archive, read incrementally.

    Args:
        archive: the archive to read.
        tables: which tables to load.
        max_bytes: the warehouse's largest string value; larger ones become archive pointers.
        cuts: receives the number of values replaced by archive pointers.
        session_runs: receives the `run_id`s of the `sessions` rows read.
    """
    counter = cuts if cuts is not None else CutCounter()
    runs = session_runs if session_runs is not None else set()
    return [
        _archive_resource(archive, table, max_bytes, counter, runs)
        for table in tables
        if archive.has_table(table)
    ]


def load_from_archive(
    settings: Settings,
    destination: str,
    tables: Sequence[str] = LOAD_TABLES,
    *,
    metrics: RunMetrics | None = None,
    run_id: str | None = None,
) -> LoadInfo | None:
    """Merge what was archived since the last load into `destination`.

    Args:
        settings: workdir and archive location.
        destination: one of `DESTINATIONS`.
        tables: which tables to load (all by default).
        metrics: receives `values_too_large` and `rows_with_archive_pointer` counts; with
            `run_id`, its `sessions_reprocessed` tells whether that run (not archived in
            `_replayport_runs` yet) replaced earlier rows.
        run_id: the run whose `metrics` these are, when it extracted as well.

    Returns:
        dlt's load info, or None when the archive holds nothing yet.
    """
    archive = Archive(settings)
    setup = destination_setup(settings, destination)
    cuts = CutCounter()
    session_runs: set[str] = set()
    source = archive_source(archive, tables, setup.max_value_bytes, cuts, session_runs)
    if not source.resources:
        return None
    pipeline = warehouse_pipeline(settings, destination)
    _forget_loaded_rows()
    try:
        # None (dlt's own default, though its signature omits it) lets dlt pick the format
        file_format = cast("TLoaderFileFormat", setup.loader_file_format)
        info = pipeline.run(source, loader_file_format=file_format)
    except ConfigError:
        raise
    except Exception as exc:  # dlt wraps every failure in PipelineStepFailed
        raise WarehouseError(f"loading {destination} failed: {_short(exc)}") from exc
    if info.has_failed_jobs:
        raise WarehouseError(f"loading {destination} had failed jobs")
    if metrics is not None and cuts.total_values:
        metrics.add("values_too_large", cuts.total_values)
        metrics.add("rows_with_archive_pointer", cuts.total_rows)
    current = (run_id, metrics.get("sessions_reprocessed")) if run_id and metrics else None
    reprocessing_runs = _runs_that_may_have_reprocessed(archive, session_runs, current)
    if reprocessing_runs:
        with _warehouse_step(f"replacing re-processed sessions in {destination}"):
            drop_superseded_rows(pipeline, reprocessing_runs)
    if "_replayport_deletions" in tables:
        with _warehouse_step(f"applying deletions to {destination}"):
            apply_deletions(archive, pipeline)
    if "payment_identities" in tables:
        with _warehouse_step(f"applying payment erasures to {destination}"):
            apply_payment_erasures(archive, pipeline)
    return info


def _runs_that_may_have_reprocessed(
    archive: Archive, run_ids: set[str], current: tuple[str, int] | None
) -> set[str]:
    """The runs among `run_ids` that re-processed recordings, or may have.

    Only those can have left superseded rows in the warehouse, and the DELETE that removes
    them scans whole event tables, which Snowflake and BigQuery bill for. A run counts as
    "may have" when its count is unknown: not archived (crashed, or still running) or
    recorded before the count existed.
    """
    if not run_ids:
        return set()
    counts: dict[str, int | None] = {}
    recorded = archive.dataset("_replayport_runs")
    if recorded is not None:
        # runs archived before the column existed read it as null (`contract_view`): unknown
        runs = recorded.to_table(columns=["run_id", "sessions_reprocessed"])
        pairs = zip(
            runs.column("run_id").to_pylist(),
            runs.column("sessions_reprocessed").to_pylist(),
            strict=True,
        )
        counts = {run: count for run, count in pairs if run in run_ids}
    if current is not None:
        counts[current[0]] = current[1]
    return {run for run in run_ids if counts.get(run) != 0}


@contextmanager
def _warehouse_step(what: str) -> Iterator[None]:
    """Driver errors of every warehouse become a `WarehouseError` naming the step."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - driver errors of every warehouse
        raise WarehouseError(f"{what} failed: {_short(exc)}") from exc


def _forget_loaded_rows() -> None:
    """Keep no copies of loaded rows outside the warehouse (unless configured otherwise).

    dlt keeps the last merge's rows in `posthog_replay_staging` and the loaded files in the
    pipeline's working directory; an erasure must not find them lingering there.
    """
    for key in ("load.truncate_staging_dataset", "load.delete_completed_jobs"):
        if dlt.config.get(key) is None:
            dlt.config[key] = True


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:300] if text else type(exc).__name__
