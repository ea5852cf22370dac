"""Listing: PostHog's real response shape, cursor and offset paging, settling, deletions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from replayport.sources.posthog_replay.listing import (
    find_deleted_recordings,
    iter_listing,
    list_by_session_ids,
    parse_time,
)
from tests.emulator import EmulatorConfig, PostHogEmulator, build_recordings
from tests.emulator.helpers import fast_client

LONG_AGO = datetime.now(UTC) - timedelta(days=60)


def test_cursor_pagination_lists_everything_in_start_order() -> None:
    recordings = build_recordings(12, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        pages = list(iter_listing(fast_client(ph), date_from=LONG_AGO, page_size=5))
        listing = [e for e in ph.log if e.kind == "listing"]
    ids = [m["id"] for page in pages for m in page]
    assert ids == [
        r.session_id for r in sorted(recordings, key=lambda r: (r.start_time, r.session_id))
    ]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert "after" not in listing[0].query
    assert all("after" in e.query and "offset" not in e.query for e in listing[1:])
    first = listing[0].query
    assert first["order"] == "start_time"
    assert first["order_direction"] == "ASC"
    assert first["limit"] == "5"
    assert parse_time(first["date_from"]) == LONG_AGO


def test_offset_fallback_without_next_cursor() -> None:
    recordings = build_recordings(7, unsettled=0)
    with PostHogEmulator(recordings, EmulatorConfig(cursor_pagination=False)) as ph:
        pages = list(iter_listing(fast_client(ph), date_from=LONG_AGO, page_size=3))
        offsets = [e.query.get("offset") for e in ph.log]
    assert sum(len(p) for p in pages) == 7
    assert offsets == [None, "3", "6"]


def test_date_filters_and_default_date_from() -> None:
    recordings = build_recordings(6, unsettled=1, days_ago=(1.5, 10))
    with PostHogEmulator(recordings) as ph:
        client = fast_client(ph)
        # PostHog defaults date_from to -3d: a raw call without it misses older recordings
        raw = client.get("session_recordings/", {"order": "start_time", "limit": 100}).json()
        three_days = datetime.now(UTC) - timedelta(days=3)
        assert all(parse_time(m["start_time"]) >= three_days for m in raw["results"])
        cutoff = datetime.now(UTC) - timedelta(hours=24)
        pages = list(iter_listing(client, date_from=LONG_AGO, date_to=cutoff))
    listed = [m for page in pages for m in page]
    settled = [r.session_id for r in ph.settled()]
    assert [m["id"] for m in listed] == settled
    assert not any(m["ongoing"] for m in listed)
    assert set(raw) >= {"results", "has_next"}


def test_session_ids_listing_is_json_encoded_and_chunked() -> None:
    recordings = build_recordings(5, unsettled=0)
    wanted = [r.session_id for r in recordings[:4]] + ["not-a-recording"]
    with PostHogEmulator(recordings) as ph:
        found = list_by_session_ids(fast_client(ph), wanted, chunk=2)
        calls = [e for e in ph.log if e.kind == "listing"]
    assert set(found) == set(wanted[:4])
    assert len(calls) == 3
    assert all(json.loads(e.query["session_ids"]) for e in calls)
    assert all("date_from" in e.query for e in calls)


def test_find_deleted_recordings_ignores_expired_ones() -> None:
    recordings = build_recordings(4, unsettled=0)
    now = datetime.now(UTC)
    with PostHogEmulator(recordings) as ph:
        ph.delete_recording(recordings[1].session_id)
        known = {
            recordings[0].session_id: now + timedelta(days=10),
            recordings[1].session_id: now + timedelta(days=10),  # deleted upstream
            recordings[2].session_id: None,
            "expired-already": now - timedelta(days=1),  # gone by retention: not a deletion
            "vanished-unknown-expiry": None,
        }
        deleted = find_deleted_recordings(fast_client(ph), known, now=now)
    assert deleted == sorted([recordings[1].session_id, "vanished-unknown-expiry"])
