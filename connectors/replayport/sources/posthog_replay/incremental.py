"""One extraction pass: pending retries first, then the listing from the cursor onwards.

Recordings are fetched by a small thread pool sharing the client's rate limiter and handed on
in listing order, so the cursor only ever moves over recordings that were handed on (or
deliberately skipped, deferred or found deleted). At most `max_recordings` are fetched per
pass; the runner repeats passes, committing archive and state after each, until the state says
`exhausted`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from replayport.errors import (
    AuthenticationError,
    NotFoundError,
    PostHogAPIError,
    RecordingDeletedError,
    RecordingIncompleteError,
    TransientError,
)
from replayport.metrics import RunMetrics
from replayport.progress import NullProgress, ProgressReporter, ProgressSnapshot
from replayport.rejects import Reject
from replayport.rrweb.types import RecordingMeta
from replayport.session import RawRecording
from replayport.sources.posthog_replay.client import PostHogClient
from replayport.sources.posthog_replay.listing import (
    default_date_from,
    iter_listing,
    list_by_session_ids,
    parse_time,
    settle_cutoff,
)
from replayport.sources.posthog_replay.settings import DEFAULT_SETTLE_HOURS, MAX_PENDING_ATTEMPTS
from replayport.sources.posthog_replay.snapshots import RecordingFetcher
from replayport.sources.posthog_replay.state import ExtractionState

__all__ = ["ExtractionOptions", "extract_recordings"]

logger = logging.getLogger(__name__)

TAction = Literal["fetch", "skip", "pass", "defer", "deleted"]
"""fetch: extract it; skip: already archived; pass: only move the cursor (handled through the
pending path); defer: not settled yet, retry later; deleted: vanished upstream."""


@dataclass
class ExtractionOptions:
    """What one pass extracts."""

    settle_hours: float = DEFAULT_SETTLE_HOURS
    since: datetime | None = None
    until: datetime | None = None
    max_recordings: int | None = None
    page_size: int = 100
    concurrency: int = 2
    skip_session_ids: Collection[str] = ()
    run_id: str | None = None
    """Recordings that failed in this run are not retried again within it."""
    now: datetime | None = None


@dataclass
class _Item:
    meta: RecordingMeta
    action: TAction
    from_pending: bool = False
    reason: str = ""
    future: Future[RawRecording] | None = None

    @property
    def session_id(self) -> str:
        return str(self.meta["id"])

    @property
    def start_time(self) -> datetime | None:
        value = self.meta.get("start_time")
        return parse_time(value) if value else None


@dataclass
class _Counts:
    done: int = 0
    failed: int = 0
    total: int = 0
    blocks: int = 0
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_blocks(self, n: int) -> None:
        with self.lock:
            self.blocks += n


def extract_recordings(
    client: PostHogClient,
    state: ExtractionState,
    options: ExtractionOptions,
    *,
    fetcher: RecordingFetcher | None = None,
    metrics: RunMetrics | None = None,
    on_reject: Callable[[Reject], None] | None = None,
    on_deleted: Callable[[str], None] | None = None,
    progress: ProgressReporter | None = None,
) -> Iterator[RawRecording]:
    """Yields complete recordings in listing order and keeps `state` up to date.

    The state is updated *before* a recording is yielded: dlt commits it together with
    whatever the consumer makes of that recording, or not at all.

    Raises:
        AuthenticationError: the API key was refused (the pass stops).
    """
    metrics = metrics if metrics is not None else client.metrics
    progress = progress or NullProgress()
    counts = _Counts()
    fetcher = fetcher or RecordingFetcher(client)
    if fetcher.on_blocks is None:
        fetcher.on_blocks = counts.add_blocks
    now = parse_time(options.now or datetime.now(UTC))
    cutoff = settle_cutoff(now, options.settle_hours)
    upper = min(cutoff, parse_time(options.until)) if options.until is not None else cutoff
    skip = set(options.skip_session_ids)
    limit = options.max_recordings
    # set for real only when this pass reaches the end of the listing
    state.exhausted = False
    candidates = _candidates(client, state, options, now, cutoff, upper, skip, metrics)
    queue: deque[_Item] = deque()
    in_flight = 0
    fetched = 0
    listing_done = False

    def report() -> None:
        remaining = max(0, counts.total - counts.done - counts.failed)
        per_recording = counts.calls / counts.done if counts.done else 3.0
        progress.update(
            ProgressSnapshot(
                recordings_done=counts.done,
                recordings_total=counts.total,
                blocks=counts.blocks,
                bytes_in=metrics.get("bytes_in"),
                budget_left=client.limiter.budget_left(),
                eta_seconds=client.limiter.eta(int(round(remaining * per_recording))),
                failed=counts.failed,
            )
        )

    with ThreadPoolExecutor(
        max_workers=max(1, options.concurrency), thread_name_prefix="posthog-snapshots"
    ) as pool:
        try:
            while True:
                # keep the pool busy, but never more than `concurrency` recordings in memory
                while not listing_done and in_flight < max(1, options.concurrency):
                    if limit is not None and fetched >= limit:
                        break
                    item = next(candidates, None)
                    if item is None:
                        listing_done = True
                        break
                    if item.action == "fetch":
                        item.future = pool.submit(fetcher.fetch, item.meta)
                        in_flight += 1
                        fetched += 1
                        counts.total += 1
                    queue.append(item)
                if not queue:
                    break
                item = queue.popleft()
                if item.future is not None:
                    in_flight -= 1
                raw = _settle_item(item, state, options, metrics, counts, on_reject, on_deleted)
                report()
                if raw is not None:
                    yield raw
        finally:
            # the reporter belongs to the caller (it may span several passes): not closed here
            for pending in queue:
                if pending.future is not None:
                    pending.future.cancel()
    state.exhausted = listing_done
    logger.info(
        "posthog extraction pass: %d handed on, %d failed, %d blocks, exhausted=%s",
        counts.done,
        counts.failed,
        counts.blocks,
        listing_done,
    )


def _settle_item(
    item: _Item,
    state: ExtractionState,
    options: ExtractionOptions,
    metrics: RunMetrics,
    counts: _Counts,
    on_reject: Callable[[Reject], None] | None,
    on_deleted: Callable[[str], None] | None,
) -> RawRecording | None:
    """Applies one item's outcome to the state; returns the recording to hand on, if any."""
    sid = item.session_id
    start = item.start_time

    def move_cursor() -> None:
        if not item.from_pending and start is not None:
            state.advance(sid, start)

    if item.action == "skip":
        state.drop_pending(sid)
        move_cursor()
        return None
    if item.action == "pass":
        move_cursor()
        return None
    if item.action == "deleted":
        metrics.add("sessions_deleted")
        state.drop_pending(sid)
        _deleted(sid, on_deleted)
        return None
    if item.action == "defer":
        state.add_pending(
            sid,
            item.reason,
            run_id=options.run_id,
            start_time=item.meta.get("start_time"),
            count_attempt=False,
        )
        move_cursor()
        return None
    assert item.future is not None
    try:
        raw = item.future.result()
    except AuthenticationError:
        raise
    except RecordingDeletedError:
        metrics.add("sessions_deleted")
        state.drop_pending(sid)
        move_cursor()
        _deleted(sid, on_deleted)
        return None
    except Exception as exc:  # every other failure: reject now, retry next run
        reason, message = _classify(exc)
        counts.failed += 1
        metrics.add("sessions_failed")
        attempts = state.add_pending(
            sid, reason, run_id=options.run_id, start_time=item.meta.get("start_time")
        )
        move_cursor()
        where = f"attempt {attempts} of {MAX_PENDING_ATTEMPTS} runs"
        _reject(on_reject, Reject("api", reason, message, where, sid, "posthog"))
        if attempts >= MAX_PENDING_ATTEMPTS:
            state.give_up(sid)
            _reject(
                on_reject,
                Reject(
                    "api",
                    "retries_exhausted",
                    f"gave up after {attempts} runs; last problem: {reason}",
                    "",
                    sid,
                    "posthog",
                ),
            )
        return None
    state.drop_pending(sid)
    move_cursor()
    counts.done += 1
    counts.calls += raw.api_calls
    # `sessions_extracted` is counted by processing, once a recording became tables
    return raw


