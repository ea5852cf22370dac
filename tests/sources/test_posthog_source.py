"""The extraction pass and the dlt source: order, state, resume, rejects, deletions, budget."""

from __future__ import annotations

import io
import logging
import math
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pytest

from replayport.errors import AuthenticationError
from replayport.metrics import RunMetrics
from replayport.progress import (
    LogProgress,
    NullProgress,
    ProgressSnapshot,
    format_line,
    make_progress,
)
from replayport.rejects import Reject
from replayport.session import RawRecording
from replayport.sources.posthog_replay import extraction_state, posthog_replay
from replayport.sources.posthog_replay.incremental import ExtractionOptions, extract_recordings
from replayport.sources.posthog_replay.ratelimit import RateLimiter, Window
from replayport.sources.posthog_replay.settings import MAX_PENDING_ATTEMPTS
from replayport.sources.posthog_replay.state import ExtractionState
from tests.emulator import EmulatedRecording, PostHogEmulator, build_recordings
from tests.emulator.helpers import fast_client


def _pass(
    ph: PostHogEmulator,
    state: dict[str, Any],
    *,
    limiter: RateLimiter | None = None,
    rejects: list[Reject] | None = None,
    deleted: list[str] | None = None,
    metrics: RunMetrics | None = None,
    **options: Any,
) -> list[RawRecording]:
    client = fast_client(ph, limiter=limiter, metrics=metrics)
    return list(
        extract_recordings(
            client,
            ExtractionState(state),
            ExtractionOptions(**options),
            on_reject=(rejects.append if rejects is not None else None),
            on_deleted=(deleted.append if deleted is not None else None),
        )
    )


def _ids(recordings: list[EmulatedRecording] | list[RawRecording]) -> list[str]:
    return [r.session_id for r in recordings]


def test_one_pass_extracts_every_settled_recording_in_order() -> None:
    recordings = build_recordings(9, unsettled=1)
    state: dict[str, Any] = {}
    metrics = RunMetrics()
    with PostHogEmulator(recordings) as ph:
        got = _pass(ph, state, metrics=metrics, concurrency=3)
        settled = ph.settled()
        ongoing = [r for r in recordings if r.meta["ongoing"]]
        assert ongoing and all(ph.calls_for(r.session_id) == 0 for r in ongoing)
    assert _ids(got) == _ids(settled)
    assert state["exhausted"] is True
    assert state["cursors"]["incremental"]["ids"] == [settled[-1].session_id]
    assert state["pending_retry"] == {}
    assert metrics.get("sessions_extracted") == 0, "processing counts extracted sessions"
    assert metrics.get("sessions_listed") == len(settled)
    assert metrics.get("bytes_in") > 0
    for raw, rec in zip(got, settled, strict=True):
        assert len(raw.stream.events) == len(rec.lines)


def test_second_pass_only_lists() -> None:
    recordings = build_recordings(6, unsettled=0)
    state: dict[str, Any] = {}
    with PostHogEmulator(recordings) as ph:
        _pass(ph, state)
        ph.clear_log()
        assert _pass(ph, state) == []
        assert [e.kind for e in ph.log] == ["listing"]
        # listing restarts at the cursor's start time (inclusive, for ties)
        assert ph.log[0].query["date_from"] == state["cursors"]["incremental"]["start_time"]
    assert state["exhausted"] is True


def test_tiny_chunks_and_pages_hand_on_each_recording_once_despite_ties() -> None:
    recordings = build_recordings(8, unsettled=1, tie=True)
    assert recordings[1].start_time == recordings[2].start_time
    state: dict[str, Any] = {}
    handed_on: list[str] = []
    with PostHogEmulator(recordings) as ph:
        for _ in range(30):
            handed_on += _ids(_pass(ph, state, max_recordings=1, page_size=1))
            if state["exhausted"]:
                break
        settled = ph.settled()
    assert handed_on == _ids(settled)


def test_skip_session_ids_are_never_fetched() -> None:
    recordings = build_recordings(5, unsettled=0)
    skip = {recordings[0].session_id, recordings[3].session_id}
    state: dict[str, Any] = {}
    metrics = RunMetrics()
    with PostHogEmulator(recordings) as ph:
        got = _pass(ph, state, skip_session_ids=skip, metrics=metrics)
        assert all(ph.calls_for(sid) == 0 for sid in skip)
    assert set(_ids(got)) == {r.session_id for r in recordings} - skip
    assert metrics.get("sessions_skipped") == 2


