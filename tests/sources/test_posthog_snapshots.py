"""Snapshots: ≤ 20 blocks per call, calls per recording, partial answers, LTS, JSONL fallback."""

from __future__ import annotations

import math
import struct

import cramjam
import pytest

from replayport.errors import NotFoundError, RecordingDeletedError, RecordingIncompleteError
from replayport.sources.posthog_replay.snapshots import (
    RecordingFetcher,
    count_blocks,
    plan_ranges,
    split_blocks,
)
from tests.emulator import EmulatorConfig, PostHogEmulator, build_recordings
from tests.emulator.helpers import fast_client


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (list(range(20)), [(0, 19)]),
        (list(range(21)), [(0, 19), (20, 20)]),
        (list(range(38)), [(0, 19), (20, 37)]),
        ([0, 1, 2, 5, 6], [(0, 2), (5, 6)]),
        ([3], [(3, 3)]),
        ([], []),
    ],
    ids=["twenty", "twenty_one", "thirty_eight", "gap", "single", "none"],
)
def test_plan_ranges(keys: list[int], expected: list[tuple[int, int]]) -> None:
    ranges = plan_ranges(keys)
    assert ranges == expected
    assert all(end - start <= 19 for start, end in ranges)


def test_split_and_count_blocks() -> None:
    blocks = [bytes(cramjam.snappy.compress_raw(f"line {i}\n".encode() * 3)) for i in range(3)]
    body = b"".join(struct.pack(">I", len(b)) + b for b in blocks)
    assert split_blocks(body) == blocks
    assert count_blocks(body) == 3
    assert count_blocks(b"") == 0
    assert count_blocks(body[:-1]) is None
    assert count_blocks(struct.pack(">I", 0)) is None


def _requested(query: dict[str, str]) -> int:
    return int(query["end_blob_key"]) - int(query["start_blob_key"]) + 1


def _fetch_all(ph: PostHogEmulator, **kwargs: object) -> dict[str, object]:
    fetcher = RecordingFetcher(fast_client(ph, **kwargs))
    return {r.session_id: fetcher.fetch(r.meta) for r in ph.settled()}


