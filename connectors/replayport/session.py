"""One recording through the core flow: decoded stream → post-process → privacy → contract tables.

Sources (PostHog API, exported files) only produce `RawRecording`s; everything after that is
shared, so both paths archive byte-identical tables for the same recording.
"""

from __future__ import annotations

import dataclasses
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import pyarrow as pa

from replayport.privacy.hashing import IdentifierHasher
from replayport.privacy.identity import SessionIdentity, pseudonymise_identity
from replayport.privacy.masker import MaskedSession, mask_session
from replayport.privacy.policy import PrivacyPolicy
from replayport.rejects import Reject
from replayport.rrweb.extract import SessionStats, extract_rows
from replayport.rrweb.frustration import FrustrationThresholds
from replayport.rrweb.postprocess import postprocess
from replayport.rrweb.types import DecodedStream, PersonMeta, RecordingMeta, SessionEvent
from replayport.tables.build import (
    build_table,
    constant_column,
    ms_to_timestamps,
    single_row_table,
)
from replayport.tables.schemas import SCHEMAS

__all__ = ["ProcessingContext", "RawRecording", "SessionBatch", "process_recording"]

_STRING_ARRAY_MAX_BYTES = 2**31 - 1
"""The most bytes one Arrow `string` array holds (32-bit offsets)."""
_SPLIT_ROWS = 10_000


@dataclass
class RawRecording:
    """A recording as a source found it, decoded but not yet post-processed or masked.

    Holds raw personal data: it must never be written anywhere, only passed to processing.
    """

    session_id: str
    stream: DecodedStream
    meta: RecordingMeta | None = None
    """The PostHog listing element, when the recording came from the API."""
    person: PersonMeta | None = None
    """The person, when known (export files carry it; the API listing nests it in `meta`)."""
    source: str = "files"
    """`posthog` or `files`."""
    origin: str = ""
    """File name or API path, for reject rows (never a value from the recording)."""
    api_calls: int = 0
    blocks: int = 0
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessingContext:
    """Everything processing needs besides the recording itself; one per run."""

    policy: PrivacyPolicy
    hasher: IdentifierHasher
    run_id: str
    extracted_at: datetime
    thresholds: FrustrationThresholds = field(default_factory=FrustrationThresholds)


@dataclass
class SessionBatch:
    """The contract tables of one recording, ready to archive."""

    session_id: str
    tables: dict[str, pa.Table]
    rejects: list[Reject]
    excluded: bool
    event_count: int

    @property
    def nbytes(self) -> int:
        return sum(table.nbytes for table in self.tables.values())


def process_recording(raw: RawRecording, ctx: ProcessingContext) -> SessionBatch:
    """Post-process, mask, extract and tabulate one recording.

    Nothing personal leaves this function: events are masked before any row is derived, and
    identifiers are hashed. Recordings without any decodable event still produce a `sessions`
    row when metadata exists, so the archive shows they were seen.
    """
    events = postprocess(raw.stream.events)
    first_ms = events[0].event.get("timestamp") if events else None
    last_ms = events[-1].event.get("timestamp") if events else None
    masked = mask_session(events, ctx.policy)
    rows = extract_rows(masked.events, ctx.thresholds)
    identity = pseudonymise_identity(
        raw.meta, raw.person or _person_of(raw.meta), ctx.hasher, ctx.policy
    )
    constants = {
        "session_id": raw.session_id,
        "run_id": ctx.run_id,
        "extracted_at": ctx.extracted_at,
    }

    tables: dict[str, pa.Table] = {
        "sessions": _session_row(raw, ctx, rows.stats, identity, masked, first_ms, last_ms),
    }
    if not masked.excluded:
        tables["replay_events"] = _replay_events(masked.events, constants)
        tables["page_views"] = build_table("page_views", rows.page_views, constants)
        tables["clicks"] = build_table("clicks", rows.clicks, constants)
        tables["console_logs"] = build_table("console_logs", rows.console_logs, constants)
        tables["network_requests"] = build_table(
            "network_requests", rows.network_requests, constants
        )
    rejects = [
        reject if reject.session_id else dataclasses.replace(reject, session_id=raw.session_id)
        for reject in (*raw.stream.rejects, *rows.rejects)
    ]
    return SessionBatch(
        session_id=raw.session_id,
        tables=tables,
        rejects=rejects,
        excluded=masked.excluded,
        event_count=len(masked.events),
    )


def _person_of(meta: RecordingMeta | None) -> PersonMeta | None:
    return meta.get("person") if meta else None


