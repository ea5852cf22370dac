"""Decode every form PostHog serves or exports a recording in, into `(window_id, event)` pairs.

Forms (see `reference/posthog-replay-api.md` §4-5, §10):

- blob_v2 JSONL: one `[windowId, event]` array per line (`snappy-session-recorder.ts`);
- legacy blob lines: `{"window_id"|"windowId": …, "data": [event, …]}` per line;
- single events per line carrying their own `windowId` (PostHog's parser accepts these too);
- `decompress=false` bodies: repeated `uint32 big-endian length + raw snappy block`, each block
  being JSONL (blocks are joined by newlines, PostHog `parse-encoded-snapshots.ts`);
- `blob_v2_lts` with `decompress=false`: one raw snappy file holding JSONL;
- `.ph-recording.json` exports, versions `2022-12-02` and `2023-04-28`, and the bare rrweb array.

Every line is parsed exactly once with orjson; `cv`-packed fields are unpacked in place
(`packed.py`). The size cap (`max_event_bytes`, 64 MiB by default) applies to each line before
it is parsed - for the legacy form that is a whole `$snapshot` batch - and to each unpacked
field; a lone UTF-16 surrogate escape (a string cut inside an emoji) becomes U+FFFD.

Bad pieces never raise: each becomes a `Reject(stage="decode")` naming its position and the
kind of problem - never the content, which can hold personal data - and decoding continues
with the next piece.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import cramjam
import orjson

from replayport.errors import DecodeError, InputError
from replayport.rejects import Reject
from replayport.rrweb.packed import DEFAULT_MAX_EVENT_BYTES, unpack_event
from replayport.rrweb.types import (
    DecodedStream,
    EventType,
    IncrementalSource,
    PersonMeta,
    TEvent,
)

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "MAX_REJECTS",
    "DecodedInput",
    "ExportedRecording",
    "InputKind",
    "decode_export_file",
    "decode_file_bytes",
    "decode_snapshot_body",
]

InputKind = Literal[
    "export",
    "blob_v2_jsonl",
    "legacy_jsonl",
    "events_jsonl",
    "snappy_blocks",
    "snappy_lts",
    "empty",
]

EXPORT_VERSIONS = ("2022-12-02", "2023-04-28")
"""`.ph-recording.json` versions PostHog's importer accepts (`parseExportedSessionRecording`)."""

MAX_REJECTS = 1000
"""Rejects kept per decoded input; beyond that one summary reject per reason carries the count."""

MAX_BLOCK_BYTES = 2**31 - 1
"""Largest decompressed snappy block accepted (the snappy format's own ceiling is 2**32 - 1)."""

_KNOWN_TYPES = frozenset(int(t) for t in EventType)
_FULL = int(EventType.FULL_SNAPSHOT)
_INCREMENTAL = int(EventType.INCREMENTAL_SNAPSHOT)
_PACKED_FIELDS = {
    int(IncrementalSource.MUTATION): ("adds", "removes", "texts", "attributes"),
    int(IncrementalSource.STYLE_SHEET_RULE): ("adds", "removes"),
}
# event types and incremental sources that need no checks beyond integer type, numeric
# timestamp and object data (FullSnapshot needs `data.node`; Mutation and StyleSheetRule must
# not hold packed strings)
_PLAIN_TYPES = frozenset(_KNOWN_TYPES - {_FULL, _INCREMENTAL})
_PLAIN_SOURCES = frozenset(set(range(32)) - set(_PACKED_FIELDS))
_GZIP_MAGIC = b"\x1f\x8b"
_SNAPPY_MAX_RATIO = 22
_TEXT_TYPES = (
    "application/jsonl",
    "application/x-ndjson",
    "application/json",
    "application/jsonlines",
)
_WHITESPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
_CONTENT = re.compile(rb"[^ \t\r\n]")

