"""Stand-in servers and a corpus archive, shared by the warehouse tests of one session."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from replayport import runner
from replayport.config import Settings
from tests.cli.helpers import TEST_HASH_KEY
from tests.corpus import SESSIONS, corpus_path
from tests.standins.postgres import PostgresServer, postgres_server


@dataclass(frozen=True)
class CorpusArchives:
    """`base`: a workdir whose archive holds two real recordings; `plus`: its archive after a
    third recording was extracted (copied over a workdir to simulate the next extraction)."""

    base: Path
    plus_archive: Path
    new_session_id: str

    def workdir(self, target: Path) -> Path:
        shutil.copytree(self.base, target)
        return target

    def add_new_recording(self, workdir: Path) -> None:
        shutil.rmtree(workdir / "archive")
        shutil.copytree(self.plus_archive, workdir / "archive")


def _inputs(target: Path, sessions: tuple[str, ...]) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for session in sessions:
        shutil.copy(corpus_path(session, "blob_v2.jsonl"), target / f"{session}.blob_v2.jsonl")
        shutil.copy(corpus_path(session, "recording.json"), target / f"{session}.recording.json")
    return target


@pytest.fixture(scope="session")
def corpus_archives(tmp_path_factory: pytest.TempPathFactory) -> CorpusArchives:
    """Extracted once per test session (the library call `replayport extract` makes)."""
    root = tmp_path_factory.mktemp("corpus-archives")
    base, plus = root / "base", root / "plus"
    _extract(base, _inputs(root / "in2", SESSIONS[:2]))
    shutil.copytree(base, plus)
    _extract(plus, _inputs(root / "in3", SESSIONS[2:]))
    new_id = json.loads(corpus_path(SESSIONS[2], "recording.json").read_text())["id"]
    return CorpusArchives(base, plus / "archive", new_id)


def _extract(workdir: Path, inputs: Path) -> None:
    run = runner.Run(Settings.resolve(workdir), "extract", source="files")
    runner.extract_files(run, inputs, hash_key=TEST_HASH_KEY)
    assert run.finish().status == "ok"


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with postgres_server(tmp_path_factory.mktemp("pg")) as server:
        yield server


@pytest.fixture
def hash_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REPLAYPORT__HASH_KEY", TEST_HASH_KEY)
    return TEST_HASH_KEY
