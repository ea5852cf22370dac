"""Bad input never raises out of decoding: each bad piece is a reject, the rest still decodes."""

from __future__ import annotations

import gzip
import struct

import cramjam
import orjson
import pytest

from replayport.rejects import Reject
from replayport.rrweb.decode import MAX_REJECTS, decode_file_bytes, decode_snapshot_body
from replayport.rrweb.packed import pack_event
from tests.rrweb.helpers import blob_v2_lines, snappy_blocks_body

# planted in every bad piece: no reject may repeat it (content can be personal data)
CANARY = "marisol.quillfeather@example.org"
SESSION = "s1_defaults_desktop"


def _assert_no_content(rejects: list[Reject]) -> None:
    for reject in rejects:
        assert reject.stage == "decode"
        assert CANARY not in reject.message and CANARY not in reject.where
        assert "quillfeather" not in repr(reject)


def _with_bad_line(bad: bytes, at: int = 10) -> tuple[bytes, int]:
    lines = blob_v2_lines(SESSION)
    return b"\n".join([*lines[:at], bad, *lines[at:]]), len(lines)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            b'["w",{"type":3,"data":{"source":5,"text":"' + CANARY.encode() + b'"},"timest',
            "truncated_json",
        ),
        (
            b'["w",{"type":42,"timestamp":1,"data":{"x":"' + CANARY.encode() + b'"}}]',
            "unknown_event_type",
        ),
        (
            b'["w",{"type":"4","timestamp":1,"data":{"href":"' + CANARY.encode() + b'"}}]',
            "not_an_event",
        ),
        (
            b'["w",{"type":4,"timestamp":"1","data":{"href":"' + CANARY.encode() + b'"}}]',
            "not_an_event",
        ),
        (b'["w",{"type":4,"timestamp":1,"data":["' + CANARY.encode() + b'"]}]', "not_an_event"),
        (b'["w",{"type":4,"timestamp":1}]', "not_an_event"),
        (b'["w",{"type":true,"timestamp":1,"data":{}}]', "not_an_event"),
        (b'["w","' + CANARY.encode() + b'"]', "not_an_event"),
        (b'["w",{"type":2,"timestamp":1,"data":{"initialOffset":{}}}]', "malformed_snapshot"),
        (
            b'["w",{"type":3,"timestamp":1,"data":{"source":0,"adds":"' + CANARY.encode() + b'"}}]',
            "malformed_snapshot",
        ),
        (b'["' + CANARY.encode() + b'"]', "bad_line_shape"),
        (b'"' + CANARY.encode() + b'"', "bad_line_shape"),
        (b'{"note":"' + CANARY.encode() + b'"}', "bad_line_shape"),
        (b'[{"a":1},{"type":4,"timestamp":1,"data":{}}]', "bad_line_shape"),
        (
            b'["w",{"type":5,"timestamp":1,"data":{"tag":"\xff\xfe' + CANARY.encode() + b'"}}]',
            "invalid_utf8",
        ),
    ],
)
def test_a_bad_line_is_rejected_and_the_rest_decodes(bad: bytes, reason: str) -> None:
    body, good = _with_bad_line(bad)
    stream = decode_snapshot_body(body, origin="GET /snapshots")

    assert [r.reason for r in stream.rejects] == [reason]
    assert stream.rejects[0].where == "line 11"
    assert stream.rejects[0].source == "GET /snapshots"
    assert len(stream.events) == good
    _assert_no_content(stream.rejects)


def test_corrupt_gzip_inside_a_cv_field() -> None:
    event = pack_event(
        {
            "type": 3,
            "timestamp": 7,
            "data": {
                "source": 0,
                "texts": [{"id": 1, "value": CANARY}],
                "attributes": [],
                "removes": [],
                "adds": [],
            },
        }
    )
    raw = event["data"]["texts"].encode("latin-1")
    event["data"]["texts"] = (raw[:12] + bytes(b ^ 0x5A for b in raw[12:30]) + raw[30:]).decode(
        "latin-1"
    )
    truncated = pack_event(
        {
            "type": 2,
            "timestamp": 8,
            "data": {"node": {"type": 0, "id": 1, "childNodes": [], "x": CANARY}},
        }
    )
    truncated["data"] = truncated["data"][:-9]
    not_latin1 = {"type": 2, "timestamp": 9, "data": "\u2603" + CANARY, "cv": "2024-10"}
    lines = blob_v2_lines(SESSION)
    body = b"\n".join(
        [*lines[:5], *(orjson.dumps(["w", e]) for e in (event, truncated, not_latin1)), *lines[5:]]
    )

    stream = decode_snapshot_body(body)

    assert [r.reason for r in stream.rejects] == ["corrupt_gzip"] * 3
    assert [r.where for r in stream.rejects] == ["line 6", "line 7", "line 8"]
    assert len(stream.events) == len(lines)
    _assert_no_content(stream.rejects)


