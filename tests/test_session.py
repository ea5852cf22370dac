"""`process_recording` on a real recording: the replay_events `data` column is each kept
event's JSON, whether it fits one Arrow array or has to be split."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pyarrow as pa
import pytest

from replayport import session
from replayport.privacy.hashing import IdentifierHasher
from replayport.privacy.policy import PrivacyPolicy
from replayport.rrweb.decode import decode_snapshot_body
from replayport.session import ProcessingContext, RawRecording, process_recording
from replayport.tables.schemas import SCHEMAS
from tests.cli.helpers import TEST_HASH_KEY
from tests.corpus import corpus_path


def _replay_events(policy: PrivacyPolicy) -> pa.Table:
    name = "s1_defaults_desktop"
    body = corpus_path(name, "blob_v2.jsonl").read_bytes()
    stream = decode_snapshot_body(body, content_type="application/jsonl", source="blob_v2")
    ctx = ProcessingContext(
        policy=policy,
        hasher=IdentifierHasher(TEST_HASH_KEY),
        run_id="run-1",
        extracted_at=datetime(2026, 11, 22, tzinfo=UTC),
    )
    return process_recording(RawRecording("session-1", stream), ctx).tables["replay_events"]


def test_data_column_holds_each_events_json() -> None:
    table = _replay_events(PrivacyPolicy(enabled=False))
    assert table.schema == SCHEMAS["replay_events"]
    data = table.column("data").to_pylist()
    assert len(data) == table.num_rows > 500
    assert [len(d.encode()) for d in data] == table.column("data_bytes").to_pylist()
    assert all(isinstance(orjson.loads(d), dict | list) for d in data)


def test_data_over_one_arrays_capacity_is_split_into_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = _replay_events(PrivacyPolicy())
    monkeypatch.setattr(session, "_STRING_ARRAY_MAX_BYTES", 1000)
    monkeypatch.setattr(session, "_SPLIT_ROWS", 100)
    split = _replay_events(PrivacyPolicy())
    assert split.column("data").num_chunks > 1
    assert split.schema == whole.schema == SCHEMAS["replay_events"]
    assert split.column("data").to_pylist() == whole.column("data").to_pylist()
