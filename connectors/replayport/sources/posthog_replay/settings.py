"""PostHog replay source settings and constants."""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

__all__ = [
    "API_PREFIXES",
    "BACKOFF_INITIAL_SECONDS",
    "BACKOFF_JITTER_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "CONTENT_TYPE_JSONL",
    "CONTENT_TYPE_OCTET",
    "DEFAULT_LOOKBACK_DAYS",
    "DEFAULT_SETTLE_HOURS",
    "CHUNK_RECORDINGS",
    "DELETION_CHECK_CHUNK",
    "DELETION_CHECK_MAX_IDS",
    "LIMITER_SLACK_SECONDS",
    "LOOPBACK_HOSTNAMES",
    "MAX_ATTEMPTS",
    "MAX_BLOCKS_PER_CALL",
    "MAX_COMPLETENESS_REFETCHES",
    "MAX_PENDING_ATTEMPTS",
    "MAX_RETRY_AFTER_SECONDS",
    "MIN_RETENTION_DAYS",
    "PLAN_BUDGETS",
    "REFETCH_ATTEMPTS",
    "REQUEST_TIMEOUT_SECONDS",
    "SOURCE_BLOB_V2",
    "SOURCE_BLOB_V2_LTS",
    "TPlanTier",
    "TierBudget",
]

TPlanTier = Literal["free", "paid", "enterprise"]


class TierBudget(NamedTuple):
    """Requests allowed per sliding minute and per sliding hour."""

    per_minute: int
    per_hour: int


PLAN_BUDGETS: Final[dict[str, TierBudget]] = {
    "free": TierBudget(12, 60),
    "paid": TierBudget(60, 300),
    "enterprise": TierBudget(100, 400),
}
"""PostHog's replay throttles per plan tier (posthog/settings/session_replay.py, PR #51752).

The snapshot and listing throttles have the same values; replayport keeps ONE budget for both
so that it never depends on which of PostHog's buckets a call lands in.
"""

API_PREFIXES: Final[tuple[str, ...]] = ("projects", "environments")
"""Both URL prefixes route to the same viewset (grandfathered environment routes)."""

LOOPBACK_HOSTNAMES: Final[frozenset[str]] = frozenset({"localhost", "localhost.localdomain"})
"""Host names (besides loopback IP literals) for which plain http:// is allowed."""

DEFAULT_SETTLE_HOURS: Final[float] = 24.0
"""PostHog cuts sessions after 24 h; before that the block list may still grow."""

DEFAULT_LOOKBACK_DAYS: Final[int] = 5 * 366 + 1
"""`date_from` when nothing is known yet: the longest retention PostHog offers (5 years).

PostHog defaults `date_from` to `-3d` when it is omitted, so it is always sent explicitly.
"""

MAX_BLOCKS_PER_CALL: Final[int] = 20
"""Personal API keys may request at most 20 blob keys per snapshots call (PR #32649)."""

SOURCE_BLOB_V2: Final[str] = "blob_v2"
SOURCE_BLOB_V2_LTS: Final[str] = "blob_v2_lts"
CONTENT_TYPE_JSONL: Final[str] = "application/jsonl"
CONTENT_TYPE_OCTET: Final[str] = "application/octet-stream"

REQUEST_TIMEOUT_SECONDS: Final[tuple[float, float]] = (10.0, 120.0)
"""(connect, read) timeouts; snapshot bodies of long sessions can take a while."""

MAX_ATTEMPTS: Final[int] = 8
"""Attempts per HTTP call (first try included) on 429, 5xx, timeouts and connection errors."""

BACKOFF_INITIAL_SECONDS: Final[float] = 1.0
BACKOFF_MAX_SECONDS: Final[float] = 60.0
BACKOFF_JITTER_SECONDS: Final[float] = 1.0

MAX_RETRY_AFTER_SECONDS: Final[float] = 3600.0
"""Upper bound on a server-sent Retry-After (an hourly budget never needs longer)."""

LIMITER_SLACK_SECONDS: Final[float] = 0.5
"""Each request occupies its window slot this much longer than the window.

The server timestamps a request when it arrives, a little after the client sent it; without
slack a request sent exactly one window after the oldest one can still land inside the
server's window and be throttled.
"""

MAX_COMPLETENESS_REFETCHES: Final[int] = 5
"""Re-fetches of missing blocks in one block range before the recording is given up for now."""

REFETCH_ATTEMPTS: Final[int] = 2
"""HTTP attempts when re-fetching blocks a 200 left out (a 502 there means they still fail)."""

MAX_PENDING_ATTEMPTS: Final[int] = 5
"""Runs in which a failed recording is retried before it is reported as given up."""

DELETION_CHECK_CHUNK: Final[int] = 100
"""Session ids per `session_ids=[...]` listing call when looking for upstream deletions."""

DELETION_CHECK_MAX_IDS: Final[int] = 500
"""Archived recordings re-listed per run (5 calls); larger archives are checked in turns."""

MIN_RETENTION_DAYS: Final[int] = 30
"""PostHog's shortest plan retention (free: 30 days).

Used when a recording's `expiry_time` is unknown: one that vanishes from the listing sooner
than this after its start cannot have expired, so it was deleted. Older ones are kept (an
archive that drops whatever PostHog expired would defeat its purpose).
"""

CHUNK_RECORDINGS: Final[int] = 25
"""Recordings per archive commit: a kill -9 loses at most this many fetched recordings."""
