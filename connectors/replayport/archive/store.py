"""The owned archive: contract tables as Delta tables, written by dlt's filesystem destination.

Layout: `<archive_url>/posthog_replay/<table>/` (Delta), plus dlt's own `_dlt_*` tables that
carry the pipeline state, so a fresh machine pointed at the same archive resumes where the last
run stopped. A local directory by default; any fsspec URL dlt supports (`s3://…`) works the same.

Every chunk of recordings is upserted (a Delta MERGE on the contract's primary key). dlt runs
that MERGE with deltalake's `streamed_exec` by default, which gives up the early file pruning
deltalake derives from the source's key range and so reads the *whole* target table on every
merge: memory and time grow with the archive. A chunk's rows are already in memory, so the
archive turns streamed execution off (`destination.filesystem.deltalake_streamed_exec`, dlt's
own key, wins when set): each merge reads only the files whose key range overlaps the chunk's,
and its memory is bounded by the chunk, not by the archive. PostHog's session ids are UUIDv7
(time-ordered) and recordings arrive roughly in time order, so a chunk's range is narrow; a chunk
of ids scattered over the whole range would still read most files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.dataset as ds
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.progress import _NULL_COLLECTOR

from replayport.archive.erasures import ERASURES_SCHEMA, ERASURES_TABLE
from replayport.config import Settings, typed_config
from replayport.errors import ArchiveError
from replayport.tables.schemas import EVENT_TABLES, PRIMARY_KEYS, SCHEMAS

__all__ = [
    "ARCHIVE_DATASET",
    "ARCHIVE_KEYS",
    "ARCHIVE_SCHEMAS",
    "Archive",
    "contract_view",
    "hinted",
    "merge_streamed_exec",
]

ARCHIVE_DATASET = "posthog_replay"
_PIPELINE_NAME = "replayport_archive"
_UPSERT = {"disposition": "merge", "strategy": "upsert"}
_DEFAULT_LOG_RETENTION = "interval 30 days"
"""Delta's default `delta.logRetentionDuration`, restored after an erasure's log cleanup."""

ARCHIVE_SCHEMAS: dict[str, pa.Schema] = {**SCHEMAS, ERASURES_TABLE: ERASURES_SCHEMA}
"""Every table the archive may hold: the contract plus the erase records."""
ARCHIVE_KEYS: dict[str, tuple[str, ...]] = {**PRIMARY_KEYS, ERASURES_TABLE: ("erasure_id",)}


def hinted(table_name: str, table: pa.Table) -> Any:
    """Mark an Arrow table with its contract table name, primary key and upsert disposition."""
    return dlt.mark.with_hints(
        table,
        dlt.mark.make_hints(
            table_name=table_name,
            primary_key=list(ARCHIVE_KEYS[table_name]),
            write_disposition=_UPSERT,  # type: ignore[arg-type]
            table_format="delta",
        ),
    )


def merge_streamed_exec() -> bool:
    """deltalake's `streamed_exec` for the archive's upserts: off unless configured on.

    Streamed execution skips the early pruning predicate deltalake builds from the source's
    key range, so every merge scans the whole target table (measured: a merge of one chunk into
    100 files of `replay_events` peaks 580 MB higher and runs 13× longer than without).
    """
    return bool(typed_config("destination.filesystem.deltalake_streamed_exec", bool))


def contract_view(table: str, dataset: ds.Dataset) -> ds.Dataset:
    """`dataset` as the contract of `table` describes it: a column added to the contract after
    the table was written reads as null until a write brings it (Delta then appends it at the
    end), and columns come in the contract's order either way, so readers that cast to the
    contract (the warehouse load) work on archives written by any version. A table holding
    columns outside the contract is left as written.
    """
    contract = ARCHIVE_SCHEMAS.get(table)
    stored = dataset.schema
    if contract is None or stored.names == contract.names:
        return dataset
    if not set(stored.names) <= set(contract.names):
        return dataset
    fields = [
        stored.field(name) if name in stored.names else contract.field(name)
        for name in contract.names
    ]
    return dataset.replace_schema(pa.schema(fields, metadata=stored.metadata))


class Archive:
    """Read and write the archive of one workdir/URL."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.archive_url

    @property
    def is_local(self) -> bool:
        return "://" not in self.url or self.url.startswith("file://")

    def pipeline(self) -> dlt.Pipeline:
        """The dlt pipeline that writes the archive (state kept in the workdir and the archive)."""
        self.settings.pipelines_dir.mkdir(parents=True, exist_ok=True)
        return dlt.pipeline(
            pipeline_name=_PIPELINE_NAME,
            destination=dlt.destinations.filesystem(
                bucket_url=self.url, deltalake_streamed_exec=merge_streamed_exec()
            ),
            dataset_name=ARCHIVE_DATASET,
            pipelines_dir=str(self.settings.pipelines_dir),
            progress="log" if os.environ.get("REPLAYPORT_DLT_PROGRESS") else _NULL_COLLECTOR,
        )

    def write(self, data: Any, pipeline: dlt.Pipeline | None = None) -> LoadInfo:
        """Run `data` (a dlt source/resource or hinted Arrow tables) into the archive."""
        pipeline = pipeline or self.pipeline()
        try:
            info = pipeline.run(data, loader_file_format="parquet")
        except Exception as exc:  # dlt wraps every failure in PipelineStepFailed
            raise ArchiveError(
                f"writing the archive at {self._safe_url()} failed: {_short(exc)}"
            ) from exc
        if info.has_failed_jobs:
            raise ArchiveError(f"writing the archive at {self._safe_url()} had failed jobs")
        return info

    def write_tables(self, tables: Iterable[tuple[str, pa.Table]]) -> LoadInfo:
        items = [hinted(name, table) for name, table in tables if table.num_rows]

        @dlt.resource(name="replayport_tables")
        def replayport_tables() -> Iterator[Any]:
            yield from items

        return self.write(replayport_tables())

    def table_uri(self, table: str) -> str:
        return f"{self.url.rstrip('/')}/{ARCHIVE_DATASET}/{table}"

    def safe_table_uri(self, table: str) -> str:
        """`table_uri` without credentials that might be embedded in the archive URL."""
        return f"{self._safe_url().rstrip('/')}/{ARCHIVE_DATASET}/{table}"

    def storage_options(self) -> dict[str, str]:
        """deltalake/object-store options for remote archives (credentials as dlt resolves them)."""
        if self.is_local:
            return {}
        from replayport.archive.remote import storage_options_for

        return storage_options_for(self.url)

    def has_table(self, table: str) -> bool:
        if self.is_local:
            return (Path(self.table_uri(table)) / "_delta_log").is_dir()
        from deltalake import DeltaTable

        try:
            DeltaTable(self.table_uri(table), storage_options=self.storage_options())
        except Exception:  # deltalake raises TableNotFoundError and friends
            return False
        return True

    def delta_table(self, table: str) -> Any:
        from deltalake import DeltaTable

        return DeltaTable(self.table_uri(table), storage_options=self.storage_options())

    def dataset(self, table: str) -> ds.Dataset | None:
        """A pyarrow dataset over the current version of `table` (None when absent), with the
        contract's columns in the contract's order (`contract_view`)."""
        if not self.has_table(table):
            return None
        return contract_view(table, self.delta_table(table).to_pyarrow_dataset())

    def read(
        self, table: str, columns: Sequence[str] | None = None, filter: Any = None
    ) -> pa.Table:
        dataset = self.dataset(table)
        if dataset is None:
            schema = ARCHIVE_SCHEMAS[table]
            return schema.empty_table().select(list(columns) if columns else schema.names)
        return dataset.to_table(columns=list(columns) if columns else None, filter=filter)

    def deleted_session_ids(self) -> set[str]:
        """Ids logged in `_replayport_deletions` (erased, expired or deleted upstream): sources
        must never bring them back."""
        log = self.read("_replayport_deletions", columns=["session_id"])
        return set(log.column("session_id").to_pylist())

    def erased_emails(self) -> dict[str, datetime]:
        """Email hashes erased by `forget --email`, each with its latest request time.

        The payments they had then must stay gone: Stripe's re-read window or a re-imported
        file would otherwise bring them back, and a warehouse that was unreachable during the
        erasure still holds them. Later payments of the same email are new data and are kept.
        """
        log = self.read(
            ERASURES_TABLE, columns=["kind", "subject_type", "subject_hash", "requested_at"]
        )
        erased: dict[str, datetime] = {}
        for kind, subject_type, subject_hash, requested_at in zip(
            *(log.column(name).to_pylist() for name in log.column_names), strict=True
        ):
            if kind == "forget" and subject_type == "email" and subject_hash and requested_at:
                erased[subject_hash] = max(erased.get(subject_hash, requested_at), requested_at)
        return erased

    def session_ids(self) -> set[str]:
        """Ids of every recording in the archive."""
        sessions = self.read("sessions", columns=["session_id"])
        return set(sessions.column("session_id").to_pylist())

    def delete_sessions(self, session_ids: Sequence[str], tables: Sequence[str]) -> dict[str, int]:
        """Physically delete every row of `session_ids` from `tables`: delete, then vacuum.

        Vacuuming with zero retention removes the files of older Delta versions too, and the
        transaction log is checkpointed and trimmed, because old commits name the deleted
        values (file statistics, the DELETE predicate): the bytes are gone, not merely hidden.

        Returns:
            Rows removed per table (tables without matching rows are left out).
        """
        return self.delete_rows(tables, "session_id", session_ids)

    def drop_superseded_rows(self, session_ids: Sequence[str], run_id: str) -> dict[str, int]:
        """Physically delete the rows of `session_ids` that run `run_id` did not write.

        A recording processed again (a files-source re-run, e.g. after a policy change) is
        upserted, which replaces the rows it still has but keeps the ones it no longer has:
        events of a route excluded since, a request no longer recorded. Every row carries the
        run that wrote it, so after the run's upsert the rest are exactly those. Deleted like an
        erasure (older Delta versions purged): a stricter policy must not leave the looser
        result readable by time travel.

        Returns:
            Rows removed per event table (tables without such rows are left out).
        """
        condition = f"run_id <> {_sql_string(run_id)}"
        return self.delete_rows(EVENT_TABLES, "session_id", session_ids, and_where=condition)

    def delete_rows(
        self,
        tables: Sequence[str],
        column: str,
        values: Sequence[str],
        *,
        and_where: str | None = None,
    ) -> dict[str, int]:
        """Physically delete the rows whose `column` is one of `values` from each of `tables`
        (and that match the SQL condition `and_where`, when given)."""
        removed: dict[str, int] = {}
        if not values:
            return removed
        quoted = ", ".join(_sql_string(v) for v in sorted(set(values)))
        predicate = f"{column} IN ({quoted})" + (f" AND {and_where}" if and_where else "")
        for table in tables:
            if not self.has_table(table):
                continue
            delta = self.delta_table(table)
            if column not in delta.schema().to_arrow().names:
                continue
            try:
                metrics = delta.delete(predicate)
            except Exception as exc:  # deltalake raises several unrelated error types
                raise ArchiveError(
                    f"deleting from archive table {table} failed: {_short(exc)}"
                ) from exc
            deleted = int(metrics.get("num_deleted_rows", 0) or 0)
            if deleted:
                self._purge_history(table)
                removed[table] = deleted
        return removed

    def _purge_history(self, table: str) -> None:
        """Remove every trace of older versions: data files (vacuum) and log entries."""
        delta = self.delta_table(table)
        delta.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
        delta.alter.set_table_properties(
            {"delta.logRetentionDuration": "interval 0 seconds"}, raise_if_not_exists=False
        )
        delta.create_checkpoint()
        delta.cleanup_metadata()
        # back to Delta's default, so ordinary writes keep their time travel window
        delta.alter.set_table_properties(
            {"delta.logRetentionDuration": _DEFAULT_LOG_RETENTION}, raise_if_not_exists=False
        )

    def record_deletions(self, session_ids: Sequence[str], reason: str, run_id: str) -> None:
        """Log deletions in `_replayport_deletions`, so every warehouse load applies them too."""
        if not session_ids:
            return
        now = datetime.now(UTC)
        unique = sorted(set(session_ids))
        table = pa.table(
            {
                "session_id": pa.array(unique, pa.string()),
                "reason": pa.array([reason] * len(unique), pa.string()),
                "run_id": pa.array([run_id] * len(unique), pa.string()),
                "deleted_at": pa.array(
                    [now] * len(unique), SCHEMAS["_replayport_deletions"].field("deleted_at").type
                ),
            }
        ).cast(SCHEMAS["_replayport_deletions"])
        self.write_tables([("_replayport_deletions", table)])

    def _safe_url(self) -> str:
        """The archive URL without credentials that might be embedded in it."""
        if "@" in self.url and "://" in self.url:
            scheme, rest = self.url.split("://", 1)
            return f"{scheme}://{rest.split('@', 1)[1]}"
        return self.url


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:300] if text else type(exc).__name__
