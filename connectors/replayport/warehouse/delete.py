"""Removing recordings from a warehouse: the sessions logged in the archive's
`_replayport_deletions` (deleted upstream, erased, expired) lose every row in every table."""

from __future__ import annotations

from collections.abc import Sequence

import dlt

from replayport.archive.store import Archive
from replayport.tables.schemas import CONTRACT_TABLES

__all__ = ["apply_deletions", "delete_sessions"]

_CHUNK = 500


def delete_sessions(pipeline: dlt.Pipeline, session_ids: Sequence[str]) -> dict[str, int]:
    """DELETE every row of `session_ids` from the contract tables present in the warehouse."""
    removed: dict[str, int] = {}
    if not session_ids:
        return removed
    ids = sorted(set(session_ids))
    with pipeline.sql_client() as client:
        existing = {
            name
            for name in CONTRACT_TABLES
            if client.has_dataset() and _table_exists(client, name)
        }
        for table in CONTRACT_TABLES:
            if table not in existing:
                continue
            qualified = client.make_qualified_table_name(table)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                placeholders = ", ".join(["%s"] * len(chunk))
                client.execute_sql(
                    f"DELETE FROM {qualified} WHERE session_id IN ({placeholders})", *chunk
                )
            removed[table] = len(ids)
    return removed


def _table_exists(client: object, table: str) -> bool:
    try:
        client.execute_sql(  # type: ignore[attr-defined]
            f"SELECT 1 FROM {client.make_qualified_table_name(table)} WHERE 1 = 0"  # type: ignore[attr-defined]
        )
    except Exception:  # noqa: BLE001 - every driver names "no such table" differently
        return False
    return True


def apply_deletions(archive: Archive, pipeline: dlt.Pipeline) -> int:
    """Apply the archive's deletion log to the warehouse of `pipeline`; returns ids applied."""
    log = archive.read("_replayport_deletions", columns=["session_id"])
    ids = log.column("session_id").to_pylist()
    if ids:
        delete_sessions(pipeline, ids)
    return len(ids)