# A \uD800-\uDBFF escape not followed by a low surrogate, or a \uDC00-\uDFFF escape not preceded by
# a high one. JSON.stringify emits these when a string was cut inside a surrogate pair (posthog-js
# truncates console payloads); orjson refuses them, so they become U+FFFD on a slow path.
_LONE_SURROGATE = re.compile(
    rb"(?<!\\)((?:\\\\)*)(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<![0-9a-fA-F]{2}\\u[dD][89abAB])\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)
_EXPORT_NAME = re.compile(r"export-([0-9A-Za-z][0-9A-Za-z_-]*?)(?:\.mobile)?\.ph-recording\.json")


@dataclass(slots=True)
class ExportedRecording:
    """A decoded `.ph-recording.json` file."""

    version: str
    """`2022-12-02`, `2023-04-28`, or `rrweb` for a bare event array."""
    session_id: str | None
    person: PersonMeta | None
    stream: DecodedStream


@dataclass(slots=True)
class DecodedInput:
    """A decoded file of any supported kind (what `decode_file_bytes` returns)."""

    kind: InputKind
    stream: DecodedStream
    session_id: str | None = None
    """Known only when the file carries it (exports: `data.id` or the export file name)."""
    person: PersonMeta | None = None
    version: str | None = None
    """Export version, for `kind == "export"`."""
    gzipped: bool = False


# --------------------------------------------------------------------------------------------
# public entry points


def decode_snapshot_body(
    body: bytes,
    *,
    content_type: str | None = None,
    source: str | None = None,
    origin: str = "",
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> DecodedStream:
    """Decode one response body of PostHog's snapshots endpoint.

    Args:
        body: the raw response bytes.
        content_type: the response's `Content-Type`; `application/jsonl` means text,
            `application/octet-stream` means snappy (blocks for `blob_v2`, one file for
            `blob_v2_lts`). When absent the format is sniffed like PostHog's
            `parse-encoded-snapshots.ts`: length-prefixed blocks, else raw snappy, else text.
        source: the `source` query parameter (`blob_v2` or `blob_v2_lts`), a hint.
        origin: where the body came from (API path or file name), copied into rejects.
        max_event_bytes: lines and unpacked fields larger than this are rejected.

    Returns:
        The pairs in body order, with `cv` fields unpacked, the rejects and `bytes_in`.
    """
    decoder = _Decoder(origin, max_event_bytes, len(body))
    if _first_content(body) < 0:
        decoder.reject("empty_body", "the body is empty", "body")
        return decoder.finish()
    form = _body_form(body, content_type, source)
    if form == "text":
        decoder.text(body, None)
    elif form == "blocks":
        decoder.blocks(body)
    else:
        decoder.raw_snappy(body, fallback_to_text=content_type is None)
    return decoder.finish()


def decode_export_file(
    data: bytes, *, origin: str = "", max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> ExportedRecording:
    """Decode a PostHog "export to file" recording (`*.ph-recording.json`).

    Accepts versions `2022-12-02` (`data.snapshotsByWindowId`) and `2023-04-28`
    (`data.snapshots`, each event with its `windowId`, plus `data.id` and `data.person`), and a
    bare JSON array of rrweb events (the player's "rrweb" export). Events inside are validated
    and unpacked like any other; bad ones become rejects.

    Raises:
        InputError: the file is not JSON, not an export, or of an unsupported version. The
            message names the file, never its content.
    """
    name = origin or "export file"
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise InputError(f"{name}: not valid JSON, so not a PostHog recording export") from None
    decoder = _Decoder(origin, max_event_bytes, len(data))
    return _export_from_document(document, decoder, name)


def decode_file_bytes(
    data: bytes, *, name: str, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> DecodedInput:
    """Decode a file of any supported kind, recognised by its content (not its extension).

    gzip-compressed files are inflated first (a truncated or corrupt gzip stream yields a
    `corrupt_gzip` reject and whatever decompressed before the damage). Then: a JSON document
    with `version` and `data` is an export; a JSON array of events is a bare rrweb export; text
    lines are JSONL (kind from the first line's shape); binary is length-prefixed snappy blocks
    or one raw snappy file. An empty file gives kind `empty` with an `empty_body` reject.

    Raises:
        InputError: the content is none of the above, or an export of an unsupported version.
    """
    decoder = _Decoder(name, max_event_bytes, len(data))
    gzipped = data[:2] == _GZIP_MAGIC
    payload = _gunzip(data, decoder) if gzipped else data
    start = _first_content(payload)
    if payload[start : start + 3] == _BOM:
        start = _first_content(payload, start + 3)
    if start < 0:
        decoder.reject("empty_body", "the file is empty", "file")
        return DecodedInput("empty", decoder.finish(), gzipped=gzipped)

    if payload[start : start + 1] in (b"{", b"["):
        try:
            document = orjson.loads(memoryview(payload)[start:])
        except orjson.JSONDecodeError:
            document = None  # several lines (JSONL), or one damaged line: parse line by line
        if _is_export_document(document):
            exported = _export_from_document(document, decoder, name)
            return DecodedInput(
                "export",
                exported.stream,
                exported.session_id,
                exported.person,
                exported.version,
                gzipped,
            )
        decoder.text(payload, None)
        return DecodedInput(decoder.text_kind(), decoder.finish(), gzipped=gzipped)

    if _looks_length_prefixed(payload):
        decoder.blocks(payload)
        return DecodedInput("snappy_blocks", decoder.finish(), gzipped=gzipped)
    try:
        block = _snappy_decompress(payload)
    except DecodeError:
        if _is_utf8(payload):
            decoder.text(payload, None)
            return DecodedInput(decoder.text_kind(), decoder.finish(), gzipped=gzipped)
        raise InputError(
            f"{name}: not a recognised replay file (not JSON, JSONL, gzip or snappy)"
        ) from None
    decoder.text(block, None)
    return DecodedInput("snappy_lts", decoder.finish(), gzipped=gzipped)


# --------------------------------------------------------------------------------------------
# the decoder


class _Decoder:
    """Collects the pairs and rejects of one input; one method per container form."""

    __slots__ = (
        "bytes_in",
        "cache",
        "events",
        "max_bytes",
        "origin",
        "rejects",
        "shapes",
        "suppressed",
    )

    def __init__(self, origin: str, max_bytes: int, bytes_in: int) -> None:
        self.origin = origin
        self.max_bytes = max_bytes
        self.bytes_in = bytes_in
        self.events: list[tuple[str, TEvent]] = []
        self.rejects: list[Reject] = []
        self.suppressed: Counter[str] = Counter()
        self.shapes: Counter[str] = Counter()
        self.cache: dict[str, bytes] = {}

    def reject(self, reason: str, message: str, where: str) -> None:
        if len(self.rejects) >= MAX_REJECTS:
            self.suppressed[reason] += 1
            return
        self.rejects.append(
            Reject(stage="decode", reason=reason, message=message, where=where, source=self.origin)
        )

    def finish(self) -> DecodedStream:
        rejects = self.rejects
        for reason, count in sorted(self.suppressed.items()):
            rejects.append(
                Reject(
                    stage="decode",
                    reason=reason,
                    message=f"{count} further '{reason}' rejects not listed individually",
                    where="(summary)",
                    source=self.origin,
                )
            )
        return DecodedStream(self.events, rejects, self.bytes_in)

    def text_kind(self) -> InputKind:
        if not self.shapes:
            return "blob_v2_jsonl"
        shape = self.shapes.most_common(1)[0][0]
        return {"array": "blob_v2_jsonl", "legacy": "legacy_jsonl"}.get(shape, "events_jsonl")  # type: ignore[return-value]

    # ---- containers

    def blocks(self, body: bytes) -> None:
        """`decompress=false` body: repeated big-endian u32 length + raw snappy block."""
        view = memoryview(body)
        size = len(body)
        offset = 0
        index = 0
        while offset < size:
            if offset + 4 > size:
                self.reject(
                    "truncated_block",
                    f"{size - offset} trailing bytes are too few for a block length prefix",
                    f"block {index}",
                )
                return
            (length,) = struct.unpack_from(">I", body, offset)
            offset += 4
            if offset + length > size:
                self.reject(
                    "truncated_block",
                    f"block declares {length} bytes but only {size - offset} remain",
                    f"block {index}",
                )
                return
            if length:
                self._snappy_block(view[offset : offset + length], index)
            offset += length
            index += 1

    def raw_snappy(self, body: bytes, *, fallback_to_text: bool) -> None:
        """`blob_v2_lts` with `decompress=false`: one raw snappy file."""
        try:
            block = _snappy_decompress(body)
        except DecodeError as error:
            # PostHog falls back to reading the bytes as text when raw snappy fails
            if fallback_to_text and _is_utf8(body):
                self.text(body, None)
            else:
                self.reject(error.reason, str(error), "file")
            return
        self.text(block, None)

    def _snappy_block(self, chunk: memoryview, index: int) -> None:
        try:
            block = _snappy_decompress(chunk)
        except DecodeError as error:
            self.reject(error.reason, str(error), f"block {index}")
            return
        self.text(block, index)

    def text(self, data: bytes, block: int | None) -> None:
        """JSONL: `[windowId, event]`, `{window_id, data: [...]}` or `{..event, windowId}` lines."""
        loads = orjson.loads
        accept = self.accept
        append = self.events.append
        max_bytes = self.max_bytes
        plain_types = _PLAIN_TYPES
        arrays = 0
        for number, line in enumerate(data.split(b"\n"), 1):
            if not line:
                continue
            if len(line) > max_bytes:
                self.reject(
                    "oversized_event",
                    f"line of {len(line)} bytes exceeds the {max_bytes}-byte limit",
                    _where(block, number),
                )
                continue
            try:
                record = loads(line)
            except orjson.JSONDecodeError as error:
                record = self._recover(line, error, block, number)
                if record is None:
                    continue
            kind = type(record)
            if kind is list:
                if len(record) >= 2:
                    window = record[0]
                    event = record[1]
                    arrays += 1
                    if type(window) is str and type(event) is dict and "cv" not in event:
                        # fast path for the common, plain event; anything else goes to accept()
                        event_type = event.get("type")
                        timestamp = event.get("timestamp")
                        data_value = event.get("data")
                        if (
                            type(event_type) is int
                            and type(data_value) is dict
                            and (type(timestamp) is int or type(timestamp) is float)
                        ):
                            if event_type in plain_types:
                                append((window, event))
                                continue
                            if event_type == _INCREMENTAL:
                                source = data_value.get("source")
                                if type(source) is int and source in _PLAIN_SOURCES:
                                    append((window, event))
                                    continue
                    window = _window_id(window)
                    if window is not None:
                        accept(window, event, block, number, None)
                        continue
                    arrays -= 1
                self.reject(
                    "bad_line_shape",
                    "array line is not [windowId, event]",
                    _where(block, number),
                )
            elif kind is dict:
                self._object_line(record, block, number)
            else:
                self.reject(
                    "bad_line_shape",
                    f"line holds a JSON {_json_kind(record)}, not an array or object",
                    _where(block, number),
                )
        if arrays:
            self.shapes["array"] += arrays

    def _object_line(self, record: dict[str, Any], block: int | None, number: int) -> None:
        if "type" in record and "timestamp" in record:
            # one event carrying its own window id (exports, PostHog's RecordingSnapshot)
            window = _window_id(record.pop("windowId", record.pop("window_id", "")))
            self.shapes["event"] += 1
            self.accept(window if window is not None else "", record, block, number, None)
            return
        events = record.get("data")
        raw_window = record["window_id"] if "window_id" in record else record.get("windowId")
        window = _window_id(raw_window)
        if not isinstance(events, list) or window is None:
            self.reject(
                "bad_line_shape",
                "object line is neither {window_id, data: [events]} nor an event",
                _where(block, number),
            )
            return
        self.shapes["legacy"] += 1
        accept = self.accept
        for index, event in enumerate(events):
            accept(window, event, block, number, index)

    def _recover(
        self, line: bytes, error: orjson.JSONDecodeError, block: int | None, number: int
    ) -> Any:
        """Slow path for a line orjson refused: blank, lone surrogates, bad UTF-8 or truncated."""
        if not line.strip(_WHITESPACE):
            return None  # blank lines are skipped, as PostHog does
        where = _where(block, number)
        if not _is_utf8(line):
            self.reject("invalid_utf8", "line is not valid UTF-8", where)
            return None
        if "surrogate" in str(error):
            try:
                return orjson.loads(_LONE_SURROGATE.sub(rb"\1\\ufffd", line))
            except orjson.JSONDecodeError:
                pass
        self.reject(
            "truncated_json",
            f"line of {len(line)} bytes is not valid JSON (cut short or damaged)",
            where,
        )
        return None

    def accept(
        self, window: str, event: Any, block: int | None, number: int | None, index: int | None
    ) -> None:
        """Validate one event, unpack its `cv` fields and keep it, or reject it."""
        if type(event) is not dict:
            self.reject(
                "not_an_event",
                f"event is a JSON {_json_kind(event)}, not an object",
                _where(block, number, index),
            )
            return
        event_type = event.get("type")
        if type(event_type) is not int:
            self.reject(
                "not_an_event",
                "event has no integer 'type'",
                _where(block, number, index),
            )
            return
        timestamp = event.get("timestamp")
        if type(timestamp) is not int and type(timestamp) is not float:
            self.reject(
                "not_an_event",
                "event has no numeric 'timestamp'",
                _where(block, number, index),
            )
            return
        if event_type not in _KNOWN_TYPES:
            self.reject(
                "unknown_event_type",
                f"event type {event_type} is not an rrweb EventType",
                _where(block, number, index),
            )
            return
        if "cv" in event:
            try:
                unpack_event(event, max_bytes=self.max_bytes, cache=self.cache)
            except DecodeError as error:
                self.reject(
                    error.reason, f"type {event_type} event: {error}", _where(block, number, index)
                )
                return
        data = event.get("data")
        if type(data) is not dict:
            if event_type == _FULL and isinstance(data, str) and "cv" in event:
                self.reject(
                    "unknown_compression",
                    "full snapshot packed with an unknown 'cv' version",
                    _where(block, number, index),
                )
            else:
                self.reject(
                    "not_an_event",
                    f"type {event_type} event has no object 'data'",
                    _where(block, number, index),
                )
            return
        # PostHog's player drops these rather than crash the replayer (process-all-snapshots.ts)
        if event_type == _FULL:
            if type(data.get("node")) is not dict:
                self.reject(
                    "malformed_snapshot",
                    "full snapshot has no object 'data.node'",
                    _where(block, number, index),
                )
                return
        elif event_type == _INCREMENTAL:
            source = data.get("source")
            packed_fields = _PACKED_FIELDS.get(source) if type(source) is int else None
            if packed_fields is not None:
                for name in packed_fields:
                    if type(data.get(name)) is str:
                        self.reject(
                            "unknown_compression" if "cv" in event else "malformed_snapshot",
                            "incremental snapshot still has packed (string) fields",
                            _where(block, number, index),
                        )
                        return
        self.events.append((window, event))


# --------------------------------------------------------------------------------------------
# exports


def _is_export_document(document: Any) -> bool:
    if isinstance(document, dict):
        if "type" in document and "timestamp" in document:
            return False  # a single event line
        # a legacy line {window_id, data: [...]} also has `data`, but as a list
        data = document.get("data")
        return "version" in document or (
            isinstance(data, dict) and ("snapshots" in data or "snapshotsByWindowId" in data)
        )
    if isinstance(document, list):
        return not document or isinstance(document[0], dict)
    return False


def _export_from_document(document: Any, decoder: _Decoder, name: str) -> ExportedRecording:
    accept = decoder.accept
    if isinstance(document, list):
        # the player's "rrweb" export: a bare array of events, possibly with windowId
        for index, event in enumerate(document):
            window = _pop_window(event)
            accept(window, event, None, None, index)
        return ExportedRecording("rrweb", _session_from_name(name), None, decoder.finish())
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise InputError(f"{name}: not a PostHog recording export (no 'data' object)")
    version = document.get("version")
    data = document["data"]
    person = data.get("person") if isinstance(data.get("person"), dict) else None
    if version == "2023-04-28":
        snapshots = data.get("snapshots")
        if not isinstance(snapshots, list):
            raise InputError(f"{name}: export version 2023-04-28 without a 'snapshots' list")
        for index, event in enumerate(snapshots):
            accept(_pop_window(event), event, None, None, index)
        raw_id = data.get("id")
        session_id = str(raw_id) if isinstance(raw_id, (str, int)) and raw_id != "" else None
    elif version == "2022-12-02":
        by_window = data.get("snapshotsByWindowId")
        if not isinstance(by_window, dict):
            raise InputError(
                f"{name}: export version 2022-12-02 without a 'snapshotsByWindowId' object"
            )
        for window, events in by_window.items():
            if not isinstance(events, list):
                decoder.reject(
                    "bad_line_shape",
                    "snapshotsByWindowId entry is not a list of events",
                    "snapshotsByWindowId",
                )
                continue
            for index, event in enumerate(events):
                if isinstance(event, dict):
                    event.pop("windowId", None)
                accept(window, event, None, None, index)
        session_id = None
    else:
        raise InputError(
            f"{name}: unsupported export file version (supported: {', '.join(EXPORT_VERSIONS)})"
        )
    return ExportedRecording(
        str(version), session_id or _session_from_name(name), person, decoder.finish()
    )


def _pop_window(event: Any) -> str:
    if not isinstance(event, dict):
        return ""
    window = _window_id(event.pop("windowId", event.pop("window_id", "")))
    return window if window is not None else ""


def _session_from_name(name: str) -> str | None:
    match = _EXPORT_NAME.search(name)
    return match.group(1) if match else None


# --------------------------------------------------------------------------------------------
# helpers


def _body_form(body: bytes, content_type: str | None, source: str | None) -> str:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _TEXT_TYPES or media.startswith("text/"):
        return "text"
    if media == "application/octet-stream":
        if source == "blob_v2":
            return "blocks"
        if source == "blob_v2_lts":
            return "lts"
    start = _first_content(body)
    if body[start : start + 1] in (b"[", b"{") or body[start : start + 3] == _BOM:
        return "text"
    if _looks_length_prefixed(body):
        return "blocks"
    return "lts"


def _first_content(data: bytes, start: int = 0) -> int:
    """Index of the first byte that is not JSON whitespace, or -1 (without copying `data`)."""
    match = _CONTENT.search(data, start)
    return match.start() if match else -1


def _looks_length_prefixed(body: bytes) -> bool:
    """PostHog's `isLengthPrefixedSnappy`: the first u32 is non-zero and fits the body."""
    if len(body) < 4:
        return False
    (first,) = struct.unpack_from(">I", body, 0)
    return 0 < first and 4 + first <= len(body)


def _snappy_decompress(chunk: bytes | memoryview) -> bytes:
    """Raw snappy (block format, not framed), as Node `snappy.compress` writes it."""
    try:
        declared = cramjam.snappy.decompress_raw_len(chunk)
    except Exception:  # cramjam raises its own error types for garbage headers
        raise DecodeError("corrupt_snappy", "raw snappy header is corrupt") from None
    if declared > _SNAPPY_MAX_RATIO * len(chunk) + 64:
        # snappy cannot expand more than ~21x (a 3-byte copy yields 64 bytes): a bigger claim is
        # a damaged header, not a big block
        raise DecodeError("corrupt_snappy", "raw snappy header declares an impossible length")
    if declared > MAX_BLOCK_BYTES:
        raise DecodeError(
            "oversized_block", f"snappy block declares {declared} bytes, over the limit"
        )
    try:
        return bytes(cramjam.snappy.decompress_raw(chunk))
    except Exception:
        raise DecodeError(
            "corrupt_snappy", f"raw snappy block of {len(chunk)} bytes does not decompress"
        ) from None


def _gunzip(data: bytes, decoder: _Decoder) -> bytes:
    """Inflate a (possibly multi-member) gzip file, keeping what precedes any damage."""
    pieces: list[bytes] = []
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    view = memoryview(data)
    step = 1 << 20
    produced = 0
    try:
        for start in range(0, len(data), step):
            piece = inflater.decompress(view[start : start + step])
            pieces.append(piece)
            produced += len(piece)
            while inflater.eof and inflater.unused_data:
                rest = inflater.unused_data
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                piece = inflater.decompress(rest)
                pieces.append(piece)
                produced += len(piece)
        if not inflater.eof:
            decoder.reject(
                "corrupt_gzip",
                f"gzip stream ends early after {produced} decompressed bytes; decoding those",
                "file",
            )
    except zlib.error:
        decoder.reject(
            "corrupt_gzip",
            f"gzip stream is corrupt after {produced} decompressed bytes; decoding those",
            "file",
        )
    return b"".join(pieces)


def _window_id(raw: Any) -> str | None:
    """A window id as text: PostHog uses the UUID string, `""` when absent, ints in exports."""
    kind = type(raw)
    if kind is str:
        return raw  # type: ignore[no-any-return]
    if raw is None:
        return ""
    if kind is int:
        return str(raw)
    if kind is float and raw.is_integer():
        return str(int(raw))
    return None


def _is_utf8(data: bytes | memoryview) -> bool:
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def _where(block: int | None, line: int | None, index: int | None = None) -> str:
    parts = []
    if block is not None:
        parts.append(f"block {block}")
    if line is not None:
        parts.append(f"line {line}")
    if index is not None:
        parts.append(f"event {index}")
    return " ".join(parts)
