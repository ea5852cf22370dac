"""Paths and loaders for the real recordings in tests/fixtures/corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "corpus"
SESSIONS = ("s1_defaults_desktop", "s2_risky_desktop_long", "s3_defaults_mobile")


def corpus_path(session: str, kind: str) -> Path:
    """`kind` is one of blob_v2.jsonl, snapshots.jsonl, snapshots.decompressed.jsonl,
    recording.json, events.jsonl."""
    return CORPUS / f"{session}.{kind}"


def load_recording_meta(session: str) -> dict[str, Any]:
    return json.loads(corpus_path(session, "recording.json").read_text())


def load_canaries() -> list[dict[str, Any]]:
    return json.loads((CORPUS / "canaries.json").read_text())


def copy_corpus_inputs(target: Path, sessions: tuple[str, ...] = SESSIONS) -> Path:
    """The recordings as PostHog serves them: blob_v2 bodies with their listing sidecars."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    for session in sessions:
        shutil.copy(corpus_path(session, "blob_v2.jsonl"), target / f"{session}.blob_v2.jsonl")
        shutil.copy(corpus_path(session, "recording.json"), target / f"{session}.recording.json")
    return target
