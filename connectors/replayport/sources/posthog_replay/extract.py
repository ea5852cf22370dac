"""`replayport extract|run --source posthog`: the source driven chunk by chunk into the archive.

Each chunk (at most `CHUNK_RECORDINGS` recordings) is one dlt run into the archive, which
commits the archived tables and the source's state together; a `kill -9` therefore loses at
most the chunk in flight, and the next run resumes from the last committed cursor. Recordings
already in the archive are never fetched again. Deletions found upstream (410 while fetching,
or recordings that vanished from the listing before their expiry) are removed from the archive
here; the caller removes them from the warehouse (`PostHogExtractResult.deleted`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import dlt

from replayport.archive.store import Archive
from replayport.progress import ProgressReporter, ProgressSnapshot, make_progress
from replayport.sources.posthog_replay import (
    SECTION,
    extraction_state,
    posthog_client,
    posthog_replay,
)
from replayport.sources.posthog_replay.listing import find_deleted_recordings, parse_time
from replayport.sources.posthog_replay.settings import (
    CHUNK_RECORDINGS,
    DELETION_CHECK_MAX_IDS,
    MIN_RETENTION_DAYS,
)
from replayport.tables.schemas import CONTRACT_TABLES

if TYPE_CHECKING:
    from replayport.privacy.policy import PrivacyPolicy
    from replayport.runner import Run

__all__ = ["PostHogExtractResult", "extract_posthog"]

logger = logging.getLogger(__name__)

_MAX_CHUNKS = 100_000


@dataclass
class PostHogExtractResult:
    """What an extraction did besides archiving."""

    chunks: int = 0
    deleted: list[str] = field(default_factory=list)
    """Recordings deleted upstream and removed from the archive: delete them from the
    warehouse too."""


def extract_posthog(
    run: Run,
    since: datetime | None = None,
    until: datetime | None = None,
    hash_key: str | None = None,
    policy: PrivacyPolicy | None = None,
    *,
    chunk: int = CHUNK_RECORDINGS,
    check_deletions: bool = True,
    progress: ProgressReporter | None = None,
) -> PostHogExtractResult:
    """Archives every settled PostHog recording not archived yet, then propagates deletions.

    Args:
        run: the run (settings, metrics, rejects, id).
        since: backfill window start (the window keeps its own cursor).
        until: backfill window end (exclusive).
        hash_key: identifier hash key (else `REPLAYPORT__HASH_KEY`).
        policy: privacy policy (else from config).
        chunk: recordings per archive commit (config `sources.posthog_replay.chunk_recordings`
            wins, e.g. `SOURCES__POSTHOG_REPLAY__CHUNK_RECORDINGS=10`).
        check_deletions: re-list archived recordings to find upstream deletions.
        progress: progress reporter (rich on a terminal, log lines otherwise by default).

    Returns:
        Chunks written and the ids deleted upstream.
    """
    configured: Any = dlt.config.get(f"sources.{SECTION}.chunk_recordings")
    chunk = max(1, int(configured)) if configured else chunk
    ctx = run.processing_context(hash_key, policy)
    archive = Archive(run.settings)
    pipeline = archive.pipeline()
    process = run.processor(ctx)
    reporter = _RunProgress(progress or make_progress())
    result = PostHogExtractResult()
    deleted_now: list[str] = []
    archived = archive.session_ids()
    # erased (`forget`) and expired (`prune`) recordings may still exist upstream: skip them
    erased = archive.deleted_session_ids()
    try:
        with run.metrics.stage("extract"):
            while result.chunks < _MAX_CHUNKS:
                source = posthog_replay(
                    since=since,
                    until=until,
                    max_recordings=chunk,
                    skip_session_ids=frozenset(archived | erased),
                    process=process,
                    metrics=run.metrics,
                    on_reject=run.reject,
                    on_deleted=deleted_now.append,
                    progress=reporter,
                    run_id=run.run_id,
                )
                archive.write(source, pipeline=pipeline)
                result.chunks += 1
                reporter.next_chunk()
                if deleted_now:
                    _delete(archive, deleted_now, archived, result)
                    deleted_now.clear()
                if extraction_state(pipeline).get("exhausted", True):
                    break
            if check_deletions:
                _check_deletions(run, archive, archived, result)
    finally:
        reporter.close()
    return result


def _delete(
    archive: Archive, ids: list[str], archived: set[str], result: PostHogExtractResult
) -> None:
    unique = sorted(set(ids))
    archive.delete_sessions(unique, CONTRACT_TABLES)
    archived.difference_update(unique)
    result.deleted.extend(sid for sid in unique if sid not in result.deleted)
    logger.info("removed %d recordings deleted upstream from the archive", len(unique))


def _check_deletions(
    run: Run, archive: Archive, archived: set[str], result: PostHogExtractResult
) -> None:
    """Finds archived recordings that PostHog no longer lists although they have not expired."""
    known = _known_expiries(archive, archived)
    if not known:
        return
    ids = sorted(known)
    if len(ids) > DELETION_CHECK_MAX_IDS:
        # a stateless rotation: every run checks another slice of a large archive
        offset = int(hashlib.sha256(run.run_id.encode()).hexdigest(), 16) % len(ids)
        ids = (ids[offset:] + ids[:offset])[:DELETION_CHECK_MAX_IDS]
    client = posthog_client(metrics=run.metrics)
    with client, run.metrics.stage("deletion_check"):
        deleted = find_deleted_recordings(client, {sid: known[sid] for sid in ids})
    if deleted:
        run.metrics.add("sessions_deleted", len(deleted))
        _delete(archive, deleted, archived, result)


def _known_expiries(archive: Archive, archived: set[str]) -> dict[str, datetime]:
    """Archived ids → expiry (or a conservative estimate), only those not yet expired."""
    dataset = archive.dataset("sessions")
    if dataset is None:
        return {}
    names = set(dataset.schema.names)
    columns = [c for c in ("session_id", "start_time", "expiry_time") if c in names]
    rows: list[dict[str, Any]] = dataset.to_table(columns=columns).to_pylist()
    now = datetime.now(UTC)
    known: dict[str, datetime] = {}
    for row in rows:
        sid = row.get("session_id")
        if sid not in archived:
            continue
        expiry = row.get("expiry_time")
        if expiry is None:
            start = row.get("start_time")
            if start is None:
                continue
            expiry = parse_time(start) + timedelta(days=MIN_RETENTION_DAYS)
        expiry = parse_time(expiry)
        if expiry > now:
            known[str(sid)] = expiry
    return known


class _RunProgress:
    """Adds up the per-chunk progress of the source into one view of the whole run."""

    def __init__(self, inner: ProgressReporter) -> None:
        self._inner = inner
        self._base = ProgressSnapshot()
        self._last = ProgressSnapshot()

    def update(self, snapshot: ProgressSnapshot) -> None:
        self._last = snapshot
        base = self._base
        self._inner.update(
            ProgressSnapshot(
                recordings_done=base.recordings_done + snapshot.recordings_done,
                recordings_total=(base.recordings_total or 0) + (snapshot.recordings_total or 0),
                blocks=base.blocks + snapshot.blocks,
                bytes_in=snapshot.bytes_in,
                budget_left=snapshot.budget_left,
                eta_seconds=snapshot.eta_seconds,
                failed=base.failed + snapshot.failed,
            )
        )

    def next_chunk(self) -> None:
        base, last = self._base, self._last
        self._base = ProgressSnapshot(
            recordings_done=base.recordings_done + last.recordings_done,
            recordings_total=(base.recordings_total or 0) + (last.recordings_total or 0),
            blocks=base.blocks + last.blocks,
            failed=base.failed + last.failed,
        )
        self._last = ProgressSnapshot()

    def close(self) -> None:
        self._inner.close()
