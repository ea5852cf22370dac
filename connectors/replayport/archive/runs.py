"""Health of the recorded runs (`_replayport_runs`): what a scheduler should alert on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_MAX_ERROR_RATE", "error_rate", "run_alert"]

DEFAULT_MAX_ERROR_RATE = 0.05
"""Share of a run's recordings that may fail before `status` alerts."""


def error_rate(run: Mapping[str, Any]) -> float:
    """Failed recordings / attempted recordings of one run (0 when it attempted none)."""
    failed = int(run.get("sessions_failed") or 0)
    attempted = failed + int(run.get("sessions_extracted") or 0)
    return failed / attempted if attempted else 0.0


def run_alert(
    run: Mapping[str, Any] | None, max_error_rate: float = DEFAULT_MAX_ERROR_RATE
) -> str | None:
    """Why the run should page someone, or None when it is healthy (or there is no run)."""
    if run is None:
        return None
    if run.get("status") == "failed":
        return f"last run {run.get('run_id')} failed"
    rate = error_rate(run)
    if rate > max_error_rate:
        return (
            f"last run {run.get('run_id')}: {rate:.1%} of recordings failed "
            f"(threshold {max_error_rate:.1%})"
        )
    return None
