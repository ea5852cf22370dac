"""Issue 3's promise, end to end: after `replayport run --source files` on the real recordings,
no canary from the corpus appears in any byte replayport wrote.

The scan here is deliberately independent of replayport's own audit code: it opens every file
under the workdir (Parquet/Delta files decoded with pyarrow, the DuckDB database table by table,
JSON/text as text, anything else as raw bytes and, when gzip, unpacked) plus the CLI's output,
and searches each canary in its plain, lower-case, URL-encoded, JSON-escaped and digits-only
forms. With privacy disabled the same scan must find them, proving it can fail.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.cli.helpers import TEST_HASH_KEY, run_cli, run_files
from tests.corpus import CORPUS, copy_corpus_inputs, load_canaries

pytestmark = pytest.mark.slow


def canary_forms() -> dict[str, set[str]]:
    forms: dict[str, set[str]] = {}
    for canary in load_canaries():
        values = {canary["value"], *canary.get("variants", [])}
        found: set[str] = set()
        for value in values:
            found |= {
                value,
                value.lower(),
                quote(value, safe=""),
                quote_plus(value),
                value.replace("@", "\\u0040"),
            }
            digits = re.sub(r"\D", "", value)
            # shorter digit runs (an 8-digit birth date) occur by chance in millisecond timings;
            # their formatted forms are still searched
            if len(digits) >= 10:
                found.add(digits)
        forms[canary["id"]] = {f for f in found if len(f) >= 6}
    return forms


def _texts_of(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.suffix == ".parquet" or data[:4] == b"PAR1":
        table = pq.read_table(path)
        return [json.dumps(table.to_pylist(), default=str)]
    if (
        path.suffix in (".duckdb", ".wal")
        or data[:8].startswith(b"\x00" * 8)
        and path.name.endswith("duckdb")
    ):
        return []  # the database is scanned through DuckDB itself
    texts = [data.decode("utf-8", "replace")]
    if data[:2] == b"\x1f\x8b":
        try:
            texts.append(gzip.decompress(data).decode("utf-8", "replace"))
        except (OSError, EOFError):
            pass
    return texts


def _duckdb_texts(db: Path) -> list[str]:
    texts = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        for schema, table in tables:
            rows = con.execute(f'select * from "{schema}"."{table}"').fetchall()
            texts.append(json.dumps(rows, default=str))
    finally:
        con.close()
    return texts


def find_canaries(workdir: Path, logs: str) -> dict[str, list[str]]:
    """canary id → where it was found (file names), over every byte under `workdir` + logs."""
    forms = canary_forms()
    sources: list[tuple[str, str]] = [("cli output", logs)]
    for path in sorted(workdir.rglob("*")):
        if path.is_file():
            if path.name.endswith(".duckdb"):
                sources.extend((path.name, text) for text in _duckdb_texts(path))
            else:
                sources.extend((str(path.relative_to(workdir)), t) for t in _texts_of(path))
    hits: dict[str, list[str]] = {}
    for where, text in sources:
        lowered = text.lower()
        for canary_id, variants in forms.items():
            if any(v in text or v.lower() in lowered for v in variants):
                hits.setdefault(canary_id, []).append(where)
    return hits


def _inputs(tmp_path: Path) -> Path:
    return copy_corpus_inputs(tmp_path / "input")


def _run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    privacy: bool,
) -> tuple[Path, str]:
    monkeypatch.setenv("REPLAYPORT__HASH_KEY", TEST_HASH_KEY)
    if not privacy:
        monkeypatch.setenv("REPLAYPORT__PRIVACY__ENABLED", "false")
    workdir = tmp_path / "work"
    result = run_files(capsys, workdir, _inputs(tmp_path))
    assert result.exit_code == 0, result.stderr
    return workdir, result.stdout + result.stderr


def test_no_canary_in_any_byte_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir, logs = _run(tmp_path, capsys, monkeypatch, privacy=True)
    hits = find_canaries(workdir, logs)
    assert hits == {}, {k: sorted(set(v))[:5] for k, v in hits.items()}
    audit = run_cli(
        capsys, "--workdir", str(workdir), "audit", "--canaries", str(_canary_file(tmp_path))
    )
    assert audit.exit_code == 0, audit.stdout + audit.stderr


def test_the_scan_finds_canaries_when_privacy_is_disabled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir, logs = _run(tmp_path, capsys, monkeypatch, privacy=False)
    hits = find_canaries(workdir, logs)
    assert {"patient_email", "patient_name", "api_token", "jwt"} <= set(hits)
    audit = run_cli(
        capsys, "--workdir", str(workdir), "audit", "--canaries", str(_canary_file(tmp_path))
    )
    assert audit.exit_code == 1


def _canary_file(tmp_path: Path) -> Path:
    path = tmp_path / "canaries.txt"
    values = [c["value"] for c in json.loads((CORPUS / "canaries.json").read_text())]
    path.write_text("\n".join(values) + "\n")
    return path
