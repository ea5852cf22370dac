"""Reading back what a warehouse and the archive hold, the same way for every destination."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from replayport.archive.store import Archive
from replayport.config import Settings
from replayport.tables.schemas import CONTRACT_TABLES, PRIMARY_KEYS
from replayport.warehouse.load import warehouse_pipeline

RECORDING_TABLES = CONTRACT_TABLES
TOMBSTONES = "_replayport_deletions"
"""The one archive table allowed to name erased sessions: the deletion log loads apply."""


def archive_counts(settings: Settings, session_id: str | None = None) -> dict[str, int]:
    archive = Archive(settings)
    counts = {}
    for table in RECORDING_TABLES:
        rows = archive.read(table, columns=["session_id"]).column("session_id").to_pylist()
        counts[table] = sum(1 for s in rows if session_id is None or s == session_id)
    return counts


def _query(settings: Settings, destination: str, sql_for: Any) -> list[Any]:
    pipeline = warehouse_pipeline(settings, destination)
    naming = pipeline.default_schema.naming
    with pipeline.sql_client() as client:
        return sql_for(client, naming)


def warehouse_counts(
    settings: Settings, destination: str, session_id: str | None = None, staging: bool = False
) -> dict[str, int]:
    """Rows per recording table (optionally of one session, optionally in the staging dataset)."""

    def run(client: Any, naming: Any) -> dict[str, int]:
        def count(table: str) -> int:
            qualified = client.make_qualified_table_name(naming.normalize_table_identifier(table))
            column = client.escape_column_name(naming.normalize_identifier("session_id"))
            where = f" WHERE {column} = '{session_id}'" if session_id else ""
            try:
                return int(client.execute_sql(f"SELECT COUNT(*) FROM {qualified}{where}")[0][0])
            except Exception:  # noqa: BLE001 - table absent (e.g. staging already dropped)
                if staging:
                    return 0
                raise

        if staging:
            with client.with_staging_dataset():
                return {table: count(table) for table in RECORDING_TABLES}
        return {table: count(table) for table in RECORDING_TABLES}

    return _query(settings, destination, run)


def duplicate_keys(settings: Settings, destination: str) -> dict[str, int]:
    def run(client: Any, naming: Any) -> dict[str, int]:
        found = {}
        for table in RECORDING_TABLES:
            qualified = client.make_qualified_table_name(naming.normalize_table_identifier(table))
            keys = ", ".join(
                client.escape_column_name(naming.normalize_identifier(k))
                for k in PRIMARY_KEYS[table]
            )
            sql = (
                f"SELECT COUNT(*) FROM (SELECT {keys} FROM {qualified} GROUP BY {keys} "
                f"HAVING COUNT(*) > 1) d"
            )
            found[table] = int(client.execute_sql(sql)[0][0])
        return found

    return _query(settings, destination, run)


def archive_files_naming(archive_root: Path, needle: str) -> list[str]:
    """Every archive file (data files of every Delta version and the logs) that holds `needle`,
    except the deletion log; parquet files are decoded so compression cannot hide it."""
    hits = []
    for path in sorted(p for p in archive_root.rglob("*") if p.is_file()):
        if TOMBSTONES in path.parts:
            continue
        if _holds(path.name, path.read_bytes(), needle):
            hits.append(str(path.relative_to(archive_root)))
    return hits


def _holds(name: str, data: bytes, needle: str) -> bool:
    if needle.encode() in data:
        return True
    if name.endswith(".parquet"):
        return needle in str(pq.read_table(io.BytesIO(data)).to_pylist())
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            return any(needle in m or needle.encode() in bundle.read(m) for m in bundle.namelist())
    return False


def write_exports(exports: Path, session_id: str, other_id: str) -> None:
    """Exports as `replayport export` names them: one per session, HTML and ZIP."""
    exports.mkdir(parents=True, exist_ok=True)
    (exports / f"{session_id}.html").write_text(
        f"<html><body data-session='{session_id}'></body></html>"
    )
    with zipfile.ZipFile(exports / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("replay.json", f'{{"session_id": "{session_id}"}}')
    (exports / f"{other_id}.html").write_text(
        f"<html><body data-session='{other_id}'></body></html>"
    )