def test_incomplete_recording_is_rejected_and_retried_next_run() -> None:
    recordings = build_recordings(5, unsettled=0, lts=())
    broken = recordings[2]
    state: dict[str, Any] = {}
    rejects: list[Reject] = []
    with PostHogEmulator(recordings) as ph:
        ph.config.failing_blocks = {broken.session_id: {4}}
        got = _pass(ph, state, rejects=rejects, run_id="run-1")
        assert broken.session_id not in _ids(got)
        assert len(got) == 4
        assert [(r.stage, r.reason, r.session_id) for r in rejects] == [
            ("api", "incomplete_recording", broken.session_id)
        ]
        assert state["pending_retry"][broken.session_id]["attempts"] == 1
        # the cursor moved on: the failure does not block the recordings after it
        assert state["cursors"]["incremental"]["ids"] == [recordings[-1].session_id]

        # another chunk of the same run does not retry it again
        ph.clear_log()
        assert _pass(ph, state, run_id="run-1") == []
        assert ph.calls_for(broken.session_id) == 0

        # the next run retries it first (re-listed by id), and now it is complete
        ph.config.failing_blocks = {}
        ph.clear_log()
        again = _pass(ph, state, run_id="run-2")
        assert _ids(again) == [broken.session_id]
        assert len(again[0].stream.events) == len(broken.lines)
        assert '"' + broken.session_id + '"' in ph.entries("listing")[0].query["session_ids"]
    assert state["pending_retry"] == {}
    assert state["exhausted"] is True


def test_not_found_is_rejected_and_given_up_after_bounded_runs() -> None:
    recordings = build_recordings(3, unsettled=0)
    missing = recordings[1]
    state: dict[str, Any] = {}
    rejects: list[Reject] = []
    with PostHogEmulator(recordings) as ph:
        ph.config.missing_recordings = {missing.session_id}
        for run in range(MAX_PENDING_ATTEMPTS):
            _pass(ph, state, rejects=rejects, run_id=f"run-{run}")
        assert missing.session_id not in state["pending_retry"]
        assert state["given_up"] == [missing.session_id]
        ph.clear_log()
        _pass(ph, state, run_id="run-last")
        assert ph.calls_for(missing.session_id) == 0
    reasons = [r.reason for r in rejects]
    assert reasons.count("recording_not_found") == MAX_PENDING_ATTEMPTS
    assert reasons[-1] == "retries_exhausted"


def test_410_is_propagated_as_a_deletion() -> None:
    recordings = build_recordings(4, unsettled=0)
    gone = recordings[1]
    state: dict[str, Any] = {}
    deleted: list[str] = []
    rejects: list[Reject] = []
    metrics = RunMetrics()
    with PostHogEmulator(recordings) as ph:
        original_handle = ph._snapshots

        def delete_on_first_sight(sid: str, query: dict[str, str], kind: str) -> Any:
            # deleted between listing and fetching: the snapshots answer 410
            if sid == gone.session_id:
                ph.delete_recording(sid)
            return original_handle(sid, query, kind)

        ph._snapshots = delete_on_first_sight  # type: ignore[method-assign]
        got = _pass(ph, state, deleted=deleted, rejects=rejects, metrics=metrics)
    assert deleted == [gone.session_id]
    assert gone.session_id not in _ids(got) and len(got) == 3
    assert rejects == []
    assert state["pending_retry"] == {}
    assert metrics.get("sessions_deleted") == 1


def test_pending_recording_that_vanishes_is_a_deletion() -> None:
    recordings = build_recordings(3, unsettled=0, lts=())
    target = recordings[0]
    state: dict[str, Any] = {}
    deleted: list[str] = []
    with PostHogEmulator(recordings) as ph:
        ph.config.failing_blocks = {target.session_id: {0}}
        _pass(ph, state, run_id="run-1")
        assert target.session_id in state["pending_retry"]
        ph.delete_recording(target.session_id)
        _pass(ph, state, deleted=deleted, run_id="run-2")
    assert deleted == [target.session_id]
    assert state["pending_retry"] == {}


