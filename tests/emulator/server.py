"""A faithful stand-in for PostHog's session-recording API on a free loopback port.

Follows PostHog's real behaviour (reference/posthog-replay-api.md §1–5, §9), not its OpenAPI:
both URL prefixes; `Authorization: Bearer` personal keys (401 otherwise); the listing's
`{results, has_next, next_cursor}` with `date_from/date_to/order/order_direction/limit/offset/
after/session_ids` (values JSON-decoded, `date_from` defaulting to `-3d`); the two-step
snapshots API (sources, then ≤ 20 `blob_v2` keys per call, inclusive, `decompress` true/false,
or `blob_v2_lts` with `blob_key`); 400/404/410/502; DRF-style sliding-window throttling with
`Retry-After` counted over listing and snapshots together; and injectable faults from a
seeded RNG (random 500/503, 200s silently missing blocks, slow answers). Every request is
logged for tests to measure calls per minute and per recording.
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.emulator.recordings import EmulatedRecording, format_ts

__all__ = ["EmulatorConfig", "LogEntry", "PostHogEmulator"]

DEFAULT_API_KEY = "phx_emulator_test_key_7f3a9c1e5b"
_PATH = re.compile(
    r"^/api/(?P<prefix>projects|environments)/(?P<project>[^/]+)/session_recordings/?"
    r"(?:(?P<sid>[^/]+)/?(?P<action>snapshots)?/?)?$"
)
_RELATIVE = re.compile(r"^-(?P<n>\d+)(?P<unit>[hdwmy])$")

_Answer = tuple[int, dict[str, str], bytes, str, str | None, int | None]
"""(status, headers, body, kind of request, session id, blocks returned)."""


@dataclass
class EmulatorConfig:
    """How the emulator behaves; everything can be changed while it runs."""

    api_key: str = DEFAULT_API_KEY
    project_id: int = 1
    per_minute: int | None = None
    """Requests per sliding minute per key (listing + snapshots); None: unthrottled."""
    per_hour: int | None = None
    throttle_windows: list[tuple[float, int]] | None = None
    """Overrides the minute/hour windows, e.g. `[(2.0, 3)]` for fast tests."""
    error_rate: float = 0.0
    """Probability of a random 500/503 on any authenticated request."""
    partial_rate: float = 0.0
    """Probability that a multi-block 200 silently drops some of its blocks."""
    slow_rate: float = 0.0
    slow_seconds: float = 0.3
    seed: int = 0
    max_blob_keys: int = 20
    cursor_pagination: bool = True
    """False: no `next_cursor` (older servers), clients must fall back to offset."""
    ignore_decompress_false: bool = False
    """True: always answer JSONL (servers that do not know `decompress=false`)."""
    failing_blocks: dict[str, set[int]] = field(default_factory=dict)
    """Blocks that always fail to load, per session id (partial 200s, or 502 if all)."""
    missing_recordings: set[str] = field(default_factory=set)
    """Listed recordings whose snapshots 404 (e.g. metadata without data)."""
    default_date_from: str = "-3d"


@dataclass(frozen=True)
class LogEntry:
    """One request as the emulator saw it."""

    time: float
    method: str
    path: str
    query: dict[str, str]
    status: int
    kind: str
    """`listing`, `sources`, `data`, `delete` or `other`."""
    session_id: str | None = None
    blocks_returned: int | None = None
    retry_after: int | None = None


class _Throttle:
    """DRF's SimpleRateThrottle: a history of allowed requests per key and window."""

    def __init__(self) -> None:
        self.history: dict[str, deque[float]] = {}

    def check(self, key: str, windows: list[tuple[float, int]], now: float) -> float | None:
        """Returns None when allowed (and records it), else DRF's wait in seconds."""
        history = self.history.setdefault(key, deque())
        longest = max((w for w, _ in windows), default=0.0)
        while history and history[0] <= now - longest:
            history.popleft()
        waits = []
        for seconds, limit in windows:
            inside = [t for t in history if t > now - seconds]
            if len(inside) >= limit:
                # DRF: remaining_duration / available_requests, with 1 available when full
                remaining = seconds - (now - inside[-limit])
                waits.append(max(remaining, 0.0))
        if waits:
            return max(waits)
        history.append(now)
        return None


