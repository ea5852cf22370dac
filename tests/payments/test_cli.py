"""`replayport payments`: hash a payments file into the archive and the DuckDB warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replayport.privacy.hashing import IdentifierHasher
from tests.cli.helpers import TEST_HASH_KEY, run_cli, scalar
from tests.payments.helpers import charges


def test_payments_file_lands_hashed_in_duckdb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLAYPORT__HASH_KEY", TEST_HASH_KEY)
    path = tmp_path / "charges.json"
    path.write_text(json.dumps({"object": "list", "data": charges(4), "has_more": False}))
    workdir = tmp_path / "work"
    result = run_cli(
        capsys, "--workdir", str(workdir), "payments", "--source", "file", "--path", str(path)
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "4 payment(s) hashed and archived" in result.stderr
    expected = IdentifierHasher(TEST_HASH_KEY).hash_email("patient2@example.test")
    assert (
        scalar(
            workdir,
            "select count(*) from posthog_replay.payment_identities "
            f"where email_hash = '{expected}'",
        )
        == 1
    )
    # re-running is an upsert, not a duplicate
    run_cli(capsys, "--workdir", str(workdir), "payments", "--source", "file", "--path", str(path))
    assert scalar(workdir, "select count(*) from posthog_replay.payment_identities") == 4


def test_payments_without_a_key_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "charges.json"
    path.write_text(json.dumps(charges(1)))
    result = run_cli(
        capsys,
        "--workdir",
        str(tmp_path / "w"),
        "payments",
        "--source",
        "file",
        "--path",
        str(path),
    )
    assert result.exit_code == 2
    assert "REPLAYPORT__HASH_KEY" in result.stderr
