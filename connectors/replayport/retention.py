"""Erasure (`forget`) and retention (`prune`): sessions leave every place replayport wrote them.

For each request: find the sessions (by the hashed distinct id or email — the same keyed hash
the archive holds — or by session id; by age for retention), then

1. delete their rows from every archive table and purge the old Delta versions (the bytes are
   gone, see `Archive.delete_sessions`);
2. log them in `_replayport_deletions`, which every later load applies, so a warehouse that is
   loaded from this archive later (or was unreachable now) loses them too;
3. delete their rows from every warehouse this workdir has loaded (all recording tables, the
   rejects and dlt's staging copies; for an email also the matching `payment_identities`,
   which payment imports and later loads keep out, see `Archive.erased_emails`);
4. delete exported replays of those sessions from `<workdir>/exports`;
5. write an erase record (`_replayport_erasures`: hashed subject, counts, time — never a raw
   value) so auditors can see that it happened.

Erasing nobody is a success: the record then proves the request was processed and nothing was
held. A place that could not be reached is a failure (exit 1) and is named in the record.
"""

from __future__ import annotations

import secrets
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from replayport.archive.erasures import ERASURES_TABLE, EraseRecord
from replayport.archive.store import Archive
from replayport.config import Settings, resolve_hash_key
from replayport.errors import ConfigError
from replayport.metrics import RunMetrics
from replayport.privacy.hashing import IdentifierHasher
from replayport.warehouse.delete import SESSION_TABLES, delete_rows, delete_sessions
from replayport.warehouse.load import loaded_destinations, warehouse_pipeline

__all__ = ["Subject", "forget", "prune", "prune_if_configured", "retention_days"]

_PAYMENTS = "payment_identities"
_SCAN_LIMIT_BYTES = 512 * 1024**2
"""Exports larger than this are matched by file name only (replays are far smaller)."""


@dataclass(frozen=True)
class Subject:
    """Whom to forget; `value` is the raw identifier, kept in memory only."""

    kind: str
    """`distinct_id`, `email` or `session_id`."""
    value: str

    @classmethod
    def from_options(
        cls, distinct_id: str | None, email: str | None, session_id: str | None
    ) -> Subject:
        """Exactly one of the three must be given.

        Raises:
            ConfigError: none or several given, or a blank value.
        """
        given = [
            (k, v)
            for k, v in (("distinct_id", distinct_id), ("email", email), ("session_id", session_id))
            if v is not None
        ]
        if len(given) != 1:
            raise ConfigError("give exactly one of --distinct-id, --email, --session-id")
        kind, value = given[0]
        if not value.strip():
            raise ConfigError(f"--{kind.replace('_', '-')} must not be blank")
        return cls(kind, value.strip())


def forget(
    settings: Settings,
    subject: Subject,
    run_id: str,
    metrics: RunMetrics | None = None,
    hash_key: str | None = None,
) -> EraseRecord:
    """Erase every session of `subject` from archive, warehouses and exports.

    Args:
        settings: workdir and archive.
        subject: whom to forget.
        run_id: the run this erasure belongs to (links the record and the deletion log).
        metrics: receives `sessions_deleted`.
        hash_key: identifier hash key (else `REPLAYPORT__HASH_KEY`); unused for session ids.

    Returns:
        The erase record (already written to the archive).
    """
    archive = Archive(settings)
    subject_hash: str | None
    key_id: str | None = None
    if subject.kind == "session_id":
        session_ids = [subject.value]
        # a session id is pseudonymous, but the record still never stores it in the clear
        hasher = _optional_hasher(hash_key)
        subject_hash = hasher.hash_id(subject.value) if hasher else None
        key_id = hasher.key_id if hasher else None
    else:
        hasher = IdentifierHasher(resolve_hash_key(hash_key))
        key_id = hasher.key_id
        if subject.kind == "email":
            subject_hash = hasher.hash_email(subject.value)
            column = "email_hash"
        else:
            subject_hash = hasher.hash_id(subject.value)
            column = "distinct_id_hash"
        sessions = archive.read(
            "sessions", columns=["session_id", column], filter=pc.field(column) == subject_hash
        )
        session_ids = sorted(set(sessions.column("session_id").to_pylist()))
    record = EraseRecord(
        erasure_id=_erasure_id(),
        run_id=run_id,
        kind="forget",
        subject_type=subject.kind,
        subject_hash=subject_hash,
        hash_key_id=key_id,
        requested_at=datetime.now(UTC),
        session_ids=session_ids,
    )
    payments = [subject_hash] if subject.kind == "email" and subject_hash else []
    _erase(settings, archive, record, reason="erased", payment_email_hashes=payments)
    if metrics is not None:
        metrics.add("sessions_deleted", len(record.session_ids))
    return record


def retention_days() -> int | None:
    """`[replayport] retention_days` / `REPLAYPORT__RETENTION_DAYS`; None when unset.

    Raises:
        ConfigError: not a positive whole number.
    """
    import dlt

    value: Any = dlt.config.get("replayport.retention_days")
    if value is None or value == "":
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ConfigError("replayport.retention_days must be a whole number of days") from None
    if days < 1:
        raise ConfigError("replayport.retention_days must be at least 1")
    return days


