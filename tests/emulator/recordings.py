"""The emulator's recordings: the real corpus sessions, split into snappy blocks like PostHog's
blob ingester does, optionally cloned into more recordings with new ids and start times."""

from __future__ import annotations

import copy
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cramjam
import orjson

from tests.corpus import SESSIONS, corpus_path, load_recording_meta

__all__ = ["EmulatedRecording", "build_recordings", "format_ts", "load_corpus_lines"]


def format_ts(value: datetime) -> str:
    """PostHog's timestamp format: `2026-11-18T10:01:52.151000Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def load_corpus_lines(session: str) -> list[tuple[str, dict[str, Any]]]:
    """The `[window_id, event]` lines of a corpus session's blob_v2 body, in file order."""
    lines = []
    for raw in corpus_path(session, "blob_v2.jsonl").read_bytes().splitlines():
        if raw.strip():
            window_id, event = orjson.loads(raw)
            lines.append((window_id, event))
    return lines


def _line_bytes(window_id: str, event: dict[str, Any]) -> bytes:
    # what posthog's SnappySessionRecorder writes: JSON.stringify([windowId, event]) + "\n"
    return orjson.dumps([window_id, event]) + b"\n"


@dataclass
class EmulatedRecording:
    """One recording as the emulator serves it."""

    session_id: str
    meta: dict[str, Any]
    """The listing element (PostHog's serializer fields)."""
    lines: list[tuple[str, dict[str, Any]]]
    block_sizes: list[int]
    """Events per block, in block order."""
    lts: bool = False
    deleted: bool = False
    team_id: int = 1
    base: str = ""
    """The corpus session it was made from."""
    _blocks: list[bytes] = field(default_factory=list, repr=False)
    _ranges: list[tuple[int, int]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        offset = 0
        for size in self.block_sizes:
            chunk = self.lines[offset : offset + size]
            offset += size
            jsonl = b"".join(_line_bytes(w, e) for w, e in chunk)
            self._blocks.append(bytes(cramjam.snappy.compress_raw(jsonl)))
            stamps = [int(e["timestamp"]) for _, e in chunk]
            self._ranges.append((min(stamps), max(stamps)))

    @property
    def n_blocks(self) -> int:
        return len(self._blocks)

    @property
    def lts_key(self) -> str:
        return f"session_recordings_lts/team_id/{self.team_id}/session_id/{self.session_id}/data"

    def block(self, index: int) -> bytes:
        """Block `index` as stored: raw snappy (block format, not framed)."""
        return self._blocks[index]

    def block_jsonl(self, index: int) -> bytes:
        return bytes(cramjam.snappy.decompress_raw(self._blocks[index]))

    def jsonl(self) -> bytes:
        """The whole recording as blob_v2 JSONL (what the files source reads)."""
        return b"".join(_line_bytes(w, e) for w, e in self.lines)

    def lts_file(self) -> bytes:
        """The long-term-storage file: the whole JSONL, snappy-compressed once."""
        return bytes(cramjam.snappy.compress_raw(self.jsonl()))

    def sources(self) -> list[dict[str, Any]]:
        """The sources call's list."""
        if self.lts:
            return [
                {
                    "source": "blob_v2_lts",
                    "blob_key": self.lts_key,
                    "start_timestamp": None,
                    "end_timestamp": None,
                }
            ]
        return [
            {
                "source": "blob_v2",
                "start_timestamp": format_ts(_ms_to_dt(lo)),
                "end_timestamp": format_ts(_ms_to_dt(hi)),
                "blob_key": str(i),
            }
            for i, (lo, hi) in enumerate(self._ranges)
        ]

    @property
    def start_time(self) -> datetime:
        return datetime.fromisoformat(self.meta["start_time"].replace("Z", "+00:00"))

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self.lines)

    def write_jsonl(self, directory: Path) -> Path:
        """Writes `<id>.blob_v2.jsonl` plus the listing element as `<id>.recording.json`
        (the files source's metadata sidecar), so both sources see the same recording."""
        path = directory / f"{self.session_id}.blob_v2.jsonl"
        path.write_bytes(self.jsonl())
        (directory / f"{self.session_id}.recording.json").write_bytes(
            orjson.dumps(self.meta, option=orjson.OPT_INDENT_2)
        )
        return path