def _session_row(
    raw: RawRecording,
    ctx: ProcessingContext,
    stats: SessionStats,
    identity: SessionIdentity,
    masked: MaskedSession,
    first_ms: int | None,
    last_ms: int | None,
) -> pa.Table:
    meta = raw.meta or {}
    start_ms = first_ms if first_ms is not None else _iso_to_ms(meta.get("start_time"))
    end_ms = last_ms if last_ms is not None else _iso_to_ms(meta.get("end_time"))
    properties = identity.person_properties
    values: dict[str, object] = {
        "session_id": raw.session_id,
        "distinct_id_hash": identity.distinct_id_hash,
        "person_id_hash": identity.person_id_hash,
        "email_hash": identity.email_hash,
        "start_time": start_ms,
        "end_time": end_ms,
        "duration_s": (end_ms - start_ms) / 1000
        if start_ms is not None and end_ms is not None
        else None,
        "active_s": stats.active_ms / 1000,
        "click_count": stats.click_count,
        "keypress_count": stats.keypress_count,
        "mouse_activity_count": stats.mouse_activity_count,
        "console_log_count": stats.console_log_count,
        "console_warn_count": stats.console_warn_count,
        "console_error_count": stats.console_error_count,
        "rage_click_count": stats.rage_click_count,
        "dead_click_count": stats.dead_click_count,
        "error_click_count": stats.error_click_count,
        "page_view_count": stats.page_view_count,
        "network_request_count": stats.network_request_count,
        "event_count": len(masked.events),
        "window_count": stats.window_count,
        "start_url": stats.start_url,
        "browser": _text(properties.get("$browser")),
        "os": _text(properties.get("$os")),
        "device_type": _text(properties.get("$device_type")) or stats.device_type,
        "viewport_width": stats.viewport_width,
        "viewport_height": stats.viewport_height,
        "snapshot_source": _text(meta.get("snapshot_source")),
        "expiry_time": _iso_to_ms(meta.get("expiry_time")),
        "excluded": masked.excluded,
        "person_properties": orjson.dumps(properties, option=orjson.OPT_SORT_KEYS).decode(),
        "redaction_counts": orjson.dumps(
            dict(masked.redactions), option=orjson.OPT_SORT_KEYS
        ).decode(),
        "hash_key_id": ctx.hasher.key_id,
        "privacy_policy_version": ctx.policy.version,
        "source": raw.source,
        "run_id": ctx.run_id,
        "extracted_at": ctx.extracted_at,
    }
    return single_row_table("sessions", values)


def _replay_events(events: list[SessionEvent], constants: dict[str, object]) -> pa.Table:
    """One row per masked event; `data` is the event's data as compact JSON text."""
    n = len(events)
    seqs: list[int] = [0] * n
    windows: list[str] = [""] * n
    stamps: list[int | None] = [None] * n
    types: list[int | None] = [None] * n
    sources: list[int | None] = [None] * n
    # every event's JSON back to back, and the offsets between them
    json_bytes = bytearray()
    ends = array("q", [0])
    sizes: list[int] = [0] * n
    dumps = orjson.dumps
    for i, (seq, window_id, event) in enumerate(events):
        seqs[i] = seq
        windows[i] = window_id
        stamps[i] = event.get("timestamp")
        event_type = event.get("type")
        types[i] = event_type
        data = event.get("data")
        if event_type == 3 and isinstance(data, dict):
            source = data.get("source")
            sources[i] = source if isinstance(source, int) else None
        encoded = dumps(data)
        sizes[i] = len(encoded)
        json_bytes += encoded
        ends.append(len(json_bytes))
    schema = SCHEMAS["replay_events"]
    columns: dict[str, pa.Array] = {
        "seq": pa.array(seqs, pa.int64()),
        "window_id": pa.array(windows, pa.string()),
        "ts": ms_to_timestamps(stamps),
        "event_type": pa.array(types, pa.int16()),
        "source": pa.array(sources, pa.int16()),
        "data": _utf8_column(n, ends, json_bytes),
        "data_bytes": pa.array(sizes, pa.int64()),
    }
    arrays = [
        columns[f.name] if f.name in columns else constant_column(constants.get(f.name), f.type, n)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _utf8_column(n: int, offsets: array[int], data: bytearray) -> pa.Array | pa.ChunkedArray:
    """`n` strings from UTF-8 bytes laid back to back and their `n + 1` offsets.

    No Python object per value: each `orjson.dumps` result occupies several KiB whatever its
    length, so keeping one per event (or a str copy of each) cost about nine times the data
    for the largest session, and a str per event is also ~8x slower than this. orjson only
    writes valid UTF-8, so the bytes need no validation.
    """
    if len(data) <= _STRING_ARRAY_MAX_BYTES:
        return pa.StringArray.from_buffers(n, pa.py_buffer(array("i", offsets)), pa.py_buffer(data))
    # one `string` array holds at most 2 GiB: split, keeping the contract's type
    large = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    pieces = [large.slice(s, _SPLIT_ROWS).cast(pa.string()) for s in range(0, n, _SPLIT_ROWS)]
    return pa.chunked_array(pieces, pa.string())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _iso_to_ms(value: object) -> int | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)
