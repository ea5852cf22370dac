"""Listing recordings: `GET …/session_recordings/` in ascending start order.

PostHog's real response is `{results, has_next, next_cursor?, version}` (not the published
OpenAPI's `count/next/previous`). Pages follow `after=<next_cursor>` when the server offers a
cursor and fall back to `offset` otherwise. Every parameter value is JSON-decoded server-side,
so `session_ids` travels as a JSON array. `date_from` is always sent: PostHog defaults it to
three days ago.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import NotRequired, TypedDict

from replayport.rrweb.types import RecordingMeta
from replayport.sources.posthog_replay.client import PostHogClient
from replayport.sources.posthog_replay.settings import (
    DEFAULT_LOOKBACK_DAYS,
    DELETION_CHECK_CHUNK,
)

__all__ = [
    "ListingPage",
    "find_deleted_recordings",
    "format_time",
    "iter_listing",
    "list_by_session_ids",
    "parse_time",
    "settle_cutoff",
]

LISTING_PATH = "session_recordings/"


class ListingPage(TypedDict):
    """One page of PostHog's recordings listing."""

    results: list[RecordingMeta]
    has_next: bool
    next_cursor: NotRequired[str | None]
    version: NotRequired[int]


def parse_time(value: str | datetime) -> datetime:
    """Parses PostHog's ISO timestamps (`…Z`, with or without fractions) into aware UTC."""
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Formats an aware datetime the way PostHog does (`2025-06-01T10:00:00.000000Z`)."""
    return parse_time(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def settle_cutoff(now: datetime, settle_hours: float) -> datetime:
    """Recordings that started before this instant are settled."""
    return parse_time(now) - timedelta(hours=settle_hours)


def default_date_from(now: datetime) -> datetime:
    """The earliest start time any PostHog plan still retains."""
    return parse_time(now) - timedelta(days=DEFAULT_LOOKBACK_DAYS)


def iter_listing(
    client: PostHogClient,
    *,
    date_from: datetime,
    date_to: datetime | None = None,
    page_size: int = 100,
    session_ids: Sequence[str] | None = None,
) -> Iterator[list[RecordingMeta]]:
    """Yields pages of recordings with `date_from <= start_time <= date_to`, oldest first.

    Args:
        client: the project's client.
        date_from: inclusive lower bound on the recording start.
        date_to: upper bound on the recording start (None: no bound).
        page_size: `limit` per call.
        session_ids: restrict the listing to these recordings.

    Yields:
        Each page's `results` (possibly empty for the last page).
    """
    params: dict[str, str | int] = {
        "date_from": format_time(date_from),
        "order": "start_time",
        "order_direction": "ASC",
        "limit": page_size,
    }
    if date_to is not None:
        params["date_to"] = format_time(date_to)
    if session_ids is not None:
        params["session_ids"] = json.dumps(list(session_ids))
    cursor: str | None = None
    seen = 0
    while True:
        query = dict(params)
        if cursor:
            query["after"] = cursor
        elif seen:
            query["offset"] = seen
        page: ListingPage = client.get(LISTING_PATH, query).json()
        results = list(page.get("results") or [])
        seen += len(results)
        yield results
        if not page.get("has_next") or not results:
            return
        # the cursor is stable under concurrent inserts; offset is the fallback (PostHog #13392)
        cursor = page.get("next_cursor") or None


def list_by_session_ids(
    client: PostHogClient,
    session_ids: Collection[str],
    *,
    date_from: datetime | None = None,
    now: datetime | None = None,
    chunk: int = DELETION_CHECK_CHUNK,
) -> dict[str, RecordingMeta]:
    """Re-lists specific recordings (`session_ids=[...]`), `chunk` ids per call.

    Returns:
        The listing element of every id PostHog still knows, by id.
    """
    ids = sorted(set(session_ids))
    now = parse_time(now or datetime.now(UTC))
    since = date_from if date_from is not None else default_date_from(now)
    found: dict[str, RecordingMeta] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for page in iter_listing(client, date_from=since, page_size=len(part), session_ids=part):
            for meta in page:
                if meta.get("id") in part:
                    found[str(meta["id"])] = meta
    return found


def find_deleted_recordings(
    client: PostHogClient,
    known: Mapping[str, datetime | str | None],
    *,
    now: datetime | None = None,
) -> list[str]:
    """Finds recordings that vanished from PostHog before their expiry.

    Args:
        client: the project's client.
        known: archived session ids → their `expiry_time` (None when unknown).
        now: the current time (for tests).

    Returns:
        Sorted ids that PostHog no longer lists although they have not expired: deleted
        upstream, so they must be deleted from the archive and the warehouse too.
    """
    now = parse_time(now or datetime.now(UTC))
    present = list_by_session_ids(client, known.keys(), now=now)
    deleted = []
    for session_id, expiry in known.items():
        if session_id in present:
            continue
        if expiry is not None and parse_time(expiry) <= now:
            continue  # expired by retention, not deleted
        deleted.append(session_id)
    return sorted(deleted)
