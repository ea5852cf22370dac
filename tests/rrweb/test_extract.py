"""Row extraction on the real recordings, checked against independent counts, PostHog's own
numbers (`recording.json`, `stats.json`) and the analytics events the SDK sent."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replayport.rrweb.decode import decode_snapshot_body
from replayport.rrweb.extract import (
    NETWORK_SEQ_STRIDE,
    DomIndex,
    SessionRows,
    extract_rows,
)
from replayport.rrweb.mirror import NodeMirror
from replayport.rrweb.postprocess import postprocess
from replayport.rrweb.types import SessionEvent
from tests.corpus import load_recording_meta
from tests.rrweb.helpers import CORPUS_STATS, analytics_events, blob_v2_bytes, independent_counts

DESKTOP = ("s1_defaults_desktop", "s2_risky_desktop_long")

node_ids = st.integers(1, 11)


def _new_node(parent: int, step: int, kind: int, cls: str, kids: int) -> dict[str, Any]:
    # ids grow with depth (a node's id is above its parent's), so no step can build a cycle -
    # NodeMirror.text_of would loop on one
    node_id = min(parent + step, 11)
    if kind == 3 or node_id == 11:
        return {"type": 3, "id": node_id, "textContent": cls}
    children = [
        {"type": 3, "id": min(node_id + k + 1, 12), "textContent": "t"} for k in range(kids)
    ]
    return {
        "type": 2,
        "id": node_id,
        "tagName": "span",
        "attributes": {"class": cls},
        "childNodes": children,
    }


additions = st.builds(
    lambda parent, next_id, step, kind, cls, kids: {
        "parentId": parent,
        "nextId": next_id,
        "node": _new_node(parent, step, kind, cls, kids),
    },
    st.integers(1, 10),
    st.none() | node_ids,
    st.integers(1, 4),
    st.sampled_from([2, 3]),
    st.sampled_from(["x", "y z", "ph-no-capture"]),
    st.integers(0, 2),
)
mutation_steps = st.fixed_dictionaries(
    {
        "source": st.just(0),
        "removes": st.lists(
            st.builds(lambda p, i: {"parentId": p, "id": i}, node_ids, node_ids), max_size=2
        ),
        "adds": st.lists(additions, max_size=2),
        "texts": st.lists(
            st.builds(lambda i, v: {"id": i, "value": v}, node_ids, st.text(max_size=3)), max_size=2
        ),
        "attributes": st.lists(
            st.builds(
                lambda i, v: {"id": i, "attributes": {"class": v}},
                node_ids,
                st.none() | st.sampled_from(["a", "b c"]),
            ),
            max_size=2,
        ),
    }
)


@cache
def _events(session: str) -> tuple[SessionEvent, ...]:
    return tuple(postprocess(decode_snapshot_body(blob_v2_bytes(session)).events))


def rows_of(session: str) -> SessionRows:
    return extract_rows(list(_events(session)))


def test_counts_equal_an_independent_count(session_name: str) -> None:
    rows = rows_of(session_name)
    expected = independent_counts(session_name)

    assert len(_events(session_name)) == expected["events"]
    assert rows.stats.event_count == expected["events"]
    assert len(rows.clicks) == expected["clicks"]
    assert rows.stats.keypress_count == expected["keypresses"]
    assert dict(Counter(log.level for log in rows.console_logs)) == expected["console"]
    assert len(rows.network_requests) == expected["network"]
    assert len(rows.page_views) == expected["page_views"]
    assert rows.rejects == []


def test_stats_agree_with_posthog_numbers(session_name: str) -> None:
    stats = rows_of(session_name).stats
    recording = load_recording_meta(session_name)
    corpus = CORPUS_STATS[session_name]

    assert stats.click_count == recording["click_count"]
    assert stats.keypress_count == recording["keypress_count"]
    assert stats.console_log_count == recording["console_log_count"]
    assert stats.console_warn_count == recording["console_warn_count"]
    assert stats.console_error_count == recording["console_error_count"]
    assert stats.start_url == recording["start_url"]
    assert stats.active_ms == corpus["recording_json"]["active_milliseconds"]
    assert stats.active_ms // 1000 == recording["active_seconds"]
    assert (
        stats.mouse_activity_count
        == corpus["recording_json"]["mouse_activity_count_ingestion_definition"]
    )
    assert (stats.start_ms, stats.end_ms) == (corpus["first_ts"], corpus["last_ts"])
    # ClickHouse dateDiff('second'): the difference of whole seconds
    assert stats.end_ms // 1000 - stats.start_ms // 1000 == recording["recording_duration"]
    assert stats.duration_ms == stats.end_ms - stats.start_ms
    assert stats.window_count == len(corpus["window_ids"])
    assert [p.url for p in sorted(rows_of(session_name).page_views, key=lambda p: p.ts)] == corpus[
        "meta_hrefs"
    ]


def test_rows_fit_the_arrow_contract() -> None:
    from replayport.tables import schemas

    assert NETWORK_SEQ_STRIDE == schemas.NETWORK_SEQ_STRIDE
    rows = rows_of("s2_risky_desktop_long")
    provenance = {"session_id", "run_id", "extracted_at"}
    for table, kept in (
        ("page_views", rows.page_views),
        ("clicks", rows.clicks),
        ("console_logs", rows.console_logs),
        ("network_requests", rows.network_requests),
    ):
        assert set(kept[0]._fields) == set(schemas.SCHEMAS[table].names) - provenance, table
        assert len({row.seq for row in kept}) == len(kept), table


def test_booking_submit_button_is_resolved(session_name: str) -> None:
    submits = [c for c in rows_of(session_name).clicks if c.target_selector == "button#book-submit"]
    assert submits, "the booking form was submitted"
    submit = submits[-1]
    assert (submit.target_tag, submit.target_text, submit.path) == (
        "button",
        "Confirm booking",
        "/book",
    )
    assert not (submit.is_dead or submit.is_rage or submit.is_error)  # it posted and redirected
    inputs = {c.target_selector for c in rows_of(session_name).clicks if c.target_tag == "input"}
    assert {"input#patient-name", "input#consent", "input#patient-search"} <= inputs


def test_dead_download_button_and_rage_burst_on_help(session_name: str) -> None:
    rows = rows_of(session_name)
    download = [
        c
        for c in rows.clicks
        if c.target_selector == "button#download-records" and c.interaction == "click"
    ]
    assert [c.target_text for c in download] == ["Download my records (PDF)"] * 5
    assert {c.path for c in download} == {"/help"}
    # one lone click, then four within ~110 ms: the burst is one rage click, as PostHog saw it
    assert [c.is_rage for c in download] == [False, True, True, True, True]
    assert rows.stats.rage_click_count == len(analytics_events(session_name, "$rageclick")) == 1
    # dead: the lone click and the first of the burst (PostHog skips the same node within 1 s)
    assert [c.is_dead for c in download] == [True, True, False, False, False]
    assert rows.stats.dead_click_count == 2
    assert {c.target_selector for c in rows.clicks if c.is_dead} == {"button#download-records"}


def test_our_dead_clicks_are_a_subset_of_posthogs(session_name: str) -> None:
    ours = {
        (c.target_selector, c.ts)
        for c in rows_of(session_name).clicks
        if c.is_dead and c.interaction == "click"
    }
    theirs = analytics_events(session_name, "$dead_click")
    their_targets = {
        f"{e['properties']['$elements'][0]['tag_name']}#{e['properties']['$elements'][0]['attr__id']}"
        for e in theirs
    }
    assert {selector for selector, _ in ours} <= their_targets
    their_times = sorted(e["properties"]["$dead_click_event_timestamp"] for e in theirs)
    for _, ts in ours:  # same clicks, give or take the few ms between rrweb and the SDK's clock
        assert min(abs(ts - t) for t in their_times) < 50
    # PostHog also reports "Our services", which smooth-scrolls the page: posthog-js samples its
    # scroll listener (Date.now() % 50 === 0) and missed the scroll; rrweb recorded it
    assert their_targets - {s for s, _ in ours} == {"button#cta-services"}


def test_console_errors_make_error_clicks(session_name: str) -> None:
    rows = rows_of(session_name)
    erroring = {c.target_selector for c in rows.clicks if c.is_error and c.interaction == "click"}
    # "Run diagnostics" logs console.error; "Reload my records" throws (the console plugin
    # reports the uncaught error); "Send to front desk" is followed 1.5 s later by the next
    # click's error, which belongs to that next click
    assert erroring == {"button#run-diagnostics", "button#reload-records"}
    assert rows.stats.error_click_count == 2


def test_mobile_clicks_are_touch() -> None:
    rows = rows_of("s3_defaults_mobile")
    assert {c.pointer_type for c in rows.clicks} == {"touch"}
    kinds = Counter(c.interaction for c in rows.clicks)
    assert kinds == {"touch": 31, "click": 31, "dblclick": 1}
    assert rows.stats.device_type == "Mobile"
    assert (rows.stats.viewport_width, rows.stats.viewport_height) == (412, 915)
    # a tap is one TouchEnd and one Click on the same node; the TouchEnd shares the flags
    flagged = [c for c in rows.clicks if c.is_rage or c.is_dead or c.is_error]
    by_kind = Counter(c.interaction for c in flagged)
    assert by_kind["touch"] == by_kind["click"]


@pytest.mark.parametrize("session", DESKTOP)
def test_desktop_sessions(session: str) -> None:
    rows = rows_of(session)
    assert rows.stats.device_type == "Desktop"
    assert {c.pointer_type for c in rows.clicks} == {"mouse"}
    assert (rows.stats.viewport_width, rows.stats.viewport_height) == (1440, 900)


def test_second_window_has_its_own_pages_and_clicks() -> None:
    rows = rows_of("s1_defaults_desktop")
    windows = CORPUS_STATS["s1_defaults_desktop"]["window_ids"]
    staff_tab = [p for p in rows.page_views if p.window_id == windows[1]]
    assert [p.path for p in staff_tab] == ["/admin/patients"]
    staff_clicks = {c.target_selector for c in rows.clicks if c.window_id == windows[1]}
    assert staff_clicks == {"input#patient-search", "tr#patient-1 > td > a.patient-email"}
    assert all(
        c.url and c.url.endswith("/admin/patients")
        for c in rows.clicks
        if c.window_id == windows[1]
    )


def test_console_rows() -> None:
    logs = rows_of("s2_risky_desktop_long").console_logs
    assert [(log.level, log.level_group) for log in logs] == [
        ("log", "info"),
        ("warn", "warn"),
        ("error", "error"),
        ("error", "error"),
    ]
    # payload items are JSON.stringify-ed: the quotes are gone, the text is as logged
    assert logs[0].message.startswith("[help] diagnostics for ")
    assert not logs[0].message.startswith('"')
    assert logs[3].message.startswith("Uncaught Error: Medical records unavailable")
    assert logs[0].trace and "help:45" in logs[0].trace
    assert all(log.url and log.url.endswith("/help") for log in logs)


def test_network_rows() -> None:
    rows = rows_of("s2_risky_desktop_long")
    ticket = [r for r in rows.network_requests if r.path == "/api/support/ticket"]
    assert len(ticket) == 1
    request = ticket[0]
    assert (request.method, request.status, request.initiator_type, request.plugin) == (
        "POST",
        200,
        "fetch",
        "rrweb/network@1",
    )
    assert request.host == "clinic.devcanary.test:8202"
    assert request.seq == request.event_seq * NETWORK_SEQ_STRIDE + request.request_index
    assert (
        request.request_headers == '{"authorization":"redacted","content-type":"application/json"}'
    )
    assert request.request_body and request.request_body.startswith('{"email":')
    assert request.duration_ms and request.duration_ms > 0
    # the default config records timing only
    plain = rows_of("s1_defaults_desktop").network_requests
    assert all(r.request_headers is None and r.request_body is None for r in plain)


def test_seq_gaps_from_privacy_are_kept() -> None:
    events = list(_events("s1_defaults_desktop"))
    thinned = [e for e in events if e.seq % 3]
    rows = extract_rows(thinned)
    seqs = {e.seq for e in thinned}
    assert all(c.seq in seqs for c in rows.clicks)
    assert all(p.seq in seqs for p in rows.page_views)
    assert rows.stats.event_count == len(thinned)


def test_legacy_posthog_network_and_console_shapes() -> None:
    events = [
        SessionEvent(
            3,
            "w",
            {
                "type": 4,
                "timestamp": 1000,
                "data": {"href": " https://a.test/p?q=1 ", "width": 500, "height": 800},
            },
        ),
        SessionEvent(
            9,
            "w",
            {
                "type": 6,
                "timestamp": 1100,
                "data": {
                    "plugin": "posthog/network@1",
                    "payload": {
                        "0": "resource",
                        "2": "https://cdn.a.test/x.js",
                        "18": "script",
                        "21": 404,
                        "22": 300,
                        "39": 12.5,
                        "40": 1090,
                    },
                },
            },
        ),
        SessionEvent(
            12,
            "w",
            {
                "type": 6,
                "timestamp": 1200,
                "data": {
                    "plugin": "rrweb/console@1",
                    "payload": {
                        "level": "countReset",
                        "payload": ['"a"', '{"b":1}', "7", None],
                        "trace": [],
                    },
                },
            },
        ),
        SessionEvent(
            13,
            "w",
            {
                "type": 5,
                "timestamp": 1300,
                "data": {"tag": "$pageview", "payload": {"href": "https://a.test/p?q=1"}},
            },
        ),
        SessionEvent(
            14,
            "w",
            {
                "type": 5,
                "timestamp": 1400,
                "data": {"tag": "$url_changed", "payload": {"href": "https://a.test/next"}},
            },
        ),
        SessionEvent(
            15,
            "w",
            {
                "type": 6,
                "timestamp": 1500,
                "data": {"plugin": "rrweb/network@1", "payload": {"requests": "nope"}},
            },
        ),
    ]
    rows = extract_rows(events)

    (request,) = rows.network_requests
    assert request == request._replace(
        seq=9 * NETWORK_SEQ_STRIDE,
        event_seq=9,
        request_index=0,
        ts=1090,
        url="https://cdn.a.test/x.js",
        host="cdn.a.test",
        path="/x.js",
        status=404,
        duration_ms=12.5,
        initiator_type="script",
        entry_type="resource",
        transfer_size=300,
        plugin="posthog/network@1",
    )
    (log,) = rows.console_logs
    assert (log.level_group, log.message, log.trace) == ("warn", 'a {"b":1} 7', None)
    assert [(p.trigger, p.path, p.viewport_width) for p in rows.page_views] == [
        ("meta", "/p", 500),
        ("url_changed", "/next", 500),
    ]
    assert rows.stats.start_url == "https://a.test/p?q=1"
    assert [r.reason for r in rows.rejects] == ["malformed_payload"]
    assert rows.rejects[0].where == "event seq 15" and rows.rejects[0].stage == "extract"


def _same_answers(reference: NodeMirror, index: DomIndex, node_id: int) -> None:
    mirror = index.mirror_for(node_id)
    a, b = reference.get(node_id), mirror.get(node_id)
    if a is None:
        assert b is None
        return
    assert b is not None
    assert (a.node_type, a.tag, a.attributes, a.parent, a.text) == (
        b.node_type,
        b.tag,
        b.attributes,
        b.parent,
        b.text,
    )
    assert reference.selector(node_id) == mirror.selector(node_id)
    assert reference.text_of(node_id) == mirror.text_of(node_id)
    assert [n.id for n in reference.ancestors(node_id)] == [n.id for n in mirror.ancestors(node_id)]
    element, mine = reference.element_for(node_id), mirror.element_for(node_id)
    assert (element.id if element else None) == (mine.id if mine else None)


def test_dom_index_answers_like_node_mirror(session_name: str) -> None:
    events = _events(session_name)
    for window in {e.window_id for e in events}:
        reference, index = NodeMirror(), DomIndex()
        for event in (e.event for e in events if e.window_id == window):
            data = event["data"]
            if event["type"] == 2:
                reference.apply_full_snapshot(data["node"])
                index.full_snapshot(data["node"])
            elif event["type"] == 3 and data.get("source") == 0:
                reference.apply_mutation(data)
                index.mutation(data)
            elif event["type"] == 3 and data.get("source") == 2 and isinstance(data.get("id"), int):
                _same_answers(reference, index, data["id"])  # at every interaction
        for node_id in list(reference._nodes):  # and for every node at the end
            _same_answers(reference, index, node_id)


@settings(max_examples=150, deadline=None)
@given(st.lists(mutation_steps, max_size=25))
def test_dom_index_follows_node_mirror_through_random_mutations(
    steps: list[dict[str, Any]],
) -> None:
    root = {
        "type": 0,
        "id": 1,
        "childNodes": [
            {
                "type": 2,
                "id": 2,
                "tagName": "body",
                "attributes": {"class": "page"},
                "childNodes": [
                    {
                        "type": 2,
                        "id": 3,
                        "tagName": "div",
                        "attributes": {"id": "a"},
                        "childNodes": [],
                    },
                    {"type": 3, "id": 4, "textContent": "hello"},
                ],
            }
        ],
    }
    reference, index = NodeMirror(), DomIndex()
    reference.apply_full_snapshot(root)
    index.full_snapshot(root)
    for step in steps:
        reference.apply_mutation(step)
        index.mutation(step)
    for node_id in range(1, 12):
        _same_answers(reference, index, node_id)


def test_extraction_does_not_modify_events() -> None:
    import orjson

    events = list(_events("s2_risky_desktop_long"))
    before = orjson.dumps([e.event for e in events])
    extract_rows(events)
    assert orjson.dumps([e.event for e in events]) == before


def test_empty_session() -> None:
    rows = extract_rows([])
    assert rows.clicks == [] and rows.stats.event_count == 0 and rows.stats.start_ms is None
    assert rows.stats.device_type is None


def test_rrweb_layer_stays_pure() -> None:
    code = (
        "import sys, replayport.rrweb, replayport.rrweb.decode, replayport.rrweb.extract, "
        "replayport.rrweb.postprocess;"
        "bad = [m for m in ('pyarrow', 'dlt', 'httpx', 'requests') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_cyclic_dom_from_a_damaged_stream_does_not_hang_extraction() -> None:
    span = {
        "type": 2,
        "id": 3,
        "tagName": "span",
        "attributes": {},
        "childNodes": [{"type": 3, "id": 4, "textContent": "hi"}],
    }
    root = {
        "type": 0,
        "id": 1,
        "childNodes": [
            {"type": 2, "id": 2, "tagName": "div", "attributes": {}, "childNodes": [span]}
        ],
    }
    moved = {"type": 2, "id": 2, "tagName": "div", "attributes": {}, "childNodes": [span]}
    events = [
        SessionEvent(0, "w", {"type": 2, "timestamp": 1, "data": {"node": root}}),
        SessionEvent(
            1,
            "w",
            {
                "type": 3,
                "timestamp": 2,
                "data": {"source": 0, "adds": [{"parentId": 3, "node": moved}]},
            },
        ),
        SessionEvent(
            2,
            "w",
            {"type": 3, "timestamp": 3, "data": {"source": 2, "type": 2, "id": 2, "x": 1, "y": 1}},
        ),
    ]
    (row,) = extract_rows(events).clicks
    assert (row.target_tag, row.target_text) == ("div", "hi")
