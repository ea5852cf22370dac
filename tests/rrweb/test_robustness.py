"""Damaged input of any shape: decoding never raises, and extraction never raises on what
decoding lets through."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replayport.rrweb.decode import decode_file_bytes, decode_snapshot_body
from replayport.rrweb.extract import extract_rows
from replayport.rrweb.packed import pack_event
from replayport.rrweb.postprocess import postprocess
from tests.rrweb.helpers import blob_v2_lines, snappy_blocks_body

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "type",
                    "source",
                    "x",
                    "y",
                    "href",
                    "tag",
                    "payload",
                    "plugin",
                    "node",
                    "adds",
                    "removes",
                    "texts",
                    "attributes",
                    "childNodes",
                    "tagName",
                    "requests",
                    "level",
                    "parentId",
                    "nextId",
                    "width",
                    "height",
                    "pointerType",
                    "positions",
                    "name",
                    "status",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)
# events with a valid envelope and anything at all inside `data`
events = st.fixed_dictionaries(
    {
        "type": st.integers(0, 7),
        "timestamp": st.integers(0, 10_000),
        "data": st.dictionaries(
            st.sampled_from(
                [
                    "source",
                    "type",
                    "id",
                    "x",
                    "y",
                    "href",
                    "tag",
                    "payload",
                    "plugin",
                    "node",
                    "adds",
                    "removes",
                    "texts",
                    "attributes",
                    "width",
                    "height",
                    "pointerType",
                    "level",
                    "requests",
                ]
            ),
            json_values | st.integers(0, 16),
            max_size=6,
        ),
    }
)
lines = st.one_of(
    st.binary(max_size=60),
    st.builds(lambda w, e: orjson.dumps([w, e]), json_values, json_values),
    st.builds(lambda w, e: orjson.dumps([w, e]), st.text(max_size=3), events),
    st.builds(
        lambda w, es: orjson.dumps({"window_id": w, "data": es}),
        json_values,
        st.lists(json_values | events, max_size=3),
    ),
    st.builds(lambda e: orjson.dumps(["w", pack_event(e)]), events),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, max_size=12))
def test_decoding_and_extracting_never_raise(body_lines: list[bytes]) -> None:
    body = b"\n".join(body_lines)
    for stream in (
        decode_snapshot_body(body),
        decode_snapshot_body(body, content_type="application/jsonl"),
        decode_snapshot_body(body, content_type="application/octet-stream", source="blob_v2"),
        decode_snapshot_body(snappy_blocks_body(body_lines, 2) if body_lines else body),
    ):
        assert stream.bytes_in >= 0
        rows = extract_rows(postprocess(stream.events))
        assert rows.stats.event_count <= len(stream.events)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), events), max_size=25))
def test_extraction_survives_any_event_content(pairs: list[tuple[str, dict[str, Any]]]) -> None:
    rows = extract_rows(postprocess(pairs))
    assert rows.stats.event_count == len(postprocess(pairs))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_file_bytes_decode_or_raise_input_error(data: bytes) -> None:
    from replayport.errors import InputError

    for blob in (data, gzip.compress(data), data[:1] + b"\x8b" + data[2:]):
        try:
            decode_file_bytes(blob, name="fuzz.bin")
        except InputError:
            pass


def test_a_truncated_corpus_body_still_extracts() -> None:
    body = b"\n".join(blob_v2_lines("s2_risky_desktop_long"))
    for cut in (len(body) // 3, len(body) // 2, len(body) - 17):
        stream = decode_snapshot_body(body[:cut])
        assert [r.reason for r in stream.rejects] in ([], ["truncated_json"])
        extract_rows(postprocess(stream.events))
