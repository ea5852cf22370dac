"""PostHog session replays through PostHog's API, as a dlt source.

Resources:
    recordings: every settled recording of one PostHog project, oldest first, incremental
        and resumable. Yields whatever `process(raw)` makes of each `RawRecording` (Arrow
        tables marked with their table names), or the `RawRecording`s themselves.

Also: `posthog_client()` (a configured client for side calls such as deletion checks) and
`find_deleted_recordings()`.

Config (dlt conventions, section `sources.posthog_replay`): `host`, `project_id`, `api_key`
(secret), `settle_hours`, `plan_tier`, `requests_per_minute`, `requests_per_hour`, …
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration import with_config
from dlt.extract import DltResource

from replayport.errors import ConfigError
from replayport.metrics import RunMetrics
from replayport.progress import ProgressReporter
from replayport.rejects import Reject
from replayport.session import RawRecording
from replayport.sources.posthog_replay.client import PostHogClient, validate_host
from replayport.sources.posthog_replay.incremental import ExtractionOptions, extract_recordings
from replayport.sources.posthog_replay.listing import find_deleted_recordings, parse_time
from replayport.sources.posthog_replay.ratelimit import resolve_budget, shared_limiter
from replayport.sources.posthog_replay.settings import DEFAULT_SETTLE_HOURS
from replayport.sources.posthog_replay.state import ExtractionState, window_key

__all__ = [
    "PostHogClient",
    "extraction_state",
    "find_deleted_recordings",
    "posthog_client",
    "posthog_replay",
]

SECTION = "posthog_replay"


@dlt.source(name="posthog_replay", section=SECTION)
def posthog_replay(
    host: str = dlt.config.value,
    project_id: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    settle_hours: float = DEFAULT_SETTLE_HOURS,
    plan_tier: str = "free",
    requests_per_minute: int | None = None,
    requests_per_hour: int | None = None,
    concurrency: int = 2,
    page_size: int = 100,
    api_prefix: str = "projects",
    since: datetime | None = None,
    until: datetime | None = None,
    max_recordings: int | None = None,
    skip_session_ids: Collection[str] = (),
    process: Callable[[RawRecording], Iterable[Any]] | None = None,
    metrics: RunMetrics | None = None,
    on_reject: Callable[[Reject], None] | None = None,
    on_deleted: Callable[[str], None] | None = None,
    progress: ProgressReporter | None = None,
    run_id: str | None = None,
    rate_state_path: str | None = None,
) -> DltResource:
    """Settled PostHog recordings, extracted within the plan's API budget.

    Args:
        host: PostHog app host, e.g. `https://us.posthog.com` (`http://` only for loopback).
        project_id: numeric project id.
        api_key: personal API key with `session_recording:read`.
        settle_hours: only recordings that started at least this long ago (and are not
            `ongoing`) are extracted.
        plan_tier: `free`, `paid` or `enterprise`: selects PostHog's published budget.
        requests_per_minute: overrides the tier's per-minute budget (listing + snapshots).
        requests_per_hour: overrides the tier's per-hour budget.
        concurrency: snapshot fetches in parallel (all within the one budget).
        page_size: recordings per listing call.
        api_prefix: `projects` or `environments`.
        since: backfill lower bound on the start time (a window with its own cursor).
        until: upper bound (exclusive) on the start time.
        max_recordings: fetch at most this many per invocation; `extraction_state(...)
            ["exhausted"]` tells when nothing is left.
        skip_session_ids: recordings already archived: never fetched again.
        process: turns each `RawRecording` into the items to yield.
        metrics: run counters to increment.
        on_reject: receives API-stage rejects (incomplete, not found, unavailable).
        on_deleted: receives ids PostHog reports deleted (410 or vanished while pending).
        progress: progress reporter.
        run_id: the runner's run id: recordings that failed in this run are retried in the
            next run, not in the next chunk of this one.
        rate_state_path: file that keeps recent request times so that consecutive processes
            share the budget; by default next to the active pipeline's working dirs.

    Returns:
        The `recordings` resource.
    """
    host = validate_host(host)
    budget = resolve_budget(plan_tier, requests_per_minute, requests_per_hour)
    if not api_key:
        raise ConfigError("sources.posthog_replay.api_key (a personal API key) is not set")
    run_metrics = metrics if metrics is not None else RunMetrics()
    options = ExtractionOptions(
        settle_hours=float(settle_hours),
        since=parse_time(since) if since is not None else None,
        until=parse_time(until) if until is not None else None,
        max_recordings=max_recordings,
        page_size=int(page_size),
        concurrency=max(1, int(concurrency)),
        skip_session_ids=frozenset(skip_session_ids),
        run_id=run_id,
    )
    window = window_key(options.since, options.until)

    def recordings() -> Iterator[Any]:
        limiter = shared_limiter(
            f"{host}|{project_id}",
            budget,
            state_path=_rate_state_path(rate_state_path, host, str(project_id)),
        )
        client = PostHogClient(
            host,
            project_id,
            api_key,
            api_prefix=api_prefix,
            limiter=limiter,
            metrics=run_metrics,
        )
        state = ExtractionState(dlt.current.resource_state(), window)
        with client, run_metrics.stage("extract_posthog"):
            for raw in extract_recordings(
                client,
                state,
                options,
                metrics=run_metrics,
                on_reject=on_reject,
                on_deleted=on_deleted,
                progress=progress,
            ):
                if process is None:
                    yield raw
                else:
                    yield from process(raw)

    return dlt.resource(recordings, name="recordings")


@with_config(sections=("sources", SECTION))
def posthog_client(
    host: str = dlt.config.value,
    project_id: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    plan_tier: str = "free",
    requests_per_minute: int | None = None,
    requests_per_hour: int | None = None,
    api_prefix: str = "projects",
    metrics: RunMetrics | None = None,
    rate_state_path: str | None = None,
) -> PostHogClient:
    """A client configured like `posthog_replay` and sharing its rate budget.

    For calls outside the source, e.g. `find_deleted_recordings(posthog_client(), known)`.
    """
    host = validate_host(host)
    budget = resolve_budget(plan_tier, requests_per_minute, requests_per_hour)
    limiter = shared_limiter(
        f"{host}|{project_id}",
        budget,
        state_path=_rate_state_path(rate_state_path, host, str(project_id)),
    )
    return PostHogClient(
        host, project_id, api_key, api_prefix=api_prefix, limiter=limiter, metrics=metrics
    )


def extraction_state(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """The `recordings` resource state of `pipeline` (`exhausted`, `pending_retry`, …)."""
    sources = pipeline.state.get("sources", {})
    resources = sources.get(SECTION, {}).get("resources", {})
    return dict(resources.get("recordings", {}))


def _rate_state_path(explicit: str | None, host: str, project_id: str) -> Path | None:
    """Where the limiter keeps recent request times (never the key, only host + project)."""
    if explicit:
        return Path(explicit)
    try:
        pipelines_dir = Path(dlt.current.pipeline().pipelines_dir)
    except Exception:  # no active pipeline: the budget is kept in memory only
        return None
    digest = hashlib.sha256(f"{host}|{project_id}".encode()).hexdigest()[:16]
    return pipelines_dir / ".replayport" / f"posthog-ratelimit-{digest}.json"
