"""Throughput of the privacy step (printed with `pytest -s`; floors are only sanity checks).

- `mask_session` on the corpus, in MB/s of compact event JSON (the same unit as parsing);
- `scrub_text` on typical strings: UI text without any trigger (the common case), text with
  numbers (dates, prices: detectors run and find nothing), and text with PII.
"""

from __future__ import annotations

import time

import orjson

from replayport.privacy import PrivacyPolicy, mask_session
from replayport.privacy.detectors import Scrubber
from replayport.rrweb.types import SessionEvent
from tests.corpus import SESSIONS
from tests.privacy.helpers import raw_events


def _best_of(runs: int, work) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def test_mask_session_throughput() -> None:
    blobs = [(window, blob) for session in SESSIONS for window, blob in raw_events(session)]
    size = sum(len(blob) for _, blob in blobs)
    per_session = {session: list(raw_events(session)) for session in SESSIONS}

    def parse() -> list[list[SessionEvent]]:
        return [
            [SessionEvent(i, w, orjson.loads(b)) for i, (w, b) in enumerate(items)]
            for items in per_session.values()
        ]

    parse_s = _best_of(5, parse)
    policy = PrivacyPolicy()
    mask_s = float("inf")
    for _ in range(5):
        sessions = parse()
        started = time.perf_counter()
        for events in sessions:
            mask_session(events, policy)
        mask_s = min(mask_s, time.perf_counter() - started)
    print(
        f"\nmask_session: {size / mask_s / 1e6:.1f} MB/s over {size / 1e6:.2f} MB "
        f"(orjson.loads of the same events: {size / parse_s / 1e6:.1f} MB/s, "
        f"ratio {parse_s / mask_s:.2f})"
    )
    assert size / mask_s > 2e6


def test_scrub_text_throughput() -> None:
    scrubber = Scrubber()
    cases = {
        "ui text, no trigger": [
            "Book an appointment",
            "Patient guide",
            "Confirm booking",
            "Describe your symptoms",
            "Back to top",
            "Waiting room",
        ]
        * 500,
        "numbers, no finding": [
            "Thu 14 Jan 2027, 09:40",
            "Outstanding balance: $418.75",
            "Booked APT-DEV-30517.",
            "version 1.449.2",
        ]
        * 750,
        "with pii": [
            "write to marisol.quillfeather@example.org",
            "call +1 206 555 0188 today",
            "card 5555 5555 5555 4444",
            "key pk_test_DEVCANARY9f31c7a2e84b4d10b5",
        ]
        * 750,
    }
    report = []
    for name, texts in cases.items():
        seconds = _best_of(5, lambda texts=texts: [scrubber.scrub(t) for t in texts])
        rate = len(texts) / seconds
        report.append(f"{name}: {rate / 1000:.0f}k strings/s ({seconds / len(texts) * 1e6:.2f} µs)")
        assert rate > 1000
    print("\nscrub_text: " + "; ".join(report))