def _split_sizes(n: int, rng: random.Random, lo: int, hi: int) -> list[int]:
    sizes: list[int] = []
    left = n
    while left > 0:
        size = min(left, rng.randint(lo, hi))
        sizes.append(size)
        left -= size
    return sizes


def _new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _clone(
    base: str,
    lines: list[tuple[str, dict[str, Any]]],
    meta: dict[str, Any],
    *,
    session_id: str,
    start: datetime,
    rng: random.Random,
    block_events: tuple[int, int],
    ongoing: bool = False,
) -> EmulatedRecording:
    orig_start = datetime.fromisoformat(meta["start_time"].replace("Z", "+00:00"))
    orig_end = datetime.fromisoformat(meta["end_time"].replace("Z", "+00:00"))
    delta_ms = int(round((start - orig_start).total_seconds() * 1000))
    windows: dict[str, str] = {}
    new_lines = []
    for window_id, event in lines:
        if window_id not in windows:
            windows[window_id] = _new_uuid(rng) if window_id else ""
        shifted = dict(event)
        shifted["timestamp"] = int(event["timestamp"]) + delta_ms
        new_lines.append((windows[window_id], shifted))
    new_meta = copy.deepcopy(meta)
    retention = int(new_meta.get("retention_period_days") or 30)
    new_meta.update(
        id=session_id,
        start_time=format_ts(start),
        end_time=format_ts(start + (orig_end - orig_start)),
        expiry_time=format_ts(start + timedelta(days=retention)),
        ongoing=ongoing,
    )
    # recording_ttl is days left until expiry, as PostHog computes it
    new_meta["recording_ttl"] = max(0, (start + timedelta(days=retention) - datetime.now(UTC)).days)
    return EmulatedRecording(
        session_id=session_id,
        meta=new_meta,
        lines=new_lines,
        block_sizes=_split_sizes(len(new_lines), rng, *block_events),
        base=base,
    )


def build_recordings(
    count: int = 12,
    *,
    seed: int = 7,
    now: datetime | None = None,
    days_ago: tuple[float, float] = (2.0, 20.0),
    unsettled: int = 1,
    lts: tuple[int, ...] = (3,),
    tie: bool = True,
    block_events: tuple[int, int] = (25, 40),
) -> list[EmulatedRecording]:
    """Settled clones of the corpus sessions (cycling s1, s2, s3) plus unsettled ones.

    Args:
        count: settled recordings.
        seed: makes ids, start times and block splits deterministic.
        now: reference time (default: the real now; settle windows are checked against it).
        days_ago: settled start times fall in this range of days before `now`.
        unsettled: extra recordings that started an hour ago and are still `ongoing`.
        lts: indices of settled recordings served as `blob_v2_lts` (persisted recordings).
        tie: give the third recording exactly the start time of the second (cursor ties).
        block_events: events per block, drawn uniformly from this range.

    Returns:
        Recordings sorted by start time (unsettled last).
    """
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    sources = {s: (load_corpus_lines(s), load_recording_meta(s)) for s in SESSIONS}
    starts = sorted(now - timedelta(days=rng.uniform(*days_ago)) for _ in range(count))
    # millisecond precision, like PostHog's DateTime64(6) values from ms event timestamps
    starts = [s.replace(microsecond=(s.microsecond // 1000) * 1000) for s in starts]
    if tie and count >= 3:
        starts[2] = starts[1]
    recordings = []
    for i in range(count):
        base = SESSIONS[i % len(SESSIONS)]
        lines, meta = sources[base]
        rec = _clone(
            base,
            lines,
            meta,
            session_id=_new_uuid(rng),
            start=starts[i],
            rng=rng,
            block_events=block_events,
        )
        recordings.append(rec)
    for i in lts:
        if i < len(recordings):
            recordings[i].lts = True
    for _ in range(unsettled):
        lines, meta = sources[SESSIONS[0]]
        start = (now - timedelta(hours=1)).replace(microsecond=0)
        recordings.append(
            _clone(
                SESSIONS[0],
                lines,
                meta,
                session_id=_new_uuid(rng),
                start=start,
                rng=rng,
                block_events=block_events,
                ongoing=True,
            )
        )
    return recordings
