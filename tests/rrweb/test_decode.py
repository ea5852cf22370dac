"""Every wire and file format of the real recordings decodes to the same post-processed events."""

from __future__ import annotations

import gzip
import json

import orjson
import pytest

from replayport.errors import InputError
from replayport.rrweb.decode import decode_export_file, decode_file_bytes, decode_snapshot_body
from replayport.rrweb.postprocess import postprocess
from tests.corpus import corpus_path, load_recording_meta
from tests.rrweb.helpers import (
    blob_v2_bytes,
    blob_v2_lines,
    canonical,
    decompressed_pairs,
    export_v1,
    export_v2,
    lts_body,
    snappy_blocks_body,
)


def test_blob_v2_unpacks_to_the_corpus_own_decompressed_events(session_name: str) -> None:
    stream = decode_snapshot_body(blob_v2_bytes(session_name), content_type="application/jsonl")

    assert stream.rejects == []
    assert stream.bytes_in == len(blob_v2_bytes(session_name))
    # byte-exact, key order included: unpacking drops `cv` and keeps everything else as sent
    assert orjson.dumps(stream.events) == orjson.dumps(decompressed_pairs(session_name))
    assert not any("cv" in event for _, event in stream.events)


def test_every_format_gives_identical_postprocessed_events(session_name: str) -> None:
    lines = blob_v2_lines(session_name)
    reference = postprocess(decode_snapshot_body(blob_v2_bytes(session_name)).events)
    expected = canonical(reference)
    meta = load_recording_meta(session_name)
    exported = [(e.window_id, e.event) for e in reference]  # exports hold processed events

    decoded = {
        "legacy lines": decode_file_bytes(
            corpus_path(session_name, "snapshots.jsonl").read_bytes(), name="snapshots.jsonl"
        ).stream,
        "snappy blocks": decode_snapshot_body(
            snappy_blocks_body(lines, 7),
            content_type="application/octet-stream",
            source="blob_v2",
        ),
        "snappy blocks, sniffed": decode_snapshot_body(snappy_blocks_body(lines, 3)),
        "one block": decode_snapshot_body(snappy_blocks_body(lines, 1)),
        "lts": decode_snapshot_body(
            lts_body(lines), content_type="application/octet-stream", source="blob_v2_lts"
        ),
        "lts, sniffed": decode_snapshot_body(lts_body(lines)),
        "export 2023-04-28": decode_export_file(
            export_v2(exported, meta["id"], meta["person"]), origin="a.ph-recording.json"
        ).stream,
        "export 2022-12-02": decode_export_file(export_v1(exported, meta["person"])).stream,
        "bare rrweb array": decode_file_bytes(
            json.dumps([{**e, "windowId": w} for w, e in exported]).encode(), name="r.json"
        ).stream,
        "gzip file": decode_file_bytes(
            gzip.compress(blob_v2_bytes(session_name)), name="x.gz"
        ).stream,
    }
    for label, stream in decoded.items():
        assert stream.rejects == [], label
        assert canonical(postprocess(stream.events)) == expected, label


def test_export_files_carry_session_and_person(session_name: str) -> None:
    meta = load_recording_meta(session_name)
    events = [(w, e) for w, e in decode_snapshot_body(blob_v2_bytes(session_name)).events]

    v2 = decode_file_bytes(
        export_v2(events, meta["id"], meta["person"]), name="export-x.ph-recording.json"
    )
    assert (v2.kind, v2.version, v2.session_id) == ("export", "2023-04-28", meta["id"])
    assert v2.person == meta["person"]

    name = f"export-{meta['id']}.ph-recording.json"
    v1 = decode_file_bytes(export_v1(events, meta["person"]), name=name)
    assert (v1.kind, v1.version, v1.session_id) == ("export", "2022-12-02", meta["id"])
    assert len(v1.stream.events) == len(events)