def test_oversized_lines_and_fields_are_rejected() -> None:
    big = orjson.dumps(
        ["w", {"type": 5, "timestamp": 1, "data": {"tag": "t", "payload": "x" * 5000}}]
    )
    bomb = pack_event(
        {"type": 2, "timestamp": 2, "data": {"node": {"type": 0, "id": 1, "t": "a" * 100_000}}}
    )
    body = b"\n".join([b'["w",{"type":4,"timestamp":0,"data":{}}]', big, orjson.dumps(["w", bomb])])

    stream = decode_snapshot_body(body, max_event_bytes=4096)

    assert [r.reason for r in stream.rejects] == ["oversized_event", "oversized_event"]
    assert len(stream.events) == 1


@pytest.mark.parametrize("body", [b"", b"   \n\n  "])
def test_empty_body(body: bytes) -> None:
    stream = decode_snapshot_body(body, content_type="application/jsonl")
    assert stream.events == []
    assert [r.reason for r in stream.rejects] == ["empty_body"]


def test_empty_file() -> None:
    decoded = decode_file_bytes(b"", name="empty.jsonl")
    assert decoded.kind == "empty"
    assert [r.reason for r in decoded.stream.rejects] == ["empty_body"]


def test_truncated_snappy_block_keeps_the_blocks_before_it() -> None:
    lines = blob_v2_lines(SESSION)
    body = snappy_blocks_body(lines, 4)
    # the last block loses its tail: its length prefix promises more than is there
    cut = body[:-100]
    stream = decode_snapshot_body(cut, content_type="application/octet-stream", source="blob_v2")
    per_block = -(-len(lines) // 4)

    assert [r.reason for r in stream.rejects] == ["truncated_block"]
    assert stream.rejects[0].where == "block 3"
    assert len(stream.events) == 3 * per_block

    # a few stray bytes after the last block
    stream = decode_snapshot_body(
        body + b"\x00\x01", content_type="application/octet-stream", source="blob_v2"
    )
    assert [r.reason for r in stream.rejects] == ["truncated_block"]
    assert len(stream.events) == len(lines)


def test_corrupt_snappy_block_is_skipped() -> None:
    lines = blob_v2_lines(SESSION)
    good = bytes(cramjam.snappy.compress_raw(b"\n".join(lines[:50])))
    garbage = b"\xff\xff\xff\xff\x0f" + CANARY.encode() * 3
    body = b"".join(struct.pack(">I", len(block)) + block for block in (good, garbage, good))

    stream = decode_snapshot_body(body, content_type="application/octet-stream", source="blob_v2")

    assert [(r.reason, r.where) for r in stream.rejects] == [("corrupt_snappy", "block 1")]
    assert len(stream.events) == 100
    _assert_no_content(stream.rejects)


def test_corrupt_lts_file() -> None:
    stream = decode_snapshot_body(
        b"\xff\xff\xff\xff\x0f" + CANARY.encode(),
        content_type="application/octet-stream",
        source="blob_v2_lts",
    )
    assert stream.events == []
    assert [r.reason for r in stream.rejects] == ["corrupt_snappy"]
    _assert_no_content(stream.rejects)


def test_truncated_gzip_file_decodes_what_came_before() -> None:
    data = gzip.compress(b"\n".join(blob_v2_lines(SESSION)))
    decoded = decode_file_bytes(data[: len(data) // 2], name="half.jsonl.gz")

    reasons = [r.reason for r in decoded.stream.rejects]
    assert reasons[0] == "corrupt_gzip"
    assert set(reasons[1:]) <= {"truncated_json"}  # the line cut by the damage
    assert 0 < len(decoded.stream.events) < len(blob_v2_lines(SESSION))


def test_bad_events_inside_legacy_lines_and_exports() -> None:
    line = orjson.dumps(
        {
            "window_id": "w",
            "data": [
                {"type": 4, "timestamp": 1, "data": {}},
                17,
                {"type": 99, "timestamp": 2, "data": {}},
            ],
        }
    )
    stream = decode_snapshot_body(line)
    assert [(r.reason, r.where) for r in stream.rejects] == [
        ("not_an_event", "line 1 event 1"),
        ("unknown_event_type", "line 1 event 2"),
    ]
    assert len(stream.events) == 1


def test_lone_surrogates_from_truncated_strings_are_replaced() -> None:
    body = (
        b'["w",{"type":6,"timestamp":1,"data":{"plugin":"rrweb/console@1",'
        b'"payload":{"level":"log","payload":["\\"cut \\ud83d\\""],"trace":[]}}}]'
    )
    stream = decode_snapshot_body(body)
    assert stream.rejects == []
    assert stream.events[0][1]["data"]["payload"]["payload"] == ['"cut \ufffd"']


def test_reject_flood_is_summarised() -> None:
    body = b"\n".join([b"{broken"] * (MAX_REJECTS + 50))
    stream = decode_snapshot_body(body, content_type="application/jsonl")
    assert len(stream.rejects) == MAX_REJECTS + 1
    summary = stream.rejects[-1]
    assert summary.reason == "truncated_json" and summary.where == "(summary)"
    assert "50 further" in summary.message
