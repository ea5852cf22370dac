"""Small helpers for tests that talk to the emulator."""

from __future__ import annotations

from typing import Any

from replayport.metrics import RunMetrics
from replayport.sources.posthog_replay.client import PostHogClient
from replayport.sources.posthog_replay.ratelimit import RateLimiter, Window
from tests.emulator.decode_standin import ensure_decoder
from tests.emulator.server import PostHogEmulator

__all__ = ["fast_client", "fast_limiter"]

ensure_decoder()


def fast_limiter(per_window: int = 10_000, seconds: float = 60.0) -> RateLimiter:
    """A limiter that does not get in the way (unless asked to)."""
    return RateLimiter([Window(seconds, per_window)], slack=0.0)


def fast_client(
    ph: PostHogEmulator,
    *,
    limiter: RateLimiter | None = None,
    metrics: RunMetrics | None = None,
    **kwargs: Any,
) -> PostHogClient:
    """A client for the emulator with millisecond back-offs."""
    options: dict[str, Any] = {
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "backoff_jitter": 0.01,
    }
    options.update(kwargs)
    return PostHogClient(
        ph.url,
        ph.config.project_id,
        ph.config.api_key,
        limiter=limiter or fast_limiter(),
        metrics=metrics or RunMetrics(),
        **options,
    )
