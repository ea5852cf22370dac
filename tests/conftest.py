"""Shared fixtures: the real corpus, an isolated environment per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.corpus import SESSIONS

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@pytest.fixture(params=SESSIONS)
def session_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test gets its own dlt data dir and no stray replayport/PostHog settings."""
    for name in list(os.environ):
        if (
            name.startswith(("REPLAYPORT__", "SOURCES__POSTHOG_REPLAY__"))
            or name == "REPLAYPORT_WORKDIR"
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt-data"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