def prune(
    settings: Settings,
    run_id: str,
    days: int | None = None,
    now: datetime | None = None,
    metrics: RunMetrics | None = None,
) -> EraseRecord | None:
    """Expire every session that started more than `days` ago, everywhere.

    Args:
        settings: workdir and archive.
        run_id: the run this expiry belongs to.
        days: retention in days (else the `retention_days` setting).
        now: the reference time (tests); UTC now by default.
        metrics: receives `sessions_deleted`.

    Returns:
        The erase record, or None when nothing was old enough (no record is written then).

    Raises:
        ConfigError: no retention configured.
    """
    days = days if days is not None else retention_days()
    if days is None:
        raise ConfigError("no retention configured: set REPLAYPORT__RETENTION_DAYS (or --days)")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    archive = Archive(settings)
    sessions = archive.read("sessions", columns=["session_id", "start_time", "extracted_at"])
    started = pc.coalesce(sessions.column("start_time"), sessions.column("extracted_at"))
    old = sessions.filter(pc.less(started, pa.scalar(cutoff, started.type)))
    session_ids = sorted(set(old.column("session_id").to_pylist()))
    if not session_ids:
        return None
    record = EraseRecord(
        erasure_id=_erasure_id(),
        run_id=run_id,
        kind="expire",
        subject_type="retention",
        subject_hash=None,
        hash_key_id=None,
        requested_at=datetime.now(UTC),
        session_ids=session_ids,
    )
    _erase(settings, archive, record, reason="expired")
    if metrics is not None:
        metrics.add("sessions_deleted", len(session_ids))
    return record


def prune_if_configured(
    settings: Settings, run_id: str, metrics: RunMetrics, say: Callable[[str], None] = print
) -> EraseRecord | None:
    """`prune` when `retention_days` is set (as `run` does); failures count as run errors."""
    if retention_days() is None:
        return None
    record = prune(settings, run_id, metrics=metrics)
    if record is not None:
        say(f"retention: expired {len(record.session_ids)} session(s)")
        for place in record.failures:
            metrics.error(f"retention: could not expire sessions in {place}")
    return record


def _erase(
    settings: Settings,
    archive: Archive,
    record: EraseRecord,
    reason: str,
    payment_email_hashes: Sequence[str] = (),
) -> None:
    ids = record.session_ids
    if ids or payment_email_hashes:
        removed = archive.delete_sessions(ids, SESSION_TABLES) if ids else {}
        if payment_email_hashes:
            removed.update(archive.delete_rows([_PAYMENTS], "email_hash", payment_email_hashes))
        record.removed["archive"] = removed
        # logged before the warehouses: if one of them fails now, its next load catches up
        archive.record_deletions(ids, reason, record.run_id)
        for destination in loaded_destinations(settings):
            try:
                pipeline = warehouse_pipeline(settings, destination)
                # a pending package may hold the erased rows; its state rolls back with it, so
                # the next load simply re-reads what is left in the archive
                if pipeline.has_pending_data:
                    pipeline.abort_packages()
                rows = delete_sessions(pipeline, ids)
                if payment_email_hashes:
                    rows.update(
                        delete_rows(pipeline, [_PAYMENTS], "email_hash", payment_email_hashes)
                    )
            except Exception as exc:  # noqa: BLE001 - any driver error; its text may quote DSNs
                record.failures.append(f"{destination} ({type(exc).__name__})")
                continue
            record.removed[destination] = rows
        record.export_files = _erase_exports(settings.exports_dir, ids)
        _drop_loaded_packages(settings.pipelines_dir)
    record.completed_at = datetime.now(UTC)
    archive.write_tables([(ERASURES_TABLE, record.to_table())])


def _drop_loaded_packages(pipelines_dir: Path) -> None:
    """Remove dlt's local copies of already loaded files (kept for traces, not needed)."""
    for package in pipelines_dir.glob("*/load/loaded/*"):
        if package.is_dir():
            shutil.rmtree(package, ignore_errors=True)


def _erase_exports(exports_dir: Path, session_ids: Sequence[str]) -> int:
    """Delete every export that names or contains one of `session_ids`; returns files removed."""
    if not session_ids or not exports_dir.is_dir():
        return 0
    needles = [sid.encode() for sid in session_ids]
    removed = 0
    for path in sorted(p for p in exports_dir.rglob("*") if p.is_file()):
        if any(sid in path.name for sid in session_ids) or _contains(path, needles):
            path.unlink()
            removed += 1
    return removed


def _contains(path: Path, needles: list[bytes]) -> bool:
    """Whether the file (or, for a ZIP, any member's name or content) holds one of `needles`."""
    if path.stat().st_size > _SCAN_LIMIT_BYTES:
        return False
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as bundle:
            for member in bundle.infolist():
                if any(n.decode() in member.filename for n in needles):
                    return True
                data = bundle.read(member)
                if any(n in data for n in needles):
                    return True
        return False
    data = path.read_bytes()
    return any(n in data for n in needles)


def _optional_hasher(hash_key: str | None) -> IdentifierHasher | None:
    try:
        return IdentifierHasher(resolve_hash_key(hash_key))
    except ConfigError:
        return None


def _erasure_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
