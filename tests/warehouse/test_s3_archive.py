"""The archive on an S3-compatible endpoint (moto server): write, read, load, erase.

Not covered by moto: real S3 consistency and conditional writes (the archive sets
`AWS_S3_ALLOW_UNSAFE_RENAME`, so concurrent Delta writers need a locking provider or S3's
conditional puts in production), IAM policies, KMS encryption, object versioning (a versioned
bucket keeps deleted objects as noncurrent versions: expire them with a lifecycle rule).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from replayport.archive.store import Archive
from replayport.config import Settings
from tests.cli.helpers import run_cli, scalar
from tests.corpus import SESSIONS, corpus_path
from tests.standins.s3 import S3_KEYS, moto_server
from tests.warehouse.helpers import TOMBSTONES

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

BUCKET = "replayport-archive"


def _inputs(target: Path, sessions: tuple[str, ...]) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for session in sessions:
        for kind in ("blob_v2.jsonl", "recording.json"):
            (target / f"{session}.{kind}").write_bytes(corpus_path(session, kind).read_bytes())
    return target


def _objects_naming(client: object, prefix: str, needle: str) -> list[str]:
    hits = []
    paginator = client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
    for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if f"/{TOMBSTONES}/" in key:
                continue
            data = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()  # type: ignore[attr-defined]
            if needle.encode() in data or (
                key.endswith(".parquet")
                and needle in str(pq.read_table(io.BytesIO(data)).to_pylist())
            ):
                hits.append(key)
    return hits


def test_archive_on_s3_runs_loads_and_forgets(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    hash_key: str,
) -> None:
    import boto3

    with moto_server(tmp_path / "moto", BUCKET) as endpoint:
        monkeypatch.setenv("REPLAYPORT__ARCHIVE_URL", f"s3://{BUCKET}/team-a")
        for key, value in {**S3_KEYS, "endpoint_url": endpoint}.items():
            monkeypatch.setenv(f"DESTINATION__FILESYSTEM__CREDENTIALS__{key.upper()}", value)
        workdir = tmp_path / "work"
        cli = ("--workdir", str(workdir))
        two = _inputs(tmp_path / "in", SESSIONS[:2])
        result = run_cli(capsys, *cli, "extract", "--source", "files", "--path", str(two))
        assert result.exit_code == 0, result.stderr + result.stdout
        result = run_cli(capsys, *cli, "load", "--destination", "duckdb")
        assert result.exit_code == 0, result.stderr + result.stdout
        assert not (workdir / "archive").exists()  # nothing local: the archive is on S3
        settings = Settings.resolve(workdir)
        archive = Archive(settings)
        assert len(archive.session_ids()) == 2
        events = archive.read("replay_events").num_rows
        assert scalar(workdir, "select count(*) from posthog_replay.replay_events") == events

        erased = json.loads(corpus_path(SESSIONS[0], "recording.json").read_text())["id"]
        s3 = boto3.client("s3", endpoint_url=endpoint, **S3_KEYS)
        assert _objects_naming(s3, "team-a/", erased)  # sanity: the scan finds it before
        result = run_cli(capsys, *cli, "forget", "--session-id", erased, "--json")
        assert result.exit_code == 0, result.stderr + result.stdout
        assert json.loads(result.stdout)["removed"]["archive"]["replay_events"] > 0
        assert _objects_naming(s3, "team-a/", erased) == []
        assert erased not in Archive(settings).session_ids()
        assert (
            scalar(
                workdir,
                f"select count(*) from posthog_replay.replay_events where session_id = '{erased}'",
            )
            == 0
        )
        assert run_cli(capsys, *cli, "audit").exit_code == 0
