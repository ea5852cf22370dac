"""Removing rows from a warehouse: erased, expired or upstream-deleted recordings lose every row.

The sessions logged in the archive's `_replayport_deletions` are applied on every load, so a
warehouse that was offline during `forget` catches up the next time it is loaded; so are the
payments of emails erased by `forget --email` (from `_replayport_erasures`). Rows are also
removed from dlt's staging dataset (`posthog_replay_staging`), which keeps the last merge's rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import dlt

from replayport.archive.store import Archive
from replayport.tables.schemas import CONTRACT_TABLES, EVENT_TABLES

__all__ = [
    "SESSION_TABLES",
    "apply_deletions",
    "apply_payment_erasures",
    "delete_rows",
    "delete_sessions",
    "drop_superseded_rows",
]

_CHUNK = 500
SESSION_TABLES = (*CONTRACT_TABLES, "_replayport_rejects")
"""Every warehouse table whose rows carry a `session_id` of a recording."""


def delete_sessions(
    pipeline: dlt.Pipeline, session_ids: Sequence[str], count: bool = True
) -> dict[str, int]:
    """DELETE every row of `session_ids` from the warehouse tables of `pipeline`.

    Args:
        pipeline: the warehouse's dlt pipeline (its schema says which tables exist).
        session_ids: the recordings to remove.
        count: count the rows first (erasure records need it; re-applying the log does not).

    Returns:
        Rows removed per table (staging rows are removed but not counted).
    """
    return delete_rows(pipeline, SESSION_TABLES, "session_id", session_ids, count=count)


def delete_rows(
    pipeline: dlt.Pipeline,
    tables: Sequence[str],
    column: str,
    values: Sequence[str],
    count: bool = True,
) -> dict[str, int]:
    """DELETE the rows whose `column` is one of `values` from `tables` and their staging copies."""
    removed: dict[str, int] = {}
    if not values:
        return removed
    ids = sorted(set(values))
    known = _loaded_tables(pipeline)
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            return removed
        col = _column(pipeline, client, column)
        for table in tables:
            if table not in known:
                continue
            removed[table] = _delete(client, _table(pipeline, client, table), col, ids, count)
        if not count:
            # re-applying the log after a load: dlt has just truncated the staging dataset
            return {}
        with client.with_staging_dataset():
            if client.has_dataset():
                for table in tables:
                    if table not in known:
                        continue
                    qualified = _table(pipeline, client, table)
                    if _exists(client, qualified):
                        _delete(client, qualified, col, ids, count=False)
    return {table: rows for table, rows in removed.items() if rows}


def drop_superseded_rows(pipeline: dlt.Pipeline, run_ids: Collection[str]) -> None:
    """DELETE event rows written by an older run than their session's `sessions` row.

    The warehouse counterpart of `Archive.drop_superseded_rows`: the merge on primary keys
    replaces a re-processed session's rows that still exist, but rows it no longer has (or a
    table where it now has none) get nothing to merge. Every row carries the run that wrote
    it, as the session's `sessions` row does. One statement per table and run of the sessions
    just loaded, whatever their number.

    Args:
        pipeline: the warehouse's dlt pipeline.
        run_ids: the runs of the `sessions` rows loaded just now.
    """
    known = _loaded_tables(pipeline)
    if "sessions" not in known or not run_ids:
        return
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            return
        sessions = _table(pipeline, client, "sessions")
        session_id = _column(pipeline, client, "session_id")
        run_id = _column(pipeline, client, "run_id")
        for table in EVENT_TABLES:
            if table not in known:
                continue
            qualified = _table(pipeline, client, table)
            for run in sorted(run_ids):
                client.execute_sql(
                    f"DELETE FROM {qualified} WHERE {run_id} <> {_quoted(run)} "
                    f"AND {session_id} IN "
                    f"(SELECT {session_id} FROM {sessions} WHERE {run_id} = {_quoted(run)})"
                )


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _table(pipeline: dlt.Pipeline, client: Any, table: str) -> str:
    """`table` as the warehouse names it, qualified with the dataset."""
    naming = pipeline.default_schema.naming
    return str(client.make_qualified_table_name(naming.normalize_table_identifier(table)))


def _column(pipeline: dlt.Pipeline, client: Any, column: str) -> str:
    """`column` as the warehouse names it, quoted."""
    naming = pipeline.default_schema.naming
    return str(client.escape_column_name(naming.normalize_identifier(column)))


def _delete(
    client: Any, qualified: str, column: str, ids: list[str], count: bool, also: str = ""
) -> int:
    """DELETE the rows whose `column` is in `ids` (in chunks), `also` ANDed to each chunk's
    condition; counts them first when `count`."""
    total = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        # literals, not placeholders: the drivers disagree on paramstyles (%s, ?, @p) and the
        # values are our own ids/hashes, quoted here
        in_list = ", ".join(_quoted(v) for v in chunk)
        where = f"WHERE {column} IN ({in_list}){also}"
        if count:
            rows = client.execute_sql(f"SELECT COUNT(*) FROM {qualified} {where}")
            found = int(rows[0][0]) if rows else 0
            if not found:
                continue
            total += found
        client.execute_sql(f"DELETE FROM {qualified} {where}")
    return total


def _exists(client: Any, qualified: str) -> bool:
    try:
        client.execute_sql(f"SELECT 1 FROM {qualified} WHERE 1 = 0")
    except Exception:  # noqa: BLE001 - every driver names "no such table" differently
        return False
    return True


def _loaded_tables(pipeline: dlt.Pipeline) -> set[str]:
    """Tables this pipeline has loaded data into (from its schema, no round trip)."""
    if not pipeline.default_schema_name:
        return set()
    return set(pipeline.default_schema.data_table_names(seen_data_only=True))


def apply_payment_erasures(archive: Archive, pipeline: dlt.Pipeline) -> None:
    """Remove payments of erased emails that the archive no longer holds.

    `forget --email` deletes them everywhere it can reach; a warehouse that was unreachable
    then (or is loaded from this archive for the first time later) still has them. Payments
    the archive kept for those emails (made after the erasure) stay.
    """
    erased = archive.erased_emails()
    if not erased or "payment_identities" not in _loaded_tables(pipeline):
        return
    payments = archive.read("payment_identities", columns=["payment_id", "email_hash"])
    kept = sorted(
        payment_id
        for payment_id, email_hash in zip(
            payments.column("payment_id").to_pylist(),
            payments.column("email_hash").to_pylist(),
            strict=True,
        )
        if email_hash in erased
    )
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            return
        payment_id = _column(pipeline, client, "payment_id")
        # the few later payments of erased emails, not a chunk of ids: NOT IN needs them all
        keep = f" AND {payment_id} NOT IN ({', '.join(map(_quoted, kept))})" if kept else ""
        table = _table(pipeline, client, "payment_identities")
        email_hash = _column(pipeline, client, "email_hash")
        _delete(client, table, email_hash, sorted(erased), count=False, also=keep)


def apply_deletions(archive: Archive, pipeline: dlt.Pipeline) -> int:
    """Apply the archive's deletion log to the warehouse of `pipeline`; returns ids applied."""
    log = archive.read("_replayport_deletions", columns=["session_id"])
    ids = log.column("session_id").to_pylist()
    if ids:
        delete_sessions(pipeline, ids, count=False)
    return len(ids)
