"""An erased recording stays erased when the same input is extracted again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replayport.archive.store import Archive
from replayport.config import Settings
from tests.cli.helpers import TEST_HASH_KEY, run_cli
from tests.corpus import SESSIONS, copy_corpus_inputs, corpus_path

pytestmark = pytest.mark.slow


def test_forgotten_session_is_not_reimported_from_the_same_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLAYPORT__HASH_KEY", TEST_HASH_KEY)
    inputs = copy_corpus_inputs(tmp_path / "input", SESSIONS[:2])
    erased = json.loads(corpus_path(SESSIONS[0], "recording.json").read_text())["id"]
    workdir = tmp_path / "work"
    extract = ("--workdir", str(workdir), "extract", "--source", "files", "--path", str(inputs))

    assert run_cli(capsys, *extract).exit_code == 0
    assert (
        run_cli(capsys, "--workdir", str(workdir), "forget", "--session-id", erased).exit_code == 0
    )
    again = run_cli(capsys, *extract)
    assert again.exit_code == 0, again.stderr

    archive = Archive(Settings.resolve(workdir))
    assert erased not in archive.session_ids()
    assert len(archive.session_ids()) == 1
    assert erased in archive.deleted_session_ids()