class PostHogEmulator:
    """The emulator: `with PostHogEmulator(recordings, config) as ph: ph.url …`."""

    def __init__(
        self, recordings: list[EmulatedRecording], config: EmulatorConfig | None = None
    ) -> None:
        self.config = config or EmulatorConfig()
        self._recordings = {r.session_id: r for r in recordings}
        self._lock = threading.RLock()
        self._rng = random.Random(self.config.seed)
        self._throttle = _Throttle()
        self.log: list[LogEntry] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PostHogEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            name="posthog-emulator",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def recordings(self) -> list[EmulatedRecording]:
        with self._lock:
            return sorted(self._recordings.values(), key=lambda r: (r.start_time, r.session_id))

    def recording(self, session_id: str) -> EmulatedRecording:
        return self._recordings[session_id]

    def settled(self, settle_hours: float = 24.0) -> list[EmulatedRecording]:
        """Recordings a correct client extracts: started before the cutoff, not ongoing."""
        cutoff = datetime.now(UTC) - timedelta(hours=settle_hours)
        return [
            r
            for r in self.recordings
            if not r.deleted and not r.meta.get("ongoing") and r.start_time < cutoff
        ]

    def delete_recording(self, session_id: str) -> None:
        """Deletes upstream: gone from the listing, snapshots answer 410."""
        with self._lock:
            self._recordings[session_id].deleted = True

    def export_jsonl(self, directory: Path, settle_hours: float = 24.0) -> list[Path]:
        """Writes every settled recording as `<id>.blob_v2.jsonl` + `<id>.recording.json`."""
        directory.mkdir(parents=True, exist_ok=True)
        return [r.write_jsonl(directory) for r in self.settled(settle_hours)]

    # -- request log helpers ------------------------------------------------------------

    def entries(self, kind: str | None = None, session_id: str | None = None) -> list[LogEntry]:
        with self._lock:
            return [
                e
                for e in self.log
                if (kind is None or e.kind == kind)
                and (session_id is None or e.session_id == session_id)
            ]

    def calls_for(self, session_id: str) -> int:
        """Snapshot calls (sources + data) made for one recording."""
        return len(self.entries(session_id=session_id))

    def max_in_window(self, seconds: float = 60.0, statuses: set[int] | None = None) -> int:
        """The most requests logged in any `seconds`-long window (optionally by status)."""
        times = sorted(e.time for e in self.entries() if statuses is None or e.status in statuses)
        best = 0
        lo = 0
        for hi, t in enumerate(times):
            while times[lo] <= t - seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- request handling (called from handler threads) -----------------------------------

    def _record(self, entry: LogEntry) -> None:
        with self._lock:
            self.log.append(entry)

    def _random(self) -> float:
        with self._lock:
            return self._rng.random()

    def handle(self, method: str, raw_path: str, headers: Any) -> _Answer:
        """Routes one request; returns (status, headers, body, kind, session id, blocks)."""
        cfg = self.config
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        match = _PATH.match(parts.path)
        kind = "other"
        sid: str | None = None
        if match:
            sid = match.group("sid")
            if method == "DELETE":
                kind = "delete"
            elif match.group("action") == "snapshots":
                kind = "data" if query.get("source") else "sources"
            elif sid is None:
                kind = "listing"
        auth = headers.get("Authorization", "")
        if auth != f"Bearer {cfg.api_key}":
            return (
                *_json(
                    401,
                    {
                        "type": "authentication_error",
                        "code": "authentication_failed",
                        "detail": "Incorrect authentication credentials.",
                        "attr": None,
                    },
                ),
                kind,
                sid,
                None,
            )
        if not match:
            return (
                *_json(
                    404,
                    {
                        "type": "invalid_request",
                        "code": "not_found",
                        "detail": "Not found.",
                        "attr": None,
                    },
                ),
                kind,
                sid,
                None,
            )
        if match.group("project") != str(cfg.project_id):
            return (
                *_json(
                    403,
                    {
                        "type": "authentication_error",
                        "code": "permission_denied",
                        "detail": "You don't have access to the project.",
                        "attr": None,
                    },
                ),
                kind,
                sid,
                None,
            )
        windows = cfg.throttle_windows or [(60.0, cfg.per_minute), (3600.0, cfg.per_hour)]
        active = [(float(s), int(n)) for s, n in windows if n is not None]
        with self._lock:
            wait = self._throttle.check(cfg.api_key, active, time.time()) if active else None
        if wait is not None:
            status, hdrs, body = _json(
                429,
                {
                    "type": "throttled_error",
                    "code": "throttled",
                    "detail": f"Request was throttled. Expected available in {math.ceil(wait)} "
                    "seconds.",
                    "attr": None,
                },
            )
            hdrs["Retry-After"] = str(max(1, math.ceil(wait)))
            return status, hdrs, body, kind, sid, None
        if cfg.error_rate and self._random() < cfg.error_rate:
            code = 500 if self._random() < 0.5 else 503
            detail = (
                "A server error occurred."
                if code == 500
                else ("ClickHouse over capacity. Please retry")
            )
            return (
                *_json(
                    code, {"type": "server_error", "code": "error", "detail": detail, "attr": None}
                ),
                kind,
                sid,
                None,
            )
        if cfg.slow_rate and self._random() < cfg.slow_rate:
            time.sleep(cfg.slow_seconds)
        if kind == "listing" and method == "GET":
            return (*self._listing(query), kind, sid, None)
        if kind == "delete" and sid:
            with self._lock:
                rec = self._recordings.get(sid)
                if rec is None or rec.deleted:
                    return (*_json(404, {"detail": "Not found."}), kind, sid, None)
                rec.deleted = True
            return 204, {}, b"", kind, sid, None
        if kind in ("sources", "data") and sid and method == "GET":
            return self._snapshots(sid, query, kind)
        return (*_json(405, {"detail": f'Method "{method}" not allowed.'}), kind, sid, None)

    def _listing(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        cfg = self.config
        params = {k: _json_value(v) for k, v in query.items()}
        now = datetime.now(UTC)
        try:
            date_from = _parse_date(params.get("date_from") or cfg.default_date_from, now)
            date_to = _parse_date(params["date_to"], now) if params.get("date_to") else None
            limit = int(params.get("limit") or 50)
            offset = int(params.get("offset") or 0)
        except (ValueError, TypeError):
            return _json(
                400,
                {
                    "type": "validation_error",
                    "code": "invalid_input",
                    "detail": "Invalid date or paging parameter.",
                    "attr": None,
                },
            )
        order = params.get("order") or "start_time"
        if order != "start_time":
            return _json(
                400,
                {
                    "type": "validation_error",
                    "code": "invalid_input",
                    "detail": "emulator only orders by start_time",
                    "attr": None,
                },
            )
        descending = str(params.get("order_direction") or "DESC").upper() == "DESC"
        session_ids = params.get("session_ids")
        with self._lock:
            rows = [r for r in self._recordings.values() if not r.deleted]
        rows = [r for r in rows if r.start_time >= date_from]
        if date_to is not None:
            rows = [r for r in rows if r.start_time <= date_to]
        if isinstance(session_ids, list):
            wanted = {str(s) for s in session_ids}
            rows = [r for r in rows if r.session_id in wanted]
        rows.sort(key=lambda r: (r.start_time, r.session_id), reverse=descending)
        after = params.get("after")
        if after:
            try:
                mark = json.loads(base64.urlsafe_b64decode(str(after).encode()).decode())
                key = (datetime.fromisoformat(mark["t"]), mark["id"])
            except (ValueError, KeyError, TypeError):
                return _json(
                    400,
                    {
                        "type": "validation_error",
                        "code": "invalid_input",
                        "detail": "Invalid cursor.",
                        "attr": None,
                    },
                )
            rows = [
                r
                for r in rows
                if (
                    (r.start_time, r.session_id) < key
                    if descending
                    else (r.start_time, r.session_id) > key
                )
            ]
            page = rows[:limit]
            has_next = len(rows) > limit
        else:
            page = rows[offset : offset + limit]
            has_next = len(rows) > offset + limit
        payload: dict[str, Any] = {
            "results": [dict(r.meta, matches_filters=True) for r in page],
            "has_next": has_next,
            "version": 4,
        }
        if cfg.cursor_pagination and has_next and page:
            last = page[-1]
            token = json.dumps({"t": last.start_time.isoformat(), "id": last.session_id})
            payload["next_cursor"] = base64.urlsafe_b64encode(token.encode()).decode()
        return _json(200, payload)

    def _snapshots(self, sid: str, query: dict[str, str], kind: str) -> _Answer:
        cfg = self.config
        with self._lock:
            rec = self._recordings.get(sid)
        if rec is None or sid in cfg.missing_recordings:
            return (
                *_json(
                    404,
                    {
                        "type": "invalid_request",
                        "code": "not_found",
                        "detail": "Recording not found",
                        "attr": None,
                    },
                ),
                kind,
                sid,
                None,
            )
        if rec.deleted:
            return (
                *_json(
                    410,
                    {
                        "error": "recording_deleted",
                        "message": "This recording has been permanently deleted",
                        "deleted_at": format_ts(datetime.now(UTC)),
                        "deleted_by": None,
                    },
                ),
                kind,
                sid,
                None,
            )
        source = query.get("source")
        decompress = str(query.get("decompress", "true")).lower() not in ("false", "0")
        if cfg.ignore_decompress_false:
            decompress = True
        if not source:
            return (*_json(200, {"sources": rec.sources()}), kind, sid, None)
        if source == "blob_v2_lts":
            if not rec.lts or query.get("blob_key") != rec.lts_key:
                return (*_json(404, {"detail": "Recording not found"}), kind, sid, None)
            if decompress:
                body = bytes(rec.jsonl()).rstrip(b"\n")
                return 200, _data_headers("application/jsonl", 86400), body, kind, sid, 1
            headers = _data_headers("application/octet-stream", 86400)
            return 200, headers, rec.lts_file(), kind, sid, 1
        if source != "blob_v2":
            return (
                *_json(
                    400,
                    {
                        "type": "validation_error",
                        "code": "invalid_input",
                        "detail": "Invalid source must be one of [blob_v2, blob_v2_lts, None]",
                        "attr": "source",
                    },
                ),
                kind,
                sid,
                None,
            )
        try:
            start = int(query["start_blob_key"])
            end = int(query["end_blob_key"])
        except (KeyError, ValueError):
            return (
                *_json(
                    400,
                    {
                        "type": "validation_error",
                        "code": "invalid_input",
                        "detail": "start_blob_key and end_blob_key are required",
                        "attr": None,
                    },
                ),
                kind,
                sid,
                None,
            )
        lo, hi = min(start, end), max(start, end)
        if hi - lo + 1 > cfg.max_blob_keys:
            return (
                *_json(
                    400,
                    {
                        "type": "validation_error",
                        "code": "invalid_input",
                        "detail": "Cannot request more than 20 blob keys at once",
                        "attr": None,
                    },
                ),
                kind,
                sid,
                None,
            )
        if lo < 0 or hi >= rec.n_blocks or rec.lts:
            return (
                *_json(
                    404,
                    {
                        "type": "invalid_request",
                        "code": "not_found",
                        "detail": "Block index out of range",
                        "attr": None,
                    },
                ),
                kind,
                sid,
                None,
            )
        keys = list(range(lo, hi + 1))
        failing = set(cfg.failing_blocks.get(sid, set()))
        if len(keys) > 1 and cfg.partial_rate and self._random() < cfg.partial_rate:
            with self._lock:
                drop = self._rng.sample(keys, self._rng.randint(1, len(keys) - 1))
            failing.update(drop)
        served = [k for k in keys if k not in failing]
        if not served:
            return (
                *_json(
                    502,
                    {
                        "type": "server_error",
                        "code": "recording_blocks_unavailable",
                        "detail": "Failed to load recording blocks",
                        "attr": None,
                    },
                ),
                kind,
                sid,
                0,
            )
        if decompress:
            body = b"".join(rec.block_jsonl(k) for k in served).rstrip(b"\n")
            return 200, _data_headers("application/jsonl", 3600), body, kind, sid, len(served)
        body = b"".join(struct.pack(">I", len(rec.block(k))) + rec.block(k) for k in served)
        return 200, _data_headers("application/octet-stream", 3600), body, kind, sid, len(served)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients killed mid-request (the SIGKILL test) reset connections: not an emulator bug
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    emulator: PostHogEmulator

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        received = time.time()
        status, headers, body, kind, sid, blocks = self.emulator.handle(
            method, self.path, self.headers
        )
        parts = urlsplit(self.path)
        retry_after = headers.get("Retry-After")
        self.emulator._record(
            LogEntry(
                time=received,
                method=method,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                status=status,
                kind=kind,
                session_id=sid,
                blocks_returned=blocks,
                retry_after=int(retry_after) if retry_after else None,
            )
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve("GET")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def _data_headers(content_type: str, max_age: int) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Cache-Control": f"max-age={max_age}",
        "Content-Disposition": "inline",
    }


def _json_value(value: str) -> Any:
    """PostHog JSON-decodes every query value when it can (`query_as_params_to_dict`)."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_date(value: Any, now: datetime) -> datetime:
    text = str(value).strip()
    relative = _RELATIVE.match(text)
    if relative:
        n = int(relative.group("n"))
        unit = relative.group("unit")
        days = {"h": n / 24, "d": n, "w": 7 * n, "m": 30 * n, "y": 365 * n}[unit]
        return now - timedelta(days=days)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