def test_old_but_ongoing_recording_waits_in_pending() -> None:
    recordings = build_recordings(3, unsettled=0)
    late = recordings[1]
    late.meta["ongoing"] = True
    state: dict[str, Any] = {}
    with PostHogEmulator(recordings) as ph:
        got = _pass(ph, state, run_id="run-1")
        assert late.session_id not in _ids(got)
        assert state["pending_retry"][late.session_id]["reason"] == "ongoing"
        assert state["pending_retry"][late.session_id]["attempts"] == 0
        assert ph.calls_for(late.session_id) == 0
        _pass(ph, state, run_id="run-2")
        assert late.session_id in state["pending_retry"]
        late.meta["ongoing"] = False
        assert _ids(_pass(ph, state, run_id="run-3")) == [late.session_id]
    assert state["pending_retry"] == {}


def test_concurrent_fetches_stay_within_the_budget() -> None:
    recordings = build_recordings(5, unsettled=0)
    limiter = RateLimiter([Window(0.5, 4)], slack=0.05)
    with PostHogEmulator(recordings) as ph:
        got = _pass(ph, {}, limiter=limiter, concurrency=4)
        assert ph.max_in_window(0.5) <= 4
        total = len(ph.log)
        blocks = {r.session_id: (1 if r.lts else r.n_blocks) for r in ph.settled()}
        listing_calls = len(ph.entries("listing"))
    assert _ids(got) == _ids(ph.settled())
    assert total == listing_calls + sum(1 + math.ceil(b / 20) for b in blocks.values())


def test_listing_share_and_calls_per_recording_within_the_efficiency_goal() -> None:
    recordings = build_recordings(12, unsettled=1)
    with PostHogEmulator(recordings) as ph:
        got = _pass(ph, {}, page_size=100)
        per_recording = {r.session_id: ph.calls_for(r.session_id) for r in got}
        listing = len(ph.entries("listing"))
    assert listing == 1
    for raw in got:
        assert per_recording[raw.session_id] == raw.api_calls
        assert raw.api_calls <= 1 + math.ceil(raw.blocks / 20)


# -- the dlt source ---------------------------------------------------------------------------


def _configure(monkeypatch: pytest.MonkeyPatch, ph: PostHogEmulator) -> None:
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__HOST", ph.url)
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__PROJECT_ID", str(ph.config.project_id))
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__API_KEY", ph.config.api_key)
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__REQUESTS_PER_MINUTE", "10000")
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__REQUESTS_PER_HOUR", "100000")


def _to_tables(raw: RawRecording) -> Iterator[Any]:
    table = pa.table(
        {
            "session_id": [raw.session_id],
            "events": [len(raw.stream.events)],
            "blocks": [raw.blocks],
            "api_calls": [raw.api_calls],
        }
    )
    yield dlt.mark.with_table_name(table, "sessions")


@pytest.fixture
def make_pipeline(tmp_path: Path) -> Iterator[Callable[[], dlt.Pipeline]]:
    """Fresh dev-mode DuckDB pipelines, deactivated afterwards so no state leaks between tests
    (iterating a source outside `run` uses the active pipeline's state)."""
    made: list[dlt.Pipeline] = []

    def make() -> dlt.Pipeline:
        pipeline = dlt.pipeline(
            pipeline_name=f"posthog_test_{uuid.uuid4().hex[:8]}",
            destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
            dataset_name="posthog_replay",
            pipelines_dir=str(tmp_path / "pipelines"),
            dev_mode=True,
        )
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.deactivate()


def _sessions(pipeline: dlt.Pipeline) -> list[tuple[str, int]]:
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT session_id, events FROM sessions ORDER BY session_id")
    return [(str(a), int(b)) for a, b in rows]


