"""The HTML export in headless Chromium, offline: it plays, shows only masked text, runs no
injected script; and rrweb's own Replayer accepts every corpus recording's masked stream."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from replayport.archive.store import Archive
from replayport.portable import AssetFetcher, AssetPolicy, inline_assets, load_session
from replayport.portable.html import render_html
from tests.corpus import SESSIONS, corpus_path, load_canaries
from tests.portable.conftest import ARTIFACTS, Corpus
from tests.portable.test_formats import read_data_block

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INJECTION = "</script><script>window.__pwned = 1; alert(1)</script><!-- <script>"


def _frame_text(page: Any) -> str:
    frames = [f for f in page.frames if f != page.main_frame]
    assert frames, "the replayer's iframe is missing"
    return "\n".join(f.evaluate("document.documentElement.outerHTML") for f in frames)


def _play_to_end(page: Any, timeout_s: float = 60) -> dict[str, Any]:
    page.evaluate("window.replayport.setSpeed(16); window.replayport.play()")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = page.evaluate("window.replayport.state()")
        if state["finished"]:
            return state
        time.sleep(0.25)
    raise AssertionError(f"replay did not finish in {timeout_s}s: {state}")


def _canary_strings() -> list[str]:
    values = []
    for canary in load_canaries():
        values += [canary["value"], *canary.get("variants", [])]
    return [v.lower() for v in values if isinstance(v, str) and len(v) >= 6]


def test_plays_offline_to_the_end_masked_and_without_canaries(
    html_exports: dict[str, Path], offline_page: Any
) -> None:
    opened = offline_page(html_exports["s1_defaults_desktop"])
    page = opened.page
    total = page.evaluate("window.replayport.state().total")
    assert total > 60_000
    state = _play_to_end(page)
    assert state["finished"] and state["time"] >= total - 1000

    page.evaluate(f"window.replayport.seek({total // 2})")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portable-replay-midway.png"))

    replayed = _frame_text(page)
    visible = page.frames[1].evaluate("document.body.innerText")
    assert "*" in visible and sum(ch.isalpha() for ch in visible) < len(visible) * 0.05
    everything = (page.content() + replayed).lower()
    leaked = [c for c in _canary_strings() if c in everything]
    assert leaked == []
    assert opened.problems() == []
    assert page.evaluate("window.replayport.errors") == []
    assert opened.blocked == []  # nothing even tried the network


def test_every_window_of_every_session_plays(
    html_exports: dict[str, Path], offline_page: Any, corpus: Corpus
) -> None:
    for name, path in html_exports.items():
        opened = offline_page(path)
        windows = json.loads(
            opened.page.evaluate(
                "JSON.stringify(Array.from("
                "document.getElementById('rp-window').options, o => o.value))"
            )
        )
        for window in windows:
            opened.page.evaluate(f"window.replayport.selectWindow({json.dumps(window)})")
            total = opened.page.evaluate("window.replayport.state().total")
            opened.page.evaluate(f"window.replayport.seek({total})")
        assert opened.problems() == [], name
        assert opened.blocked == [], name
        assert opened.page.evaluate("window.replayport.errors") == [], name


def _raw_events(session: str) -> dict[str, list[dict[str, Any]]]:
    """The corpus's unmasked events per window, deduplicated and sorted like PostHog does."""
    seen, windows = set(), {}
    for line in corpus_path(session, "snapshots.decompressed.jsonl").read_text().splitlines():
        record = json.loads(line)
        for event in record["data"]:
            key = (record["window_id"], json.dumps(event, sort_keys=True))
            if key not in seen:
                seen.add(key)
                windows.setdefault(record["window_id"], []).append(event)
    return {w: sorted(e, key=lambda x: x["timestamp"]) for w, e in windows.items()}


_FEED = """async (events) => {
  const errors = [], warnings = [];
  const logger = {log() {}, debug() {}, warn: (...a) => warnings.push(a.map(String).join(' ')),
                  error: (...a) => errors.push(a.map(String).join(' '))};
  const root = document.createElement('div');
  document.body.appendChild(root);
  try {
    const r = new rrweb.Replayer(events, {root, logger, showWarning: true, mouseTail: false});
    const total = r.getMetaData().totalTime;
    r.pause(total);                       // applies every event synchronously
    r.play(0); r.pause(total / 2); r.pause(total);   // and again from the start
    r.destroy();
  } catch (e) { errors.push('threw: ' + e.message); }
  root.remove();
  return {errors, warnings};
}"""


def test_rrweb_replayer_accepts_every_masked_corpus_stream(
    corpus: Corpus, html_exports: dict[str, Path], offline_page: Any
) -> None:
    """The end-to-end proof that masking kept the rrweb stream valid: rrweb's own Replayer
    applies every masked window with no more warnings than the unmasked original gets."""
    page = offline_page(html_exports["s1_defaults_desktop"]).page
    archive = Archive(corpus.settings)
    for name in SESSIONS:
        session = load_session(archive, corpus.ids[name])
        raw = _raw_events(name)
        for window in session.windows():
            if not window.playable:
                continue
            masked = [
                {k: v for k, v in e.items() if k != "windowId"}
                for e in session.events
                if e["windowId"] == window.window_id
            ]
            got = page.evaluate(_FEED, masked)
            baseline = page.evaluate(_FEED, raw[window.window_id])
            assert got["errors"] == [], (name, got["errors"][:5])
            assert len(got["warnings"]) <= len(baseline["warnings"]), (
                name,
                got["warnings"][:5],
                baseline["warnings"][:5],
            )


def test_injected_markup_in_event_data_runs_no_script(
    corpus: Corpus, offline_page: Any, tmp_path: Path
) -> None:
    session = load_session(Archive(corpus.settings), corpus.ids["s3_defaults_mobile"])
    mutation = next(e for e in session.events if e["type"] == 3 and e["data"].get("source") == 0)
    target = next(e for e in session.events if e["type"] == 2)["data"]["node"]
    # text in the recorded page, a console message, a custom event and a URL all carry it
    mutation["data"].setdefault("texts", []).append({"id": target["id"], "value": INJECTION})
    session.events.insert(
        3,
        {
            "type": 5,
            "data": {"tag": INJECTION, "payload": {"x": INJECTION}},
            "timestamp": session.events[3]["timestamp"],
            "windowId": session.events[3]["windowId"],
        },
    )
    session.console.append(
        {
            "ts": session.events[5]["timestamp"],
            "window_id": None,
            "level": "error",
            "message": INJECTION,
            "seq": 0,
        }
    )
    session.pages.append(
        {
            "ts": session.events[5]["timestamp"],
            "window_id": None,
            "url": "http://x.test/" + INJECTION,
            "path": INJECTION,
            "seq": 0,
        }
    )
    events, report = inline_assets(session.events, AssetFetcher(AssetPolicy(False), set()))
    path = tmp_path / "injection.html"
    page_text = render_html(session, events, report, compress=False)
    block = read_data_block(page_text)
    assert "<" not in block and ">" not in block and INJECTION not in page_text
    path.write_text(page_text)

    opened = offline_page(path)
    page = opened.page
    _play_to_end(page)
    page.evaluate("document.querySelector('#rp-tabs button').click()")
    assert page.evaluate("window.__pwned") is None
    assert [kind for kind, _ in opened.console if kind == "dialog"] == []
    assert page.evaluate("document.querySelectorAll('script').length") == 3
    assert INJECTION in page.evaluate("document.getElementById('rp-panel-body').textContent")
    assert opened.problems() == []
