"""`forget --email` removes a person's payments for good: re-imports and late warehouses too."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from replayport.privacy.hashing import IdentifierHasher
from tests.cli.helpers import TEST_HASH_KEY, run_cli, scalar
from tests.payments.helpers import archived_payments, charge, charges

pytestmark = pytest.mark.slow

ERASED = "patient2@example.test"


def _payments_file(path: Path, items: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"object": "list", "data": items, "has_more": False}))
    return path


def test_erased_payments_stay_out_of_reimports_and_of_warehouses_that_missed_the_erasure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLAYPORT__HASH_KEY", TEST_HASH_KEY)
    workdir = tmp_path / "work"
    cli = ("--workdir", str(workdir))
    erased_hash = IdentifierHasher(TEST_HASH_KEY).hash_email(ERASED)
    of_erased = (
        f"select count(*) from posthog_replay.payment_identities where email_hash = '{erased_hash}'"
    )
    history = _payments_file(tmp_path / "charges.json", charges(4))
    assert (
        run_cli(capsys, *cli, "payments", "--source", "file", "--path", str(history)).exit_code == 0
    )
    assert scalar(workdir, of_erased) == 1

    # a copy of the warehouse as it was: one that could not be reached during the erasure
    missed = tmp_path / "missed.duckdb"
    shutil.copy(workdir / "replayport.duckdb", missed)
    forgotten = run_cli(capsys, *cli, "forget", "--email", ERASED)
    assert forgotten.exit_code == 0, forgotten.stderr
    assert scalar(workdir, of_erased) == 0
    assert erased_hash not in archived_payments(workdir).column("email_hash").to_pylist()

    # Stripe's re-read window or a re-imported file brings the old payment back to the source
    again = run_cli(capsys, *cli, "payments", "--source", "file", "--path", str(history))
    assert again.exit_code == 0, again.stderr
    assert "1 payment(s) of erased emails left out" in again.stderr
    assert archived_payments(workdir).num_rows == 3
    assert scalar(workdir, of_erased) == 0

    # the warehouse that missed the erasure loses the payment at its next load
    shutil.copy(missed, workdir / "replayport.duckdb")
    assert scalar(workdir, of_erased) == 1
    assert run_cli(capsys, *cli, "load").exit_code == 0
    assert scalar(workdir, of_erased) == 0
    assert scalar(workdir, "select count(*) from posthog_replay.payment_identities") == 3

    # a payment the same person makes after the erasure is new data, and it stays
    later = charge(9, int(time.time()) + 3600, email=ERASED)
    new = _payments_file(tmp_path / "later.json", [later])
    assert run_cli(capsys, *cli, "payments", "--source", "file", "--path", str(new)).exit_code == 0
    assert run_cli(capsys, *cli, "load").exit_code == 0
    assert scalar(workdir, of_erased) == 1
    assert archived_payments(workdir).num_rows == 4
