"""`extract_posthog`: the source driven chunk by chunk into the real archive, deletions applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from replayport.archive.store import Archive
from replayport.config import Settings
from replayport.progress import NullProgress
from replayport.runner import Run
from replayport.sources.posthog_replay import posthog_client
from replayport.sources.posthog_replay.extract import extract_posthog
from replayport.sources.posthog_replay.listing import find_deleted_recordings
from tests.emulator import PostHogEmulator, build_recordings

HASH_KEY = "test-hash-key-0123456789abcdef"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLAYPORT__HASH_KEY", HASH_KEY)
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__REQUESTS_PER_MINUTE", "10000")
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__REQUESTS_PER_HOUR", "100000")


def _point_at(monkeypatch: pytest.MonkeyPatch, ph: PostHogEmulator) -> None:
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__HOST", ph.url)
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__PROJECT_ID", str(ph.config.project_id))
    monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__API_KEY", ph.config.api_key)


def test_chunks_and_resume(
    configured: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = Settings.resolve(tmp_path / "work")
    recordings = build_recordings(4, unsettled=1)
    with PostHogEmulator(recordings) as ph:
        _point_at(monkeypatch, ph)
        run = Run(settings, "extract", source="posthog")
        result = extract_posthog(run, chunk=2, progress=NullProgress())
        settled = {r.session_id for r in ph.settled()}
        assert Archive(settings).session_ids() == settled
        assert result.chunks == 3  # 2 + 2 + an empty one that finds the listing exhausted
        assert result.deleted == []
        assert run.metrics.get("sessions_extracted") == len(settled)
        assert run.metrics.get("api_calls") == len(ph.log)

        # the next run only lists (and re-lists archived ids to look for deletions)
        ph.clear_log()
        again = Run(settings, "extract", source="posthog")
        extract_posthog(again, progress=NullProgress())
        assert sorted(e.kind for e in ph.log) == ["listing", "listing"]


def test_upstream_deletion_leaves_the_archive(
    configured: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = Settings.resolve(tmp_path / "work")
    with PostHogEmulator(build_recordings(4, unsettled=0)) as ph:
        _point_at(monkeypatch, ph)
        extract_posthog(
            Run(settings, "extract", source="posthog"), chunk=2, progress=NullProgress()
        )
        settled = {r.session_id for r in ph.settled()}
        victim = sorted(settled)[0]
        ph.delete_recording(victim)
        run = Run(settings, "extract", source="posthog")
        result = extract_posthog(run, progress=NullProgress())
    assert result.deleted == [victim]
    assert Archive(settings).session_ids() == settled - {victim}
    assert run.metrics.get("sessions_deleted") == 1


def test_posthog_client_is_configured_like_the_source(
    configured: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    recordings = build_recordings(2, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        _point_at(monkeypatch, ph)
        monkeypatch.setenv("SOURCES__POSTHOG_REPLAY__API_PREFIX", "environments")
        with posthog_client() as client:
            assert client.base_path == "/api/environments/1/"
            assert ph.config.api_key not in repr(client)
            ph.delete_recording(recordings[0].session_id)
            gone = find_deleted_recordings(client, {r.session_id: None for r in recordings})
    assert gone == [recordings[0].session_id]
