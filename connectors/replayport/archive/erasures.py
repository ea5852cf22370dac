"""Erase records: proof for auditors that an erasure or expiry happened, without the data.

One row per `forget`/`prune` request in the archive table `_replayport_erasures` (loaded into
every warehouse like the contract tables). It holds the *hashed* subject (the same HMAC the
warehouse uses), how many sessions matched, the rows removed per place and table, and when —
never a raw identifier. The session ids themselves are in `_replayport_deletions` (same
`run_id`), which later loads of other warehouses apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson
import pyarrow as pa

from replayport.tables.schemas import TS

__all__ = ["ERASURES_TABLE", "ERASURES_SCHEMA", "EraseRecord"]

ERASURES_TABLE = "_replayport_erasures"
ERASURES_SCHEMA = pa.schema(
    [
        pa.field("erasure_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("subject_type", pa.string()),
        pa.field("subject_hash", pa.string()),
        pa.field("hash_key_id", pa.string()),
        pa.field("sessions_matched", pa.int64()),
        pa.field("archive_rows", pa.int64()),
        pa.field("warehouse_rows", pa.int64()),
        pa.field("export_files", pa.int64()),
        pa.field("removed", pa.string()),
        pa.field("failures", pa.string()),
        pa.field("requested_at", TS),
        pa.field("completed_at", TS),
    ]
)
"""`kind` is `forget` or `expire`; `subject_type` is `distinct_id`, `email`, `session_id` or
`retention`; `removed` is JSON `{place: {table: rows}}`; `failures` JSON `[place, …]`."""


@dataclass
class EraseRecord:
    """What one erasure did (counts only)."""

    erasure_id: str
    run_id: str
    kind: str
    subject_type: str
    subject_hash: str | None
    hash_key_id: str | None
    requested_at: datetime
    session_ids: list[str] = field(default_factory=list, repr=False)
    """The matched sessions; kept in memory only (the record stores the count)."""
    removed: dict[str, dict[str, int]] = field(default_factory=dict)
    export_files: int = 0
    failures: list[str] = field(default_factory=list)
    completed_at: datetime | None = None

    @property
    def archive_rows(self) -> int:
        return sum(self.removed.get("archive", {}).values())

    @property
    def warehouse_rows(self) -> int:
        return sum(
            rows
            for place, tables in self.removed.items()
            if place != "archive"
            for rows in tables.values()
        )

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_table(self) -> pa.Table:
        row = {
            "erasure_id": self.erasure_id,
            "run_id": self.run_id,
            "kind": self.kind,
            "subject_type": self.subject_type,
            "subject_hash": self.subject_hash,
            "hash_key_id": self.hash_key_id,
            "sessions_matched": len(self.session_ids),
            "archive_rows": self.archive_rows,
            "warehouse_rows": self.warehouse_rows,
            "export_files": self.export_files,
            "removed": orjson.dumps(self.removed).decode(),
            "failures": orjson.dumps(self.failures).decode(),
            "requested_at": self.requested_at,
            "completed_at": self.completed_at,
        }
        return pa.Table.from_pylist([row], schema=ERASURES_SCHEMA)
