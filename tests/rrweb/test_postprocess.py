"""PostHog's post-processing: stable order, same-millisecond dedupe, extension stripping."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from replayport.rrweb.decode import decode_snapshot_body
from replayport.rrweb.postprocess import postprocess
from tests.rrweb.helpers import blob_v2_bytes, simple_postprocessed


def text_mutation(ts: int, node: int, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": 3,
        "data": {
            "source": 0,
            "adds": [],
            "removes": [],
            "attributes": [],
            "texts": [{"id": node, "value": value}],
        },
        "timestamp": ts,
        **extra,
    }


def values(events: list[Any]) -> list[str]:
    return [t["value"] for e in events for t in e.event["data"].get("texts", [])]


def test_corpus_postprocessing_matches_a_simple_independent_count(session_name: str) -> None:
    events = postprocess(decode_snapshot_body(blob_v2_bytes(session_name)).events)
    expected = simple_postprocessed(session_name)

    assert [(e.window_id, e.event) for e in events] == expected
    assert [e.seq for e in events] == list(range(len(expected)))
    stamps = [e.event["timestamp"] for e in events]
    assert stamps == sorted(stamps)


def test_sort_is_stable_and_keeps_window_ids() -> None:
    pairs = [("b", {"type": 5, "timestamp": 5, "data": {"tag": str(i)}}) for i in range(3)]
    pairs.insert(0, ("a", {"type": 4, "timestamp": 9, "data": {}}))
    events = postprocess(pairs)
    assert [(e.window_id, e.event["data"].get("tag")) for e in events] == [
        ("b", "0"),
        ("b", "1"),
        ("b", "2"),
        ("a", None),
    ]


def test_a_line_written_twice_is_dropped() -> None:
    events = postprocess(
        [("w", text_mutation(1000, 42, "Jane")), ("w", text_mutation(1000, 42, "Jane"))]
    )
    assert values(events) == ["Jane"]


def test_a_value_set_back_within_the_millisecond_is_kept() -> None:
    # rrweb applies texts by node id, last write wins: the third event is a real change back
    pairs = [("w", text_mutation(1000, 42, v)) for v in ("Jane", "REDACTED", "Jane")]
    assert values(postprocess(pairs)) == ["Jane", "REDACTED", "Jane"]


def test_a_millisecond_written_twice_is_dropped() -> None:
    run = [("w", text_mutation(1000, 42, "Jane")), ("w", text_mutation(1000, 43, "Doe"))]
    events = postprocess(copy.deepcopy(run + run))
    assert values(events) == ["Jane", "Doe"]


def test_delay_is_ignored_but_window_and_timestamp_count() -> None:
    a = text_mutation(1000, 1, "x")
    assert len(postprocess([("w", a), ("w", {**a, "delay": 17})])) == 1
    assert len(postprocess([("w", a), ("v", dict(a))])) == 2  # other window: not a duplicate
    assert len(postprocess([("w", a), ("w", {**a, "timestamp": 1001})])) == 2


def test_only_repeats_of_the_previous_kept_event_are_dropped() -> None:
    a, b = text_mutation(5, 1, "a"), text_mutation(5, 1, "b")
    events = postprocess([("w", a), ("w", b), ("w", dict(a)), ("w", dict(b)), ("w", dict(b))])
    assert values(events) == ["a", "b"]  # a b a b is "a b" written twice; the last b repeats


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["w1", "w2"]), st.integers(0, 4), st.integers(0, 2)), max_size=30
    )
)
def test_postprocessing_is_idempotent_and_ordered(spec: list[tuple[str, int, int]]) -> None:
    pairs = [(w, text_mutation(ts, 1, str(v))) for w, ts, v in spec]
    once = postprocess(copy.deepcopy(pairs))
    twice = postprocess([(e.window_id, e.event) for e in once])
    assert [(e.window_id, e.event) for e in twice] == [(e.window_id, e.event) for e in once]
    stamps = [e.event["timestamp"] for e in once]
    assert stamps == sorted(stamps)
    assert len(once) <= len(pairs)
    # nothing is dropped unless an identical event shares its millisecond
    kept = {(e.window_id, e.event["timestamp"], e.event["data"]["texts"][0]["value"]) for e in once}
    assert kept == {(w, ts, str(v)) for w, ts, v in spec}


def _full_snapshot(ts: int, body_children: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": 2,
        "data": {
            "node": {
                "type": 0,
                "id": 1,
                "childNodes": [
                    {
                        "type": 2,
                        "id": 2,
                        "tagName": "body",
                        "attributes": {},
                        "childNodes": body_children,
                    }
                ],
            },
            "initialOffset": {"top": 0, "left": 0},
        },
        "timestamp": ts,
    }


def test_chrome_extension_nodes_are_stripped() -> None:
    injected = {
        "type": 2,
        "id": 3,
        "tagName": "div",
        "attributes": {"id": "sublime-root"},
        "childNodes": [{"type": 3, "id": 4, "textContent": "pop-up"}],
    }
    styled = {
        "type": 2,
        "id": 5,
        "tagName": "style",
        "attributes": {"_cssText": "@import 'chrome-extension://aitopia/x.css';"},
        "childNodes": [],
    }
    pairs = [
        (
            "w",
            {
                "type": 4,
                "data": {"href": "https://a.test/", "width": 9, "height": 9},
                "timestamp": 10,
            },
        ),
        ("w", {"type": 5, "data": {"tag": "x"}, "timestamp": 20}),
        ("w", _full_snapshot(20, [injected, styled])),
    ]
    events = postprocess(pairs)

    assert [e.event["type"] for e in events] == [4, 5, 5, 2]
    marker = events[1].event
    assert marker["data"]["tag"] == "chrome-extension-stripped"
    assert marker["data"]["payload"]["extensions"] == ["sublime pop-up", "aitopia"]
    body = events[3].event["data"]["node"]["childNodes"][0]
    assert body["childNodes"][0]["childNodes"] == []
    assert body["childNodes"][1]["attributes"]["_cssText"] == ""


def test_ordinary_snapshots_are_not_touched(session_name: str) -> None:
    events = postprocess(decode_snapshot_body(blob_v2_bytes(session_name)).events)
    assert not any(
        e.event["type"] == 5 and e.event["data"].get("tag") == "chrome-extension-stripped"
        for e in events
    )


def test_meta_is_patched_in_only_when_a_viewport_is_known() -> None:
    full = _full_snapshot(50, [])
    asked: list[tuple[float, str]] = []

    def viewport_for(ts: float, window: str) -> dict[str, Any] | None:
        asked.append((ts, window))
        return {"width": "1280", "height": "720px", "href": "https://a.test/x"}

    events = postprocess([("w", copy.deepcopy(full))], viewport_for=viewport_for)
    assert [e.event["type"] for e in events] == [4, 2]
    assert events[0].event == {
        "type": 4,
        "timestamp": 50,
        "data": {"width": 1280, "height": 720, "href": "https://a.test/x"},
    }
    assert asked == [(50, "w")]

    assert [e.event["type"] for e in postprocess([("w", copy.deepcopy(full))])] == [2]
    # a Meta since the last full snapshot: nothing to patch
    meta = ("w", {"type": 4, "data": {"href": "h", "width": 1, "height": 1}, "timestamp": 40})
    assert [
        e.event["type"] for e in postprocess([meta, ("w", full)], viewport_for=viewport_for)
    ] == [4, 2]
