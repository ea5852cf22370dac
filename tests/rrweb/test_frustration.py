"""Rage, dead and error clicks on synthetic click sequences (definitions in frustration.py)."""

from __future__ import annotations

from replayport.rrweb.frustration import (
    ClickCandidate,
    FrustrationThresholds,
    WindowSignals,
    detect_frustration,
)

END = 1_000_000.0  # the recording goes on long after every click below


def click(
    index: int,
    ts: float,
    x: float = 100,
    y: float = 100,
    *,
    seq: int | None = None,
    node: int | None = 7,
    kind: str = "click",
    window: str = "w",
    rage_ok: bool = True,
    dead_ok: bool = True,
) -> ClickCandidate:
    return ClickCandidate(
        index, index * 10 if seq is None else seq, window, ts, x, y, kind, node, rage_ok, dead_ok
    )


def test_three_quick_close_clicks_are_one_rage_click() -> None:
    clicks = [click(i, 1000 + i * 300, 100 + i * 5, 100) for i in range(5)]
    result = detect_frustration(clicks, {}, END)
    assert result.rage == {0, 1, 2, 3, 4}
    assert result.rage_click_count == 1  # one $rageclick per burst, however long


def test_rage_distance_is_manhattan_to_the_previous_click() -> None:
    # each click is 20 px from the previous one, so the burst drifts 40 px from its first click
    drift = [click(i, 1000 + i * 100, 100 + i * 20, 100) for i in range(3)]
    assert detect_frustration(drift, {}, END).rage_click_count == 1
    # |dx| + |dy| = 16 + 16 = 32 >= 30 breaks the burst
    diagonal = [click(i, 1000 + i * 100, 100 + i * 16, 100 + i * 16) for i in range(3)]
    assert detect_frustration(diagonal, {}, END).rage_click_count == 0


def test_rage_needs_less_than_a_second_between_clicks() -> None:
    slow = [click(i, 1000 + i * 1000) for i in range(4)]
    assert detect_frustration(slow, {}, END).rage_click_count == 0
    two_bursts = [click(i, t) for i, t in enumerate([0, 100, 200, 5000, 5100, 5200])]
    result = detect_frustration(two_bursts, {}, END)
    assert result.rage_click_count == 2 and result.rage == set(range(6))


def test_rage_is_per_window_and_respects_ph_no_rageclick() -> None:
    mixed = [click(i, 100 * i, window="ab"[i % 2]) for i in range(4)]
    assert detect_frustration(mixed, {}, END).rage_click_count == 0
    ignored = [click(i, 100 * i, rage_ok=False) for i in range(3)]
    assert detect_frustration(ignored, {}, END).rage_click_count == 0


def test_only_dom_clicks_make_rage_bursts_and_taps_share_their_flags() -> None:
    taps = []
    for i in range(3):
        taps += [click(2 * i, 1000 + 150 * i, kind="touch"), click(2 * i + 1, 1005 + 150 * i)]
    taps.append(click(6, 1310, kind="dblclick"))
    result = detect_frustration(sorted(taps, key=lambda c: c.ts), {}, END)
    assert result.rage_click_count == 1
    assert result.rage == set(range(6))  # TouchEnd rows follow their Click; the dblclick does not


def test_a_click_with_no_response_is_dead() -> None:
    result = detect_frustration([click(0, 1000)], {}, END)
    assert result.dead == {0} and result.dead_click_count == 1


def test_responses_that_make_a_click_alive() -> None:
    def judged(**timelines: list[tuple[int, float, int | None]]) -> bool:
        signals = WindowSignals()
        for name, moments in timelines.items():
            for seq, ts, node in moments:
                getattr(signals, name).add(seq, ts, node)
        return 0 in detect_frustration([click(0, 1000, seq=5)], {"w": signals}, END).dead

    assert judged() is True
    assert judged(mutations=[(6, 3400, None)]) is False  # within 2500 ms
    assert judged(mutations=[(6, 3600, None)]) is True
    assert judged(mutations=[(4, 1000, None)]) is True  # before the click (by seq)
    assert judged(scrolls=[(6, 1050, None)]) is False  # within 100 ms
    assert (
        judged(scrolls=[(6, 1200, None)]) is True
    )  # a scroll later is the user's, not the click's
    assert judged(selections=[(6, 1099, None)]) is False
    assert judged(navigations=[(6, 3000, None)]) is False
    assert judged(inputs=[(6, 2000, 7)]) is False  # typing into the clicked field
    assert judged(inputs=[(6, 2000, 8)]) is True  # typing elsewhere, later
    assert judged(inputs=[(6, 1020, 8)]) is False  # a <label> toggling its control


def test_dead_click_element_rules_and_dedupe() -> None:
    assert detect_frustration([click(0, 1000, dead_ok=False)], {}, END).dead == set()
    burst = [click(i, 1000 + 150 * i) for i in range(4)]
    result = detect_frustration(burst, {}, END)
    assert result.dead == {0} and result.dead_click_count == 1  # same node within 1 s
    other_nodes = [click(i, 1000 + 150 * i, node=i) for i in range(3)]
    assert detect_frustration(other_nodes, {}, END).dead == {0, 1, 2}


def test_a_click_too_close_to_the_end_is_not_judged() -> None:
    assert detect_frustration([click(0, 1000)], {}, 3000).dead == set()
    assert detect_frustration([click(0, 1000)], {}, 3750).dead == {0}


def test_errors_go_to_the_latest_click_within_two_seconds() -> None:
    signals = WindowSignals()
    signals.errors.add(25, 2500)  # after clicks at seq 10 and 20
    signals.errors.add(45, 9000)  # 5 s after the click at seq 40
    clicks = [click(1, 1000), click(2, 2000, node=8), click(4, 4000, node=9)]
    result = detect_frustration(clicks, {"w": signals}, END)
    assert result.error == {2}
    assert result.error_click_count == 1


def test_thresholds_are_configurable() -> None:
    strict = FrustrationThresholds(rage_click_count=4, dead_click_mutation_ms=100)
    clicks = [click(i, 1000 + 100 * i) for i in range(3)]
    assert detect_frustration(clicks, {}, END, strict).rage_click_count == 0
    signals = WindowSignals()
    signals.mutations.add(100, 1500)
    assert detect_frustration([click(0, 1000)], {"w": signals}, END, strict).dead == {0}
