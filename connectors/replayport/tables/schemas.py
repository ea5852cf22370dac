"""The data contract: one explicit Arrow schema per table of warehouse schema `posthog_replay`.

Names are fixed by DESIGN.md (analysts, dbt and acceptance checks rely on them); columns may be
added. Timestamps are UTC microseconds, ids are strings, JSON travels as text.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "CONTRACT_TABLES",
    "EVENT_TABLES",
    "NETWORK_SEQ_STRIDE",
    "PRIMARY_KEYS",
    "SCHEMAS",
    "TS",
]

TS = pa.timestamp("us", tz="UTC")

NETWORK_SEQ_STRIDE = 100_000
"""One network plugin event carries many requests; a request's `seq` is
`event_seq * NETWORK_SEQ_STRIDE + request_index`, so (session_id, seq) stays unique and stable."""


def _key(name: str, type_: pa.DataType) -> pa.Field:
    return pa.field(name, type_, nullable=False)


_PROVENANCE = [
    pa.field("run_id", pa.string()),
    pa.field("extracted_at", TS),
]

SESSIONS = pa.schema(
    [
        _key("session_id", pa.string()),
        pa.field("distinct_id_hash", pa.string()),
        pa.field("person_id_hash", pa.string()),
        pa.field("email_hash", pa.string()),
        pa.field("start_time", TS),
        pa.field("end_time", TS),
        pa.field("duration_s", pa.float64()),
        pa.field("active_s", pa.float64()),
        pa.field("click_count", pa.int64()),
        pa.field("keypress_count", pa.int64()),
        pa.field("mouse_activity_count", pa.int64()),
        pa.field("console_log_count", pa.int64()),
        pa.field("console_warn_count", pa.int64()),
        pa.field("console_error_count", pa.int64()),
        pa.field("rage_click_count", pa.int64()),
        pa.field("dead_click_count", pa.int64()),
        pa.field("error_click_count", pa.int64()),
        pa.field("page_view_count", pa.int64()),
        pa.field("network_request_count", pa.int64()),
        pa.field("event_count", pa.int64()),
        pa.field("window_count", pa.int64()),
        pa.field("start_url", pa.string()),
        pa.field("browser", pa.string()),
        pa.field("os", pa.string()),
        pa.field("device_type", pa.string()),
        pa.field("viewport_width", pa.int64()),
        pa.field("viewport_height", pa.int64()),
        pa.field("snapshot_source", pa.string()),
        pa.field("expiry_time", TS),
        pa.field("excluded", pa.bool_()),
        pa.field("person_properties", pa.string()),
        pa.field("redaction_counts", pa.string()),
        pa.field("hash_key_id", pa.string()),
        pa.field("privacy_policy_version", pa.string()),
        pa.field("source", pa.string()),
        *_PROVENANCE,
    ]
)

REPLAY_EVENTS = pa.schema(
    [
        _key("session_id", pa.string()),
        _key("seq", pa.int64()),
        pa.field("window_id", pa.string()),
        pa.field("ts", TS),
        pa.field("event_type", pa.int16()),
        pa.field("source", pa.int16()),
        pa.field("data", pa.string()),
        pa.field("data_bytes", pa.int64()),
        *_PROVENANCE,
    ]
)

PAGE_VIEWS = pa.schema(
    [
        _key("session_id", pa.string()),
        _key("seq", pa.int64()),
        pa.field("window_id", pa.string()),
        pa.field("ts", TS),
        pa.field("url", pa.string()),
        pa.field("host", pa.string()),
        pa.field("path", pa.string()),
        pa.field("viewport_width", pa.int64()),
        pa.field("viewport_height", pa.int64()),
        pa.field("trigger", pa.string()),
        *_PROVENANCE,
    ]
)

CLICKS = pa.schema(
    [
        _key("session_id", pa.string()),
        _key("seq", pa.int64()),
        pa.field("window_id", pa.string()),
        pa.field("ts", TS),
        pa.field("x", pa.float64()),
        pa.field("y", pa.float64()),
        pa.field("interaction", pa.string()),
        pa.field("pointer_type", pa.string()),
        pa.field("url", pa.string()),
        pa.field("path", pa.string()),
        pa.field("viewport_width", pa.int64()),
        pa.field("viewport_height", pa.int64()),
        pa.field("target_node_id", pa.int64()),
        pa.field("target_selector", pa.string()),
        pa.field("target_tag", pa.string()),
        pa.field("target_text", pa.string()),
        pa.field("is_rage", pa.bool_()),
        pa.field("is_dead", pa.bool_()),
        pa.field("is_error", pa.bool_()),
        *_PROVENANCE,
    ]
)

CONSOLE_LOGS = pa.schema(
    [
        _key("session_id", pa.string()),
        _key("seq", pa.int64()),
        pa.field("window_id", pa.string()),
        pa.field("ts", TS),
        pa.field("level", pa.string()),
        pa.field("level_group", pa.string()),
        pa.field("message", pa.string()),
        pa.field("trace", pa.string()),
        pa.field("url", pa.string()),
        *_PROVENANCE,
    ]
)

NETWORK_REQUESTS = pa.schema(
    [
        _key("session_id", pa.string()),
        _key("seq", pa.int64()),
        pa.field("event_seq", pa.int64()),
        pa.field("request_index", pa.int64()),
        pa.field("window_id", pa.string()),
        pa.field("ts", TS),
        pa.field("method", pa.string()),
        pa.field("url", pa.string()),
        pa.field("host", pa.string()),
        pa.field("path", pa.string()),
        pa.field("status", pa.int64()),
        pa.field("duration_ms", pa.float64()),
        pa.field("initiator_type", pa.string()),
        pa.field("entry_type", pa.string()),
        pa.field("transfer_size", pa.int64()),
        pa.field("is_initial", pa.bool_()),
        pa.field("plugin", pa.string()),
        pa.field("request_headers", pa.string()),
        pa.field("response_headers", pa.string()),
        pa.field("request_body", pa.string()),
        pa.field("response_body", pa.string()),
        *_PROVENANCE,
    ]
)

PAYMENT_IDENTITIES = pa.schema(
    [
        _key("payment_id", pa.string()),
        pa.field("email_hash", pa.string()),
        pa.field("customer_id_hash", pa.string()),
        pa.field("amount", pa.decimal128(18, 2)),
        pa.field("currency", pa.string()),
        pa.field("status", pa.string()),
        pa.field("created_at", TS),
        pa.field("hash_key_id", pa.string()),
        pa.field("source", pa.string()),
        *_PROVENANCE,
        # added after the first release, so last: Delta appends evolved columns, and archives
        # written before it then have the same column order as new ones
        pa.field("amount_refunded", pa.decimal128(18, 2)),
    ]
)
"""`amount` and `amount_refunded` are major currency units; `amount_refunded` is null when the
input does not say (files without a refund column, PaymentIntents)."""

RUNS = pa.schema(
    [
        _key("run_id", pa.string()),
        pa.field("command", pa.string()),
        pa.field("source", pa.string()),
        pa.field("destination", pa.string()),
        pa.field("status", pa.string()),
        pa.field("started_at", TS),
        pa.field("ended_at", TS),
        pa.field("sessions_listed", pa.int64()),
        pa.field("sessions_extracted", pa.int64()),
        pa.field("sessions_skipped", pa.int64()),
        pa.field("sessions_failed", pa.int64()),
        pa.field("sessions_excluded", pa.int64()),
        pa.field("sessions_deleted", pa.int64()),
        pa.field("events", pa.int64()),
        pa.field("rejects", pa.int64()),
        pa.field("bytes_in", pa.int64()),
        pa.field("bytes_out", pa.int64()),
        pa.field("api_calls", pa.int64()),
        pa.field("api_429s", pa.int64()),
        pa.field("api_retries", pa.int64()),
        pa.field("errors", pa.int64()),
        pa.field("values_too_large", pa.int64()),
        pa.field("error_summary", pa.string()),
        pa.field("stage_seconds", pa.string()),
        pa.field("replayport_version", pa.string()),
        # added after the first release, so last (see PAYMENT_IDENTITIES)
        pa.field("sessions_reprocessed", pa.int64()),
    ]
)

REJECTS = pa.schema(
    [
        _key("run_id", pa.string()),
        _key("seq", pa.int64()),
        pa.field("session_id", pa.string()),
        pa.field("stage", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("message", pa.string()),
        pa.field("location", pa.string()),
        pa.field("source", pa.string()),
        pa.field("created_at", TS),
    ]
)

DELETIONS = pa.schema(
    [
        _key("session_id", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("run_id", pa.string()),
        pa.field("deleted_at", TS),
    ]
)
"""Recordings removed from the archive (deleted upstream, erased, expired); loads apply them."""

SCHEMAS: dict[str, pa.Schema] = {
    "sessions": SESSIONS,
    "replay_events": REPLAY_EVENTS,
    "page_views": PAGE_VIEWS,
    "clicks": CLICKS,
    "console_logs": CONSOLE_LOGS,
    "network_requests": NETWORK_REQUESTS,
    "payment_identities": PAYMENT_IDENTITIES,
    "_replayport_runs": RUNS,
    "_replayport_rejects": REJECTS,
    "_replayport_deletions": DELETIONS,
}

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "sessions": ("session_id",),
    "replay_events": ("session_id", "seq"),
    "page_views": ("session_id", "seq"),
    "clicks": ("session_id", "seq"),
    "console_logs": ("session_id", "seq"),
    "network_requests": ("session_id", "seq"),
    "payment_identities": ("payment_id",),
    "_replayport_runs": ("run_id",),
    "_replayport_rejects": ("run_id", "seq"),
    "_replayport_deletions": ("session_id",),
}

EVENT_TABLES = ("replay_events", "page_views", "clicks", "console_logs", "network_requests")
"""Tables whose rows belong to one session (deleted with it by `forget` and retention)."""

CONTRACT_TABLES = ("sessions", *EVENT_TABLES)
"""Tables produced by processing recordings."""
