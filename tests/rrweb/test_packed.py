"""posthog-js's `cv: "2024-10"` packing, both ways."""

from __future__ import annotations

import copy
import json
import struct
from typing import Any

import cramjam
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replayport.errors import DecodeError
from replayport.rrweb.decode import decode_snapshot_body
from replayport.rrweb.packed import (
    PACKED_VERSION,
    pack_event,
    pack_value,
    unpack_event,
    unpack_value,
)
from tests.rrweb.helpers import blob_v2_lines, decompressed_pairs, snappy_blocks_body

# JSON values as posthog-js would stringify them (no NaN/inf, no lone surrogates)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
node = st.fixed_dictionaries(
    {"type": st.integers(0, 5), "id": st.integers(1, 10_000)},
    optional={
        "tagName": st.text(max_size=8),
        "textContent": st.text(max_size=20),
        "extra": json_values,
    },
)
timestamps = st.integers(min_value=1, max_value=2**45)
full_snapshots = st.builds(
    lambda n, t, off: {"type": 2, "data": {"node": n, "initialOffset": off}, "timestamp": t},
    node,
    timestamps,
    st.fixed_dictionaries({"top": st.integers(0, 9999), "left": st.integers(0, 9999)}),
)
mutations = st.builds(
    lambda t, texts, attrs, removes, adds: {
        "type": 3,
        "data": {
            "source": 0,
            "texts": texts,
            "attributes": attrs,
            "removes": removes,
            "adds": adds,
        },
        "timestamp": t,
    },
    timestamps,
    st.lists(
        st.fixed_dictionaries({"id": st.integers(1, 99), "value": st.text(max_size=20)}), max_size=3
    ),
    st.lists(
        st.fixed_dictionaries(
            {
                "id": st.integers(1, 99),
                "attributes": st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
            }
        ),
        max_size=3,
    ),
    st.lists(
        st.fixed_dictionaries({"parentId": st.integers(1, 99), "id": st.integers(1, 99)}),
        max_size=3,
    ),
    st.lists(
        st.fixed_dictionaries(
            {"parentId": st.integers(1, 99), "nextId": st.none() | st.integers(1, 99), "node": node}
        ),
        max_size=3,
    ),
)
style_rules = st.builds(
    lambda t, adds, removes: {
        "type": 3,
        "data": {
            "source": 8,
            "id": 4,
            **({"adds": adds} if adds else {}),
            **({"removes": removes} if removes else {}),
        },
        "timestamp": t,
    },
    timestamps,
    st.lists(
        st.fixed_dictionaries({"rule": st.text(max_size=30), "index": st.integers(0, 50)}),
        max_size=3,
    ),
    st.lists(st.fixed_dictionaries({"index": st.integers(0, 50)}), max_size=3),
)
packable = full_snapshots | mutations | style_rules


@settings(max_examples=150, deadline=None)
@given(packable)
def test_pack_then_unpack_restores_the_event(event: dict[str, Any]) -> None:
    original = copy.deepcopy(event)
    packed = pack_event(event)

    assert event == original  # pack_event leaves its input alone
    assert packed["cv"] == PACKED_VERSION
    assert list(packed)[-1] == "cv"  # posthog-js appends the marker
    # and it survives the wire: JSON text, then decoding
    assert unpack_event(orjson.loads(orjson.dumps(packed))) == original


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["w1", "w2", ""]), packable), min_size=1, max_size=12),
    st.integers(1, 5),
)
def test_block_framing_round_trip(pairs: list[tuple[str, dict[str, Any]]], blocks: int) -> None:
    lines = [orjson.dumps([window, pack_event(event)]) for window, event in pairs]
    stream = decode_snapshot_body(snappy_blocks_body(lines, blocks))
    assert stream.rejects == []
    assert stream.events == pairs


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_value_round_trip(value: Any) -> None:
    packed = pack_value(value)
    assert all(ord(char) < 256 for char in packed)  # one character per gzip byte
    assert unpack_value(packed) == value


def test_corpus_cv_events_unpack_to_the_corpus_decompressed_events(session_name: str) -> None:
    events = [orjson.loads(line)[1] for line in blob_v2_lines(session_name)]
    packed = [e for e in events if "cv" in e]
    assert packed, "the corpus has packed events"
    unpacked = [unpack_event(e) for e in events]
    assert unpacked == [event for _, event in decompressed_pairs(session_name)]


def test_repacking_the_corpus_round_trips(session_name: str) -> None:
    for _, event in decompressed_pairs(session_name):
        assert unpack_event(pack_event(event)) == event


def test_only_string_fields_are_unpacked_and_cv_is_dropped() -> None:
    # PostHog's own exports keep `cv` on events whose data is already plain
    event = {"type": 2, "data": {"node": {"type": 0, "id": 1}}, "timestamp": 1, "cv": "2024-10"}
    assert unpack_event(event) == {
        "type": 2,
        "data": {"node": {"type": 0, "id": 1}},
        "timestamp": 1,
    }
    untouched = {"type": 4, "data": {}, "timestamp": 1, "cv": "2030-01"}
    assert unpack_event(dict(untouched)) == untouched
    plain = {"type": 3, "data": {"source": 1, "positions": []}, "timestamp": 1}
    assert pack_event(plain) == plain and "cv" not in pack_event(plain)


def test_mutation_with_an_absent_field_is_sent_unpacked() -> None:
    # posthog-js cannot JSON.stringify(undefined) and falls back to the plain event
    event = {
        "type": 3,
        "data": {"source": 0, "texts": [], "attributes": [], "adds": []},
        "timestamp": 1,
    }
    assert "cv" not in pack_event(event)


def test_cache_returns_independent_values() -> None:
    cache: dict[str, bytes] = {}
    packed = pack_value([{"id": 1}])
    first = unpack_value(packed, cache=cache)
    first.append("changed")
    assert unpack_value(packed, cache=cache) == [{"id": 1}]


@pytest.mark.parametrize(
    "packed",
    ["", "not gzip at all", "\u2603", pack_value([1, 2, 3])[:-4], json.dumps([1])],
)
def test_corrupt_packed_values_raise_decode_error(packed: str) -> None:
    with pytest.raises(DecodeError) as raised:
        unpack_value(packed)
    assert raised.value.reason == "corrupt_gzip"


def test_gzip_of_something_that_is_not_json() -> None:
    import gzip

    with pytest.raises(DecodeError) as raised:
        unpack_value(gzip.compress(b"{nope").decode("latin-1"))
    assert raised.value.reason == "corrupt_gzip"


def test_inflating_beyond_the_cap_is_oversized() -> None:
    bomb = pack_value("a" * 200_000)
    with pytest.raises(DecodeError) as raised:
        unpack_value(bomb, max_bytes=10_000)
    assert raised.value.reason == "oversized_event"


def test_length_prefix_layout_is_big_endian() -> None:
    body = snappy_blocks_body([b'["w",{"type":4,"timestamp":1,"data":{}}]'], 1)
    (length,) = struct.unpack(">I", body[:4])
    assert length == len(body) - 4
    assert bytes(cramjam.snappy.decompress_raw(body[4:])).startswith(b'["w"')
