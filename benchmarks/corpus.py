"""The scaled benchmark corpus: re-identified copies of the real recordings as blob_v2 bodies.

Everything is derived deterministically from the three real recordings bundled with the demo
(`replayport.demo.samples`), and written as PostHog serves snapshot bodies: blob_v2 JSONL, one
`[windowId, event]` array per line, `cv`-packed fields still packed, exactly as sent.

- `many/`: one `<session_id>.blob_v2.jsonl` body plus a `<session_id>.recording.json` listing
  sidecar per session. Sessions come from `generate_demo_recordings` (new session and window ids,
  shifted times, fake users, visits cut at different pages), so sizes and shapes vary like a
  real project's.
- `large/`: one session made of `large_copies` back-to-back repeats of the longest recording's
  visit (s2) in the same tab, timestamps shifted so no event duplicates another: the memory
  benchmark's "largest single session".

The corpus lives in `benchmarks/.data/<label>-<key>/` where `key` hashes every input the bytes
depend on (base recordings, generator code, this file, parameters); a `manifest.json` written
last marks a complete build, so reruns reuse it in well under a second.

Run `python -m benchmarks.corpus` to build (or find) the full-scale corpus and print its size.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from replayport.demo import samples
from replayport.demo.samples import generate_demo_recordings, load_base_recording

__all__ = [
    "DATA_DIR",
    "FULL",
    "SMOKE",
    "Corpus",
    "CorpusScale",
    "CorpusSession",
    "build_corpus",
]

DATA_DIR = Path(__file__).resolve().parent / ".data"
CORPUS_FORMAT = 1
"""Bump when the layout changes in a way the content hash cannot see."""

_LARGE_BASE = "s2_risky_desktop_long"
_LARGE_GAP_MS = 60_000
"""Pause between two repeats of the visit inside the large session."""
_MANIFEST = "manifest.json"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CorpusScale:
    """How big a corpus to build.

    Attributes:
        label: Directory prefix; an older build with the same label is replaced.
        sessions: Sessions in `many/` (1–896, the demo generator's limit).
        users: Fake users owning them (1–99).
        large_copies: Repeats of the s2 visit inside the large session.
        seed: Seed of every derived id and choice.
    """

    label: str
    sessions: int
    users: int
    large_copies: int
    seed: int = 2026


FULL = CorpusScale(label="full", sessions=640, users=99, large_copies=120)
"""≥ 100 MB of snapshot JSON in `many/`, a ~75 MB large session."""
SMOKE = CorpusScale(label="smoke", sessions=4, users=2, large_copies=2)
"""A few sessions: proves the scripts work, measures nothing."""


@dataclass(frozen=True)
class CorpusSession:
    """One session's blob_v2 body (and listing sidecar) on disk."""

    session_id: str
    body: Path
    sidecar: Path
    body_bytes: int
    lines: int
    base: str

    def read(self) -> bytes:
        """The body's bytes, as PostHog's snapshots endpoint would return them."""
        return self.body.read_bytes()


@dataclass(frozen=True)
class Corpus:
    """A built corpus: `sessions` under `many_dir`, the one `large` session under `large_dir`."""

    root: Path
    key: str
    scale: CorpusScale
    sessions: tuple[CorpusSession, ...]
    large: CorpusSession

    @property
    def many_dir(self) -> Path:
        return self.root / "many"

    @property
    def large_dir(self) -> Path:
        return self.root / "large"

    @property
    def many_bytes(self) -> int:
        """Snapshot JSON bytes in `many/` (sidecars not counted)."""
        return sum(s.body_bytes for s in self.sessions)

    def bodies(self, limit: int | None = None) -> Iterator[tuple[CorpusSession, bytes]]:
        """`(session, body bytes)` for the first `limit` sessions of `many/` (all by default)."""
        for session in self.sessions[:limit]:
            yield session, session.read()


def build_corpus(scale: CorpusScale = FULL, root: Path = DATA_DIR) -> Corpus:
    """Build the corpus for `scale` under `root`, or reuse an identical earlier build.

    Returns:
        The corpus; its files are complete (the manifest is written last).
    """
    key = _content_key(scale)
    target = root / f"{scale.label}-{key[:12]}"
    manifest = target / _MANIFEST
    if manifest.is_file():
        corpus = _from_manifest(target, orjson.loads(manifest.read_bytes()))
        if corpus is not None:
            return corpus
    root.mkdir(parents=True, exist_ok=True)
    _prune(root, scale.label)
    building = target.with_name(target.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    (building / "many").mkdir(parents=True)
    (building / "large").mkdir(parents=True)
    sessions = [_write_session(building / "many", rec) for rec in _demo_recordings(scale)]
    large = _write_large(building / "large", scale)
    manifest_data = {
        "format": CORPUS_FORMAT,
        "key": key,
        "scale": asdict(scale),
        "sessions": [_session_entry(s) for s in sessions],
        "large": _session_entry(large),
    }
    (building / _MANIFEST).write_bytes(orjson.dumps(manifest_data, option=orjson.OPT_INDENT_2))
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    corpus = _from_manifest(target, manifest_data)
    assert corpus is not None  # just written
    return corpus


def _content_key(scale: CorpusScale) -> str:
    """SHA-256 over everything the corpus bytes depend on."""
    digest = hashlib.sha256()
    digest.update(orjson.dumps({"format": CORPUS_FORMAT, "scale": asdict(scale)}))
    data = resources.files("replayport.demo").joinpath("data")
    for name in sorted(samples.BASE_RECORDINGS):
        for suffix in (".blob_v2.jsonl.gz", ".recording.json"):
            digest.update(data.joinpath(name + suffix).read_bytes())
    # The generator's code and this file decide the bytes as much as the data does.
    digest.update(inspect.getsource(samples).encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _prune(root: Path, label: str) -> None:
    """Remove older builds of the same label (they are big and can always be rebuilt)."""
    for old in root.glob(f"{label}-*"):
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _demo_recordings(scale: CorpusScale) -> Iterator[dict[str, Any]]:
    """The demo generator's sessions as plain export documents plus the base they came from."""
    recordings = generate_demo_recordings(
        seed=scale.seed, users=scale.users, sessions=scale.sessions
    )
    for rec in recordings:
        document = orjson.loads(rec.export_bytes)["data"]
        document["base"] = rec.base
        yield document


def _write_session(directory: Path, document: dict[str, Any]) -> CorpusSession:
    """Write one export document back as the blob_v2 body PostHog served, plus a sidecar."""
    session_id = document["id"]
    pairs = []
    for snapshot in document["snapshots"]:
        event = dict(snapshot)
        window_id = event.pop("windowId")
        pairs.append((window_id, event))
    person = document["person"]
    return _write_body(directory, session_id, pairs, person, document["base"])


def _write_large(directory: Path, scale: CorpusScale) -> CorpusSession:
    """One session repeating the s2 visit `large_copies` times back to back in one tab."""
    base = load_base_recording(_LARGE_BASE)
    timestamps = [event["timestamp"] for _, event in base.events]
    span = max(timestamps) - min(timestamps) + _LARGE_GAP_MS
    start_ms = (samples.DEFAULT_ANCHOR - _EPOCH) // timedelta(milliseconds=1)
    shift0 = start_ms - base.first_timestamp
    windows = {
        window: _uuid7(start_ms, _derive(scale.seed, "large-window", window))
        for window in dict.fromkeys(w for w, _ in base.events)
    }
    pairs = [
        (windows[window], {**event, "timestamp": event["timestamp"] + shift0 + copy * span})
        for copy in range(scale.large_copies)
        for window, event in base.events
    ]
    session_id = _uuid7(start_ms, _derive(scale.seed, "large-session"))
    person = {
        "id": 1,
        "uuid": str(uuid.UUID(bytes=_derive(scale.seed, "large-person")[:16], version=4)),
        "name": "bench.large@example.com",
        "distinct_ids": ["bench-large-user"],
        "properties": {"email": "bench.large@example.com", "$browser": "Chrome", "$os": "Linux"},
        "created_at": "2026-10-01T00:00:00.000000Z",
    }
    return _write_body(directory, session_id, pairs, person, _LARGE_BASE)


def _write_body(
    directory: Path,
    session_id: str,
    pairs: list[tuple[str, dict[str, Any]]],
    person: dict[str, Any],
    base: str,
) -> CorpusSession:
    """Write `pairs` as blob_v2 JSONL and a listing sidecar shaped like PostHog's API element."""
    dumps = orjson.dumps
    body = b"".join(dumps([window, event]) + b"\n" for window, event in pairs)
    stamps = [event["timestamp"] for _, event in pairs]
    start, end = min(stamps), max(stamps)
    sidecar = {
        "id": session_id,
        "distinct_id": person["distinct_ids"][0],
        "start_time": _iso(start),
        "end_time": _iso(end),
        "recording_duration": (end - start) // 1000,
        "person": person,
        "snapshot_source": "web",
        "snapshot_library": "web",
        "ongoing": False,
    }
    body_path = directory / f"{session_id}.blob_v2.jsonl"
    sidecar_path = directory / f"{session_id}.recording.json"
    body_path.write_bytes(body)
    sidecar_path.write_bytes(dumps(sidecar))
    return CorpusSession(session_id, body_path, sidecar_path, len(body), len(pairs), base)


def _session_entry(session: CorpusSession) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "body": session.body.name,
        "sidecar": session.sidecar.name,
        "body_bytes": session.body_bytes,
        "lines": session.lines,
        "base": session.base,
    }


def _from_manifest(root: Path, manifest: dict[str, Any]) -> Corpus | None:
    """The corpus a manifest describes, or None if a file is missing or has another size."""
    if manifest.get("format") != CORPUS_FORMAT:
        return None

    def session(entry: dict[str, Any], directory: str) -> CorpusSession | None:
        body = root / directory / entry["body"]
        if not body.is_file() or body.stat().st_size != entry["body_bytes"]:
            return None
        return CorpusSession(
            entry["session_id"],
            body,
            root / directory / entry["sidecar"],
            entry["body_bytes"],
            entry["lines"],
            entry["base"],
        )

    many = [session(entry, "many") for entry in manifest["sessions"]]
    large = session(manifest["large"], "large")
    if large is None or any(s is None for s in many):
        return None
    return Corpus(
        root=root,
        key=manifest["key"],
        scale=CorpusScale(**manifest["scale"]),
        sessions=tuple(s for s in many if s is not None),
        large=large,
    )


def _derive(seed: int, *parts: object) -> bytes:
    """32 bytes fixed by the seed and a purpose."""
    text = "\x1f".join(str(part) for part in ("replayport-bench", seed, *parts))
    return hashlib.sha256(text.encode()).digest()


def _uuid7(unix_ms: int, bits: bytes) -> str:
    """A UUIDv7-shaped id (posthog-js mints session and window ids this way)."""
    rand = int.from_bytes(bits[:10], "big")
    value = (
        (unix_ms & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | ((rand >> 62) & 0xFFF) << 64
        | 0b10 << 62
        | rand & ((1 << 62) - 1)
    )
    return str(uuid.UUID(int=value))


def _iso(unix_ms: int) -> str:
    return (_EPOCH + timedelta(milliseconds=unix_ms)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main() -> None:
    """Build (or find) a corpus and print where it is and how big."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="build the tiny smoke-test corpus")
    args = parser.parse_args()
    corpus = build_corpus(SMOKE if args.smoke else FULL)
    print(
        f"{corpus.root}: {len(corpus.sessions)} sessions, {corpus.many_bytes / 1e6:.1f} MB; "
        f"large session {corpus.large.body_bytes / 1e6:.1f} MB ({corpus.large.lines} events)"
    )


if __name__ == "__main__":
    main()