def test_fault_free_fetch_matches_the_recordings_and_the_call_budget() -> None:
    recordings = build_recordings(6, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        fetched = _fetch_all(ph)
        for rec in ph.settled():
            raw = fetched[rec.session_id]
            assert raw.session_id == rec.session_id
            assert raw.source == "posthog"
            assert raw.meta == rec.meta
            assert raw.origin == f"/api/projects/1/session_recordings/{rec.session_id}/snapshots"
            assert [w for w, _ in raw.stream.events] == [w for w, _ in rec.lines]
            assert [e["timestamp"] for _, e in raw.stream.events] == [
                e["timestamp"] for _, e in rec.lines
            ]
            blocks = 1 if rec.lts else rec.n_blocks
            assert raw.blocks == blocks
            # the efficiency rule, measured on the server side
            budget = 1 + math.ceil(blocks / 20)
            assert ph.calls_for(rec.session_id) == raw.api_calls == budget
        data_calls = ph.entries("data")
        assert data_calls and all(
            int(e.query["end_blob_key"]) - int(e.query["start_blob_key"]) + 1 <= 20
            for e in data_calls
            if e.query["source"] == "blob_v2"
        )
        assert all(e.query["decompress"] == "false" for e in data_calls)
        assert any(rec.n_blocks > 20 for rec in recordings), "a recording needs 2+ data calls"
        lts = [e for e in data_calls if e.query["source"] == "blob_v2_lts"]
        assert len(lts) == 1 and lts[0].query["blob_key"].startswith("session_recordings_lts/")


def test_partial_answers_are_detected_and_refetched() -> None:
    recordings = build_recordings(6, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        clean = _fetch_all(ph)
    config = EmulatorConfig(partial_rate=0.6, error_rate=0.1, seed=11)
    with PostHogEmulator(recordings, config) as ph:
        faulty = _fetch_all(ph)
        partial = [
            e
            for e in ph.entries("data")
            if e.status == 200
            and e.query["source"] == "blob_v2"
            and e.blocks_returned is not None
            and e.blocks_returned < _requested(e.query)
        ]
    assert partial, "the emulator should have dropped blocks from some 200s"
    assert faulty.keys() == clean.keys()
    for sid, raw in faulty.items():
        assert raw.stream.events == clean[sid].stream.events
        assert raw.blocks == clean[sid].blocks


def test_refetch_asks_only_for_the_missing_span() -> None:
    recordings = build_recordings(2, unsettled=0, lts=())
    target = recordings[1]  # an s2 clone with more than 20 blocks
    with PostHogEmulator(recordings) as ph:
        ph.config.failing_blocks = {target.session_id: {3, 7}}
        fetcher = RecordingFetcher(fast_client(ph), max_refetches=1)
        with pytest.raises(RecordingIncompleteError, match="2 of 20 blocks"):
            fetcher.fetch(target.meta)
        ranges = [
            (int(e.query["start_blob_key"]), int(e.query["end_blob_key"]))
            for e in ph.entries("data", target.session_id)
        ]
    assert ranges == [(0, 19), (3, 7)]


def test_incomplete_after_bounded_refetches() -> None:
    recordings = build_recordings(2, unsettled=0, lts=())
    target = recordings[0]
    with PostHogEmulator(recordings) as ph:
        ph.config.failing_blocks = {target.session_id: {1, 5}}
        fetcher = RecordingFetcher(fast_client(ph), max_refetches=3)
        with pytest.raises(RecordingIncompleteError, match="2 of 20 blocks"):
            fetcher.fetch(target.meta)
        ranges = [
            (int(e.query["start_blob_key"]), int(e.query["end_blob_key"]))
            for e in ph.entries("data", target.session_id)
        ]
        assert ranges == [(0, 19), (1, 5), (1, 5), (1, 5)]
        assert fetcher.client.metrics.get("api_retries") == 3


def test_block_still_failing_alone_is_incomplete_not_unavailable() -> None:
    recordings = build_recordings(1, unsettled=0, lts=())
    target = recordings[0]
    with PostHogEmulator(recordings) as ph:
        ph.config.failing_blocks = {target.session_id: {1}}
        fetcher = RecordingFetcher(fast_client(ph, max_attempts=2))
        with pytest.raises(RecordingIncompleteError, match="1 of 20 blocks"):
            fetcher.fetch(target.meta)
        statuses = [e.status for e in ph.entries("data", target.session_id)]
        assert statuses == [200, 502, 502]


def test_all_blocks_failing_is_a_502_then_incomplete() -> None:
    recordings = build_recordings(1, unsettled=0, lts=())
    target = recordings[0]
    with PostHogEmulator(recordings) as ph:
        ph.config.failing_blocks = {target.session_id: set(range(target.n_blocks))}
        fetcher = RecordingFetcher(fast_client(ph, max_attempts=2))
        with pytest.raises(Exception) as info:
            fetcher.fetch(target.meta)
        assert "502" in str(info.value)
        assert {e.status for e in ph.entries("data")} == {502}


def test_jsonl_fallback_when_the_server_ignores_decompress_false() -> None:
    recordings = build_recordings(3, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        clean = _fetch_all(ph)
    config = EmulatorConfig(ignore_decompress_false=True, partial_rate=0.5, seed=5)
    with PostHogEmulator(recordings, config) as ph:
        jsonl = _fetch_all(ph)
    for sid, raw in jsonl.items():
        assert raw.stream.events == clean[sid].stream.events


def test_404_and_410_propagate() -> None:
    recordings = build_recordings(2, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        fetcher = RecordingFetcher(fast_client(ph))
        ph.config.missing_recordings = {recordings[0].session_id}
        with pytest.raises(NotFoundError):
            fetcher.fetch(recordings[0].meta)
        ph.delete_recording(recordings[1].session_id)
        with pytest.raises(RecordingDeletedError):
            fetcher.fetch(recordings[1].meta)


def test_environments_prefix_in_origin() -> None:
    recordings = build_recordings(1, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        raw = RecordingFetcher(fast_client(ph, api_prefix="environments")).fetch(recordings[0].meta)
    assert raw.origin.startswith("/api/environments/1/session_recordings/")
    assert len(raw.stream.events) == len(recordings[0].lines)
