"""The privacy QA checklist, as tests on the real recordings."""

from __future__ import annotations

import re

import orjson

from replayport.privacy import PrivacyPolicy, mask_session
from replayport.privacy.dom import SCRIPT_PLACEHOLDER
from replayport.rrweb.types import EventType, IncrementalSource, MouseInteraction, SessionEvent
from tests.privacy.helpers import (
    deep_copy,
    dump,
    incrementals,
    session_events,
    text_values,
)

_ONLY_STARS = re.compile(r"\**")


def _pages(events: list[SessionEvent]) -> list[tuple[SessionEvent, str]]:
    """Each event with the URL path its window was on (from Meta events)."""
    current: dict[str, str] = {}
    pages = []
    for item in events:
        if item.event["type"] == EventType.META:
            href = item.event["data"]["href"]
            current[item.window_id] = re.sub(r"^\w+://[^/]+", "", href).split("?")[0]
        pages.append((item, current.get(item.window_id, "")))
    return pages


def test_risky_booking_form_shows_only_stars() -> None:
    events = session_events("s2_risky_desktop_long")
    originals = {
        item.seq: item.event["data"]["text"]
        for item, page in _pages(events)
        if page == "/book"
        and item.event["type"] == EventType.INCREMENTAL_SNAPSHOT
        and item.event["data"]["source"] == IncrementalSource.INPUT
    }
    # the recorder was configured not to mask inputs: the raw stream has the typed values
    assert any("Marisol" in text for text in originals.values())
    masked = mask_session(events, PrivacyPolicy())
    book = {item.seq: item.event["data"] for item in masked.events if item.seq in originals}
    assert book.keys() == originals.keys()
    for seq, data in book.items():
        assert _ONLY_STARS.fullmatch(data["text"]), seq
        assert len(data["text"]) == len(originals[seq])  # typing progress stays visible
    checkbox = [data for data in book.values() if data.get("isChecked")]
    assert checkbox, "the consent checkbox state is kept"
    # the submitted body never survives either
    network = [
        request
        for item in masked.events
        if item.event["type"] == EventType.PLUGIN
        and item.event["data"]["plugin"] == "rrweb/network@1"
        for request in item.event["data"]["payload"]["requests"]
    ]
    submits = [r for r in network if r["name"].endswith("/api/appointments")]
    assert submits and all(r["requestBody"] is None and r["responseBody"] is None for r in submits)
    assert masked.redactions["bodies_dropped"] >= 2


def test_every_input_is_masked_in_every_session() -> None:
    for session in ("s1_defaults_desktop", "s2_risky_desktop_long", "s3_defaults_mobile"):
        masked = mask_session(session_events(session), PrivacyPolicy())
        for item in incrementals(masked.events, IncrementalSource.INPUT):
            assert _ONLY_STARS.fullmatch(item.event["data"]["text"])


def test_excluded_admin_route_drops_the_whole_staff_window() -> None:
    events = session_events("s1_defaults_desktop")
    windows = {item.window_id for item in events}
    assert len(windows) == 2
    admin_window = next(
        item.window_id
        for item in events
        if item.event["type"] == EventType.META
        and item.event["data"]["href"].endswith("/admin/patients")
    )
    other_window = (windows - {admin_window}).pop()
    policy = PrivacyPolicy(excluded_routes=("/admin*",))
    masked = mask_session(deep_copy(events), policy)
    reference = mask_session(deep_copy(events), PrivacyPolicy())

    assert not any(item.window_id == admin_window for item in masked.events)
    assert masked.redactions["excluded_events"] == sum(
        1 for item in events if item.window_id == admin_window
    )
    # the other window is intact: same events, masked the same way
    kept = [item for item in masked.events if item.window_id == other_window]
    expected = [item for item in reference.events if item.window_id == other_window]
    assert [item.seq for item in kept] == [item.seq for item in expected]
    assert dump(kept) == dump(expected)
    assert masked.excluded is False
    assert "Priya" not in dump(masked.events)
    assert "patients" not in "".join(
        item.event["data"]["href"] for item in masked.events if item.event["type"] == EventType.META
    )


def test_excluded_route_in_the_same_tab_resumes_on_the_next_page() -> None:
    events = session_events("s3_defaults_mobile")
    masked = mask_session(deep_copy(events), PrivacyPolicy(excluded_routes=("/admin*",)))
    kept_seqs = {item.seq for item in masked.events}
    dropped = [(item, page) for item, page in _pages(events) if item.seq not in kept_seqs]
    assert dropped and {page for _, page in dropped} == {"/admin/patients"}
    admin = [item for item, page in _pages(events) if page == "/admin/patients"]
    assert {item.seq for item, _ in dropped} == {item.seq for item in admin}
    metas = [
        item.event["data"]["href"] for item in masked.events if item.event["type"] == EventType.META
    ]
    assert [re.sub(r"^\w+://[^/]+", "", href).split("?")[0] for href in metas] == [
        "/",
        "/book",
        "/account",
        "/live",
        "/guide",
        "/help",
        "/",
    ]
    # every kept page keeps its own full snapshot
    full_snapshots = sum(
        1 for item in masked.events if item.event["type"] == EventType.FULL_SNAPSHOT
    )
    assert full_snapshots == len(metas)


def test_session_entirely_on_excluded_routes_is_marked_excluded() -> None:
    events = session_events("s1_defaults_desktop")
    masked = mask_session(events, PrivacyPolicy(excluded_routes=("/*",)))
    assert masked.events == []
    assert masked.excluded is True
    assert masked.redactions["excluded_events"] == len(events)