def test_dlt_source_loads_and_resumes(
    monkeypatch: pytest.MonkeyPatch, make_pipeline: Callable[[], dlt.Pipeline]
) -> None:
    recordings = build_recordings(7, unsettled=1)
    with PostHogEmulator(recordings) as ph:
        _configure(monkeypatch, ph)
        pipeline = make_pipeline()
        runs = 0
        while True:
            pipeline.run(posthog_replay(process=_to_tables, max_recordings=3, run_id="r1"))
            runs += 1
            if extraction_state(pipeline)["exhausted"]:
                break
            assert runs < 10
        expected = sorted((r.session_id, len(r.lines)) for r in ph.settled())
        assert _sessions(pipeline) == expected
        assert runs == math.ceil(len(expected) / 3) + (1 if len(expected) % 3 == 0 else 0)

        # re-running is safe: only one listing call, nothing new, no duplicates
        ph.clear_log()
        pipeline.run(posthog_replay(process=_to_tables))
        assert [e.kind for e in ph.log] == ["listing"]
        assert _sessions(pipeline) == expected

        # a recording that appears later (same start order) is picked up incrementally
        newer = build_recordings(1, unsettled=0, days_ago=(1.1, 1.2), seed=99)[0]
        ph._recordings[newer.session_id] = newer
        pipeline.run(posthog_replay(process=_to_tables))
        assert (newer.session_id, len(newer.lines)) in _sessions(pipeline)
        assert len(_sessions(pipeline)) == len(expected) + 1


def test_dlt_source_yields_raw_recordings_without_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recordings = build_recordings(3, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        _configure(monkeypatch, ph)
        got = list(posthog_replay(api_prefix="environments"))
    assert [type(r) for r in got] == [RawRecording] * 3
    assert _ids(got) == _ids(sorted(recordings, key=lambda r: (r.start_time, r.session_id)))
    assert all(r.origin.startswith("/api/environments/1/") for r in got)


def test_dlt_source_wrong_key_fails_without_leaking(
    monkeypatch: pytest.MonkeyPatch,
    make_pipeline: Callable[[], dlt.Pipeline],
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = "phx_wrong_key_that_must_not_leak_42"
    caplog.set_level(logging.DEBUG)
    with PostHogEmulator(build_recordings(2, unsettled=0)) as ph:
        _configure(monkeypatch, ph)
        monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__API_KEY", wrong)
        pipeline = make_pipeline()
        with pytest.raises(Exception) as info:
            pipeline.run(posthog_replay(process=_to_tables))
    chain: list[BaseException] = []
    exc: BaseException | None = info.value
    while exc is not None and len(chain) < 10:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    assert any(isinstance(e, AuthenticationError) for e in chain)
    assert all(wrong not in str(e) and wrong not in repr(e) for e in chain)
    assert wrong not in caplog.text


def test_api_key_never_stored_logged_or_shown(
    monkeypatch: pytest.MonkeyPatch,
    make_pipeline: Callable[[], dlt.Pipeline],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    progress_log = logging.getLogger("test.progress")
    rejects: list[Reject] = []
    recordings = build_recordings(4, unsettled=1, lts=())
    with PostHogEmulator(recordings) as ph:
        ph.config.failing_blocks = {recordings[1].session_id: {2, 5}}
        _configure(monkeypatch, ph)
        key = ph.config.api_key
        pipeline = make_pipeline()
        source = posthog_replay(
            process=_to_tables,
            on_reject=rejects.append,
            progress=LogProgress(progress_log, min_interval=0),
        )
        pipeline.run(source)
        assert key not in repr(source)
    assert rejects and all(key not in repr(r) for r in rejects)
    assert "progress recordings=" in caplog.text
    assert key not in caplog.text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    assert key not in str(pipeline.state)


def test_progress_reporters(monkeypatch: pytest.MonkeyPatch) -> None:
    # CI runs set CI=true, which (rightly) forces plain lines; this test is about a terminal
    monkeypatch.delenv("CI", raising=False)
    line = format_line(
        ProgressSnapshot(
            recordings_done=3,
            recordings_total=12,
            blocks=71,
            bytes_in=1843,
            budget_left=9,
            eta_seconds=65,
        )
    )
    assert line == (
        "progress recordings=3/12 blocks=71 bytes=1843 budget_left=9 eta=1m05s failed=0"
    )
    assert isinstance(make_progress(io.StringIO()), LogProgress)

    class FakeTty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = make_progress(FakeTty())
    assert type(tty).__name__ == "RichProgress"
    tty.close()
    NullProgress().update(ProgressSnapshot())


def test_progress_is_plain_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeTty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("CI", "true")
    assert isinstance(make_progress(FakeTty()), LogProgress)