def _classify(exc: BaseException) -> tuple[str, str]:
    """A reject reason and a message free of secrets and personal data."""
    if isinstance(exc, RecordingIncompleteError):
        return "incomplete_recording", str(exc)
    if isinstance(exc, NotFoundError):
        return "recording_not_found", str(exc)
    if isinstance(exc, TransientError):
        return "api_unavailable", str(exc)
    if isinstance(exc, PostHogAPIError):
        return "api_error", str(exc)
    # unexpected errors (e.g. in decoding) may quote data: keep only the type
    logger.exception("unexpected error while fetching a recording")
    return "extract_failed", f"unexpected {type(exc).__name__} while fetching snapshots"


def _reject(on_reject: Callable[[Reject], None] | None, reject: Reject) -> None:
    if on_reject is not None:
        on_reject(reject)
    else:
        logger.warning(
            "reject %s/%s: %s (%s)", reject.stage, reject.reason, reject.message, reject.session_id
        )


def _deleted(session_id: str, on_deleted: Callable[[str], None] | None) -> None:
    if on_deleted is not None:
        on_deleted(session_id)
    else:
        logger.info("recording %s was deleted upstream", session_id)


def _candidates(
    client: PostHogClient,
    state: ExtractionState,
    options: ExtractionOptions,
    now: datetime,
    cutoff: datetime,
    upper: datetime,
    skip: set[str],
    metrics: RunMetrics,
) -> Iterator[_Item]:
    """Pending retries (re-listed by id), then the listing after the cursor, as work items."""
    due = [
        sid
        for sid, entry in state.pending.items()
        if options.run_id is None or entry.get("run_id") != options.run_id
    ]
    done_already = [sid for sid in due if sid in skip]
    for sid in done_already:
        state.drop_pending(sid)
    due = [sid for sid in due if sid not in skip]
    if due:
        found = list_by_session_ids(client, due, now=now)
        for sid in sorted(due, key=lambda s: (state.pending[s].get("start_time") or "", s)):
            meta = found.get(sid)
            if meta is None:
                # gone from PostHog before it was archived: propagate as a deletion anyway
                yield _Item({"id": sid}, "deleted", from_pending=True)
                continue
            if not _settled(meta, cutoff):
                # still ongoing: look again next run, not in every chunk of this one
                state.pending[sid]["run_id"] = options.run_id
                continue
            yield _Item(meta, "fetch", from_pending=True)

    # the cursor belongs to this listing window, so it is never before `since`
    date_from = state.cursor_time or (
        parse_time(options.since) if options.since is not None else default_date_from(now)
    )
    for page in iter_listing(
        client, date_from=date_from, date_to=upper, page_size=options.page_size
    ):
        for meta in page:
            sid = str(meta.get("id") or "")
            raw_start = meta.get("start_time")
            if not sid or not raw_start:
                continue
            start = parse_time(raw_start)
            if start >= upper:
                return
            if state.already_handed_on(sid, start):
                continue
            metrics.add("sessions_listed")
            if sid in skip:
                metrics.add("sessions_skipped")
                yield _Item(meta, "skip")
            elif sid in state.pending:
                # retried through the pending path; here the cursor only moves past it
                yield _Item(meta, "pass")
            elif meta.get("ongoing"):
                yield _Item(meta, "defer", reason="ongoing")
            else:
                yield _Item(meta, "fetch")


def _settled(meta: RecordingMeta, cutoff: datetime) -> bool:
    start = meta.get("start_time")
    if not start:
        return False
    return parse_time(start) < cutoff and not meta.get("ongoing")
