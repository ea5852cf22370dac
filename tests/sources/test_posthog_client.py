"""The HTTP client: host checks, auth, retries, Retry-After, error mapping, no key leaks."""

from __future__ import annotations

import logging

import pytest

from replayport.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    RecordingDeletedError,
    TransientError,
)
from replayport.metrics import RunMetrics
from replayport.sources.posthog_replay.client import PostHogClient, validate_host
from tests.emulator import EmulatorConfig, PostHogEmulator, build_recordings
from tests.emulator.helpers import fast_client

SECRET = "phx_super_secret_key_do_not_leak_0123456789"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("https://us.posthog.com", "https://us.posthog.com"),
        ("https://eu.posthog.com/", "https://eu.posthog.com"),
        ("https://posthog.example.org/ph/", "https://posthog.example.org/ph"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:8000/", "http://localhost:8000"),
        ("http://[::1]:8010", "http://[::1]:8010"),
    ],
    ids=["us", "trailing_slash", "self_hosted_path", "loopback_ip", "localhost", "ipv6_loopback"],
)
def test_valid_hosts(host: str, expected: str) -> None:
    assert validate_host(host) == expected


@pytest.mark.parametrize(
    "host",
    [
        "http://us.posthog.com",
        "http://10.0.0.5:8000",
        "http://localhost.evil.example",
        "ftp://us.posthog.com",
        "us.posthog.com",
        "https://user:pw@us.posthog.com",
        "",
    ],
    ids=["plain_http", "private_ip", "lookalike", "ftp", "no_scheme", "credentials", "empty"],
)
def test_refused_hosts(host: str) -> None:
    with pytest.raises(ConfigError):
        validate_host(host)


def test_client_rejects_bad_project_and_prefix() -> None:
    with pytest.raises(ConfigError):
        PostHogClient("https://us.posthog.com", "1/../2", SECRET)
    with pytest.raises(ConfigError):
        PostHogClient("https://us.posthog.com", 1, SECRET, api_prefix="teams")
    with pytest.raises(ConfigError):
        PostHogClient("https://us.posthog.com", 1, "  ")


def test_key_not_in_repr() -> None:
    client = PostHogClient("https://us.posthog.com", 1, SECRET)
    assert SECRET not in repr(client)
    assert SECRET not in repr(vars(client))


@pytest.mark.parametrize("prefix", ["projects", "environments"])
def test_both_prefixes_list(prefix: str) -> None:
    with PostHogEmulator(build_recordings(3, unsettled=0)) as ph:
        client = fast_client(ph, api_prefix=prefix)
        page = client.get("session_recordings/", {"date_from": "-30d", "limit": 10}).json()
        assert len(page["results"]) == 3
        assert ph.log[-1].path == f"/api/{prefix}/1/session_recordings/"


def test_401_is_authentication_error_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with PostHogEmulator(build_recordings(1, unsettled=0)) as ph:
        client = PostHogClient(ph.url, 1, SECRET, backoff_initial=0.01)
        with pytest.raises(AuthenticationError) as info:
            client.get("session_recordings/", {"limit": 1})
        assert len(ph.log) == 1, "authentication failures are not retried"
        assert ph.log[0].status == 401
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
    assert SECRET not in caplog.text
    assert info.value.exit_code == 2


def test_wrong_project_is_authentication_error() -> None:
    with PostHogEmulator(build_recordings(1, unsettled=0)) as ph:
        client = PostHogClient(ph.url, 999, ph.config.api_key)
        with pytest.raises(AuthenticationError):
            client.get("session_recordings/")


def test_404_and_410_map_to_errors() -> None:
    recordings = build_recordings(1, unsettled=0)
    with PostHogEmulator(recordings) as ph:
        client = fast_client(ph)
        with pytest.raises(NotFoundError):
            client.get("session_recordings/nope/snapshots")
        ph.delete_recording(recordings[0].session_id)
        with pytest.raises(RecordingDeletedError) as info:
            client.get(f"session_recordings/{recordings[0].session_id}/snapshots")
        assert info.value.status == 410
        # neither is retried
        assert len(ph.log) == 2


def test_5xx_backoff_is_exponential_and_bounded(caplog: pytest.LogCaptureFixture) -> None:
    sleeps: list[float] = []
    metrics = RunMetrics()
    with PostHogEmulator(build_recordings(1, unsettled=0), EmulatorConfig(error_rate=1.0)) as ph:
        client = PostHogClient(
            ph.url,
            1,
            ph.config.api_key,
            max_attempts=5,
            backoff_initial=1.0,
            backoff_max=4.0,
            backoff_jitter=0.5,
            sleep=sleeps.append,
            metrics=metrics,
        )
        with pytest.raises(TransientError):
            client.get("session_recordings/", {"limit": 1})
        assert len(ph.log) == 5
        assert {e.status for e in ph.log} <= {500, 503}
    assert len(sleeps) == 4
    # 1, 2, 4, 4 (capped) plus up to 0.5 s of jitter each
    for slept, base in zip(sleeps, [1.0, 2.0, 4.0, 4.0], strict=True):
        assert base <= slept <= base + 0.5
    assert metrics.get("api_calls") == 5
    assert metrics.get("api_retries") == 4
    assert metrics.get("api_429s") == 0


def test_5xx_then_success_is_transparent() -> None:
    with PostHogEmulator(
        build_recordings(2, unsettled=0), EmulatorConfig(error_rate=0.5, seed=1)
    ) as ph:
        client = fast_client(ph)
        for _ in range(10):
            page = client.get("session_recordings/", {"date_from": "-30d"}).json()
            assert len(page["results"]) == 2
        assert any(e.status >= 500 for e in ph.log)
        assert client.metrics.get("api_retries") == sum(1 for e in ph.log if e.status >= 500)


def test_timeouts_are_retried_then_raised() -> None:
    with PostHogEmulator(
        build_recordings(1, unsettled=0), EmulatorConfig(slow_rate=1.0, slow_seconds=0.5)
    ) as ph:
        client = fast_client(ph, timeout=(1.0, 0.1), max_attempts=2)
        with pytest.raises(TransientError, match="timeout"):
            client.get("session_recordings/")
        assert client.metrics.get("api_retries") == 1


def test_retry_after_is_honoured() -> None:
    config = EmulatorConfig(throttle_windows=[(1.0, 2)])
    with PostHogEmulator(build_recordings(1, unsettled=0), config) as ph:
        client = fast_client(ph)  # the client's own limiter allows far more: the server throttles
        for _ in range(5):
            client.get("session_recordings/", {"date_from": "-30d"})
        throttled = [e for e in ph.log if e.status == 429]
        assert throttled, "the emulator should have throttled the burst"
        assert client.metrics.get("api_429s") == len(throttled)
        assert client.metrics.get("api_retries") == 0
        for entry in throttled:
            assert entry.retry_after is not None and entry.retry_after >= 1
            later = [e.time for e in ph.log if e.time > entry.time]
            assert later and min(later) - entry.time >= entry.retry_after - 0.05
        assert sum(1 for e in ph.log if e.status == 200) == 5
