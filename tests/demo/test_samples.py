"""The bundled demo recordings: determinism, shape, time shifting, window ids and outcome cuts."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from replayport.demo.samples import (
    BASE_RECORDINGS,
    DEFAULT_ANCHOR,
    EXPORT_VERSION,
    OUTCOMES,
    SPREAD_DAYS,
    DemoRecording,
    generate_demo_recordings,
    load_base_recording,
)
from tests.corpus import SESSIONS, corpus_path

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
UUID7_SHAPE = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


@pytest.fixture(scope="module")
def recordings() -> list[DemoRecording]:
    return generate_demo_recordings()


def _export(recording: DemoRecording) -> dict[str, Any]:
    return orjson.loads(recording.export_bytes)


def _epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _paths(snapshots: list[dict[str, Any]]) -> list[str]:
    return [urlsplit(s["data"]["href"]).path for s in snapshots if s["type"] == 4]


def test_bundled_blobs_are_the_corpus_bytes() -> None:
    data = resources.files("replayport.demo").joinpath("data")
    assert set(BASE_RECORDINGS) == set(SESSIONS)
    total = 0
    for name in SESSIONS:
        packed = data.joinpath(f"{name}.blob_v2.jsonl.gz").read_bytes()
        meta = data.joinpath(f"{name}.recording.json").read_bytes()
        total += len(packed) + len(meta)
        assert gzip.decompress(packed) == corpus_path(name, "blob_v2.jsonl").read_bytes()
        assert orjson.loads(meta) == orjson.loads(corpus_path(name, "recording.json").read_bytes())
    assert total < 1_000_000


def test_same_arguments_same_bytes(recordings: list[DemoRecording]) -> None:
    again = generate_demo_recordings()
    assert [r.export_bytes for r in again] == [r.export_bytes for r in recordings]
    assert [(r.session_id, r.start, r.outcome, r.user) for r in again] == [
        (r.session_id, r.start, r.outcome, r.user) for r in recordings
    ]


def test_other_seed_other_sessions(recordings: list[DemoRecording]) -> None:
    other = generate_demo_recordings(seed=7)
    assert {r.session_id for r in other}.isdisjoint({r.session_id for r in recordings})


def test_counts_users_and_outcome_mix(recordings: list[DemoRecording]) -> None:
    assert len(recordings) == 36
    assert len({r.session_id for r in recordings}) == 36
    per_user = Counter(r.user.distinct_id for r in recordings)
    assert len(per_user) == 12
    assert max(per_user.values()) >= 3, "some users return several times"
    outcomes = Counter(r.outcome for r in recordings)
    assert set(outcomes) == set(OUTCOMES)
    assert min(outcomes.values()) >= 3
    devices = Counter(BASE_RECORDINGS[r.base] for r in recordings)
    assert devices["desktop"] >= 10 and devices["mobile"] >= 5
    assert {r.base for r in recordings} == set(BASE_RECORDINGS)


def test_identities_are_obviously_fake(recordings: list[DemoRecording]) -> None:
    for recording in recordings:
        user = recording.user
        number = f"{user.index:02d}"
        assert user.distinct_id == f"demo-user-{number}"
        assert user.email == f"demo.user{number}@example.com"
        assert user.name == f"Demo User {number}"
        person = _export(recording)["data"]["person"]
        assert person["distinct_ids"] == [user.distinct_id]
        assert person["uuid"] == user.person_uuid
        assert person["properties"]["email"] == user.email
        assert person["properties"]["name"] == user.name
        assert person["properties"]["$os"] == ("Android" if user.device == "mobile" else "Linux")


def test_starts_spread_over_weeks_after_anchor(recordings: list[DemoRecording]) -> None:
    starts = [r.start for r in recordings]
    assert starts == sorted(starts)
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in starts)
    assert min(starts) >= DEFAULT_ANCHOR
    assert max(starts) < DEFAULT_ANCHOR + timedelta(days=SPREAD_DAYS)
    assert max(starts) - min(starts) > timedelta(days=SPREAD_DAYS * 0.6)


def test_export_files_are_posthog_2023_04_28(recordings: list[DemoRecording]) -> None:
    for recording in recordings:
        export = _export(recording)
        assert export["version"] == EXPORT_VERSION
        assert set(export["data"]) == {"id", "person", "snapshots"}
        assert export["data"]["id"] == recording.session_id
        assert recording.filename == f"export-{recording.session_id}.ph-recording.json"
        # PostHog's player writes JSON.stringify(payload, null, 2).
        assert recording.export_bytes.startswith(b'{\n  "version": "2023-04-28",\n')
        snapshots = export["data"]["snapshots"]
        assert len(snapshots) == recording.event_count
        assert all({"type", "timestamp", "windowId"} <= set(s) for s in snapshots)


def test_ids_are_uuid7_shaped_and_timed(recordings: list[DemoRecording]) -> None:
    all_windows: set[str] = set()
    for recording in recordings:
        assert _uuid7_ms(recording.session_id) == _epoch_ms(recording.start)
        for window_id in recording.window_ids:
            assert _uuid7_ms(window_id) >= _epoch_ms(recording.start)
        all_windows.update(recording.window_ids)
    assert len(all_windows) == sum(len(r.window_ids) for r in recordings)


def _uuid7_ms(value: str) -> int:
    assert re.match(UUID7_SHAPE, value), value
    return int(value.replace("-", "")[:12], 16)


def test_timestamps_shifted_to_start(recordings: list[DemoRecording]) -> None:
    for recording in recordings:
        snapshots = _export(recording)["data"]["snapshots"]
        stamps = [s["timestamp"] for s in snapshots]
        assert stamps == sorted(stamps)
        assert stamps[0] == _epoch_ms(recording.start)
        assert stamps[-1] == _epoch_ms(recording.end)
        for snapshot in snapshots:
            data = snapshot.get("data")
            if snapshot["type"] == 6 and data["plugin"] == "rrweb/network@1":
                for request in data["payload"]["requests"]:
                    # Requests finish before the plugin event reports them.
                    assert stamps[0] - 60_000 < request["timestamp"] <= snapshot["timestamp"]
                    assert request["timeOrigin"] <= request["timestamp"]
            if snapshot["type"] == 5 and "cache_timestamp" in (data.get("payload") or {}):
                assert abs(data["payload"]["cache_timestamp"] - snapshot["timestamp"]) < 60_000


def test_events_are_the_base_events(recordings: list[DemoRecording]) -> None:
    """Apart from time and window ids every event is the base event, `cv` fields still packed."""
    for name in SESSIONS:
        recording = next(r for r in recordings if r.base == name and r.outcome == "full")
        base = [orjson.loads(line) for line in corpus_path(name, "blob_v2.jsonl").open("rb")]
        snapshots = _export(recording)["data"]["snapshots"]
        assert len(snapshots) == len(base)
        shift = snapshots[0]["timestamp"] - base[0][1]["timestamp"]
        window_map: dict[str, str] = {}
        for (window_id, event), snapshot in zip(base, snapshots, strict=True):
            assert window_map.setdefault(window_id, snapshot["windowId"]) == snapshot["windowId"]
            assert _unshifted(snapshot, shift) == event
        assert len(set(window_map.values())) == len(window_map)
        assert tuple(window_map.values()) == recording.window_ids
        assert any("cv" in s for s in snapshots)


def _unshifted(snapshot: dict[str, Any], shift: int) -> dict[str, Any]:
    event = {k: v for k, v in snapshot.items() if k != "windowId"}
    event["timestamp"] -= shift
    data = event.get("data")
    if event["type"] == 6 and data["plugin"] == "rrweb/network@1":
        for request in data["payload"]["requests"]:
            request["timestamp"] -= shift
            request["timeOrigin"] -= shift
    if event["type"] == 5 and "cache_timestamp" in (data.get("payload") or {}):
        data["payload"]["cache_timestamp"] -= shift
    return event


def test_window_ids_consistent(recordings: list[DemoRecording]) -> None:
    for recording in recordings:
        snapshots = _export(recording)["data"]["snapshots"]
        seen = list(dict.fromkeys(s["windowId"] for s in snapshots))
        assert tuple(seen) == recording.window_ids
        # Every window starts with its own Meta event (a page load), as posthog-js records.
        for window_id in seen:
            first = next(s for s in snapshots if s["windowId"] == window_id)
            assert first["type"] == 4


@pytest.mark.parametrize(
    ("outcome", "forbidden", "required"),
    [
        ("full", set(), {"/", "/book", "/account", "/help"}),
        ("no_help", {"/help"}, {"/", "/book", "/account", "/guide"}),
        ("abandoned_booking", {"/account", "/help"}, {"/", "/book"}),
        ("browse_only", {"/book", "/account", "/help"}, {"/"}),
    ],
)
def test_outcome_cuts(
    recordings: list[DemoRecording], outcome: str, forbidden: set[str], required: set[str]
) -> None:
    chosen = [r for r in recordings if r.outcome == outcome]
    assert chosen
    for recording in chosen:
        snapshots = _export(recording)["data"]["snapshots"]
        paths = set(_paths(snapshots))
        assert required <= paths and not forbidden & paths
        base = load_base_recording(recording.base)
        cut = base.cut_at(outcome)
        shift = _epoch_ms(recording.start) - base.first_timestamp
        if cut is not None:
            assert all(s["timestamp"] < cut + shift for s in snapshots)
            # Nothing is lost before the cut either.
            assert len(snapshots) == sum(1 for _, e in base.events if e["timestamp"] < cut)
        errors = [s for s in snapshots if _console_level(s) == "error"]
        assert bool(errors) == (outcome == "full")
        assert ("console_errors" in recording.tags) == (outcome == "full")
        assert recording.booked == (outcome in ("full", "no_help"))


def test_abandoned_booking_never_sends_the_booking(recordings: list[DemoRecording]) -> None:
    for recording in recordings:
        snapshots = _export(recording)["data"]["snapshots"]
        booking_requests = [
            request
            for s in snapshots
            if s["type"] == 6 and s["data"]["plugin"] == "rrweb/network@1"
            for request in s["data"]["payload"]["requests"]
            if urlsplit(request["name"]).path == "/api/appointments"
        ]
        assert bool(booking_requests) == recording.booked, recording.outcome


def test_booked_at_is_the_account_page_load(recordings: list[DemoRecording]) -> None:
    for recording in recordings:
        if not recording.booked:
            assert recording.booked_at is None
            continue
        snapshots = _export(recording)["data"]["snapshots"]
        account = next(s for s in snapshots if _paths([s]) == ["/account"])
        assert _epoch_ms(recording.booked_at) == account["timestamp"]


def _console_level(snapshot: dict[str, Any]) -> str | None:
    if snapshot["type"] == 6 and snapshot["data"]["plugin"] == "rrweb/console@1":
        return str(snapshot["data"]["payload"]["level"])
    return None


def test_parameters() -> None:
    small = generate_demo_recordings(seed=1, users=3, sessions=5, anchor=datetime(2027, 1, 1))
    assert len(small) == 5
    assert len({r.user.index for r in small}) == 3
    assert all(r.start >= datetime(2027, 1, 1, tzinfo=UTC) for r in small)
    with pytest.raises(ValueError):
        generate_demo_recordings(users=4, sessions=3)
    with pytest.raises(ValueError):
        generate_demo_recordings(users=0, sessions=3)


def test_same_bytes_in_another_process(recordings: list[DemoRecording]) -> None:
    """No dependence on hash randomisation or process state."""
    script = (
        "import hashlib\n"
        "from replayport.demo import generate_demo_recordings\n"
        "h = hashlib.sha256()\n"
        "for r in generate_demo_recordings():\n"
        "    h.update(r.export_bytes)\n"
        "print(h.hexdigest())\n"
    )
    expected = hashlib.sha256(b"".join(r.export_bytes for r in recordings)).hexdigest()
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env["PYTHONPATH"] = os.pathsep.join([str(CONNECTORS), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, check=True, text=True
    )
    assert result.stdout.strip() == expected