def test_current_exports_use_small_integer_window_ids() -> None:
    document = {
        "version": "2023-04-28",
        "data": {
            "id": "s",
            "person": None,
            "snapshots": [
                {"type": 4, "timestamp": 1, "windowId": 1, "data": {"href": "https://a.test/"}},
                {"type": 5, "timestamp": 2, "windowId": 2, "data": {"tag": "t", "payload": {}}},
            ],
        },
    }
    exported = decode_export_file(json.dumps(document).encode())
    assert [w for w, _ in exported.stream.events] == ["1", "2"]
    assert all("windowId" not in e for _, e in exported.stream.events)


def test_file_kinds_are_sniffed_from_content(session_name: str) -> None:
    lines = blob_v2_lines(session_name)
    body = blob_v2_bytes(session_name)
    kinds = {
        "x.bin": (body, "blob_v2_jsonl"),
        "y.json": (corpus_path(session_name, "snapshots.jsonl").read_bytes(), "legacy_jsonl"),
        "z.jsonl": (snappy_blocks_body(lines, 4), "snappy_blocks"),
        "w.jsonl": (lts_body(lines), "snappy_lts"),
        "v.jsonl.gz": (gzip.compress(lts_body(lines)), "snappy_lts"),
    }
    for name, (data, kind) in kinds.items():
        decoded = decode_file_bytes(data, name=name)
        assert decoded.kind == kind, name
        assert len(decoded.stream.events) == len(lines), name
        assert decoded.stream.bytes_in == len(data)
    assert decode_file_bytes(gzip.compress(body), name="a").gzipped


def test_single_event_lines_with_their_own_window_id() -> None:
    body = b'{"type":4,"timestamp":5,"windowId":"w1","data":{"href":"https://a.test/"}}\n'
    decoded = decode_file_bytes(body, name="events.jsonl")
    assert decoded.kind == "events_jsonl"
    assert decoded.stream.events == [
        ("w1", {"type": 4, "timestamp": 5, "data": {"href": "https://a.test/"}})
    ]


def test_blank_lines_and_crlf_are_tolerated() -> None:
    body = (
        b'\n["w",{"type":4,"timestamp":1,"data":{}}]\r\n  \n\n'
        b'["w",{"type":5,"timestamp":2,"data":{}}]'
    )
    stream = decode_snapshot_body(body)
    assert stream.rejects == []
    assert [e["type"] for _, e in stream.events] == [4, 5]


def test_null_window_id_becomes_empty_string() -> None:
    stream = decode_snapshot_body(b'[null,{"type":4,"timestamp":1,"data":{}}]')
    assert stream.events[0][0] == ""


def test_unsupported_export_version_names_the_file_not_the_content() -> None:
    secret = "marisol.quillfeather@example.org"
    document = {"version": "1999-01-01", "data": {"person": {"name": secret}, "snapshots": []}}
    with pytest.raises(InputError) as raised:
        decode_export_file(json.dumps(document).encode(), origin="mine.ph-recording.json")
    assert "mine.ph-recording.json" in str(raised.value)
    assert secret not in str(raised.value)
    assert "1999" not in str(raised.value)

    with pytest.raises(InputError, match="not valid JSON"):
        decode_export_file(b"{not json " + secret.encode(), origin="broken.json")
    with pytest.raises(InputError, match="not a recognised replay file"):
        decode_file_bytes(b"\x00\x01\x02\xff\xfe garbage", name="x.bin")


def test_unknown_cv_version_is_left_untouched() -> None:
    meta = {"type": 4, "timestamp": 1, "data": {"href": "https://a.test/"}, "cv": "2099-01"}
    stream = decode_snapshot_body(orjson.dumps(["w", meta]))
    assert stream.events == [("w", meta)]

    full = {"type": 2, "timestamp": 2, "data": "\u001f\u008b...", "cv": "2099-01"}
    stream = decode_snapshot_body(orjson.dumps(["w", full]))
    assert stream.events == []
    assert [r.reason for r in stream.rejects] == ["unknown_compression"]