def test_tokens_and_jwts_are_gone_from_network_and_console() -> None:
    for session in ("s1_defaults_desktop", "s2_risky_desktop_long", "s3_defaults_mobile"):
        masked = mask_session(session_events(session), PrivacyPolicy())
        plugins = [item.event for item in masked.events if item.event["type"] == EventType.PLUGIN]
        text = orjson.dumps(plugins).decode()
        assert "eyJ" not in text
        assert "pk_test_" not in text
        assert "Bearer" not in text and "authorization" not in text.lower()
        assert "X-Patient-Email".lower() not in text.lower()
        consoles = [
            e["data"]["payload"] for e in plugins if e["data"]["plugin"] == "rrweb/console@1"
        ]
        assert len(consoles) == 4
        messages = " ".join(" ".join(c["payload"]) for c in consoles)
        assert "[email]" in messages and "[token]" in messages
        assert "@" not in messages
        # the level and stack frames (code locations) are kept for debugging
        assert [c["level"] for c in consoles] == ["log", "warn", "error", "error"]
        assert all(c["trace"] and "/help:" in c["trace"][0] for c in consoles)


def test_network_requests_keep_their_timing_and_lose_headers() -> None:
    raw = session_events("s2_risky_desktop_long")
    originals = [
        request
        for item in raw
        if item.event["type"] == EventType.PLUGIN
        and item.event["data"]["plugin"] == "rrweb/network@1"
        for request in orjson.loads(orjson.dumps(item.event["data"]["payload"]["requests"]))
    ]
    masked = mask_session(raw, PrivacyPolicy())
    scrubbed = [
        request
        for item in masked.events
        if item.event["type"] == EventType.PLUGIN
        and item.event["data"]["plugin"] == "rrweb/network@1"
        for request in item.event["data"]["payload"]["requests"]
    ]
    assert len(scrubbed) == len(originals)
    timing = ("startTime", "endTime", "duration", "transferSize", "responseStatus", "timestamp")
    for before, after in zip(originals, scrubbed, strict=True):
        assert {k: before.get(k) for k in timing} == {k: after.get(k) for k in timing}
        assert before.get("method") == after.get("method")
        for key in ("requestHeaders", "responseHeaders"):
            if before.get(key):
                assert set(after[key]) <= {
                    "content-type",
                    "content-length",
                    "cache-control",
                    "connection",
                    "date",
                    "keep-alive",
                }
    patient_search = [r["name"] for r in scrubbed if "/api/patients" in r["name"]]
    assert patient_search and all(
        name.endswith(("/api/patients?q=[redacted]", "/api/patients?q=")) for name in patient_search
    )


def test_rage_click_burst_on_help_is_untouched() -> None:
    events = session_events("s1_defaults_desktop")
    before = [
        (item.seq, orjson.dumps(item.event))
        for item in incrementals(events, IncrementalSource.MOUSE_INTERACTION)
    ]
    masked = mask_session(events, PrivacyPolicy())
    after = [
        (item.seq, orjson.dumps(item.event))
        for item in incrementals(masked.events, IncrementalSource.MOUSE_INTERACTION)
    ]
    assert after == before
    help_page = [
        item
        for item, page in _pages(masked.events)
        if page == "/help"
        and item.event["type"] == EventType.INCREMENTAL_SNAPSHOT
        and item.event["data"]["source"] == IncrementalSource.MOUSE_INTERACTION
        and item.event["data"]["type"] == MouseInteraction.CLICK
    ]
    by_target: dict[int, list[int]] = {}
    for item in help_page:
        by_target.setdefault(item.event["data"]["id"], []).append(item.event["timestamp"])
    bursts = [
        stamps
        for stamps in by_target.values()
        if any(stamps[i + 3] - stamps[i] <= 1000 for i in range(len(stamps) - 3))
    ]
    assert len(bursts) == 1


def test_mobile_session_keeps_touch_and_loses_all_text() -> None:
    raw = session_events("s3_defaults_mobile")
    touch_before = [
        orjson.dumps(item.event) for item in incrementals(raw, IncrementalSource.TOUCH_MOVE)
    ]
    taps_before = [
        orjson.dumps(item.event)
        for item in incrementals(raw, IncrementalSource.MOUSE_INTERACTION)
        if item.event["data"]["type"]
        in (MouseInteraction.TOUCH_START, MouseInteraction.TOUCH_END, MouseInteraction.CLICK)
    ]
    assert len(touch_before) == 16 and len(taps_before) > 60
    masked = mask_session(raw, PrivacyPolicy())
    touch_after = [
        orjson.dumps(item.event)
        for item in incrementals(masked.events, IncrementalSource.TOUCH_MOVE)
    ]
    taps_after = [
        orjson.dumps(item.event)
        for item in incrementals(masked.events, IncrementalSource.MOUSE_INTERACTION)
        if item.event["data"]["type"]
        in (MouseInteraction.TOUCH_START, MouseInteraction.TOUCH_END, MouseInteraction.CLICK)
    ]
    assert touch_after == touch_before
    assert taps_after == taps_before
    texts = list(text_values(masked.events))
    assert len(texts) > 500
    for parent, text in texts:
        if parent in ("style",) or text == SCRIPT_PLACEHOLDER:
            continue
        assert re.fullmatch(r"[\s*]*", text), (parent, len(text))
