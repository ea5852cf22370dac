"""posthog-js's partial event compression, `cv: "2024-10"`, both ways.

posthog-js (`packages/browser/src/extensions/replay/external/lazy-loaded-session-recorder.ts`,
`compressEventSync`) gzips parts of some events before sending them, so that ingestion can still
read the metadata:

- FullSnapshot: the whole `data` becomes one string;
- IncrementalSnapshot Mutation: `data.texts`, `data.attributes`, `data.removes`, `data.adds`;
- IncrementalSnapshot StyleSheetRule: `data.adds` and `data.removes` (only those present);

and marks the event with `cv: "2024-10"`. Each packed value is `JSON.stringify(value)`, UTF-8
encoded, gzipped, and the gzip bytes are turned into a string with one character per byte
(fflate `strFromU8(bytes, latin1=true)`) - a Latin-1 "binary string", not base64. PostHog's player
reverses it in `common/replay-shared/src/snapshot-processing/decompress.ts`.

Unpacking mutates the event in place (events are freshly decoded dicts owned by the pipeline) and
drops the `cv` key; an unknown `cv` value leaves the event untouched, as PostHog does.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import orjson

from replayport.errors import DecodeError
from replayport.rrweb.types import EventType, IncrementalSource, TEvent

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "PACKED_VERSION",
    "is_packed",
    "pack_event",
    "pack_value",
    "unpack_event",
    "unpack_value",
]

PACKED_VERSION = "2024-10"

DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024
"""Largest serialized event (and largest unpacked field) accepted; bigger ones are rejected."""

_MUTATION_FIELDS = ("texts", "attributes", "removes", "adds")
_STYLE_FIELDS = ("adds", "removes")
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_CACHEABLE = 256
_MAX_DEFLATE_RATIO = 1100

_FULL = int(EventType.FULL_SNAPSHOT)
_INCREMENTAL = int(EventType.INCREMENTAL_SNAPSHOT)
_MUTATION = int(IncrementalSource.MUTATION)
_STYLE = int(IncrementalSource.STYLE_SHEET_RULE)


def is_packed(event: TEvent) -> bool:
    """Whether the event carries posthog-js's `cv` marker (of any version)."""
    return "cv" in event


def unpack_value(
    packed: str, *, max_bytes: int = DEFAULT_MAX_EVENT_BYTES, cache: dict[str, bytes] | None = None
) -> Any:
    """Decode one packed field: Latin-1 string → gzip bytes → UTF-8 JSON → value.

    Args:
        packed: the packed string.
        max_bytes: refuse to inflate beyond this many bytes.
        cache: optional map of small packed strings to their inflated JSON, shared by the calls
            of one decode. posthog-js sends the same gzip string for every empty array, so most
            Mutation fields repeat; the JSON is re-parsed on a hit so every value stays a fresh,
            independently mutable object.

    Raises:
        DecodeError: `corrupt_gzip` (not Latin-1, not gzip, truncated, not JSON) or
            `oversized_event` (more than `max_bytes` once decompressed).
    """
    if cache is not None and len(packed) <= _CACHEABLE:
        text = cache.get(packed)
        if text is not None:
            return orjson.loads(text)  # cached only after it parsed once
        text = _inflate(packed, max_bytes)
        value = _parse(text)
        cache[packed] = text
        return value
    return _parse(_inflate(packed, max_bytes))


def _inflate(packed: str, max_bytes: int) -> bytes:
    try:
        raw = packed.encode("latin-1")
    except UnicodeEncodeError:
        raise DecodeError("corrupt_gzip", "packed field is not a Latin-1 byte string") from None
    if len(raw) * _MAX_DEFLATE_RATIO <= max_bytes:
        # deflate cannot expand more than ~1032:1, so this input cannot overshoot the cap
        try:
            return zlib.decompress(raw, _GZIP_WBITS)
        except zlib.error:
            raise DecodeError("corrupt_gzip", "packed field is not valid, complete gzip") from None
    inflater = zlib.decompressobj(_GZIP_WBITS)
    try:
        # max_length bounds memory: a gzip bomb stops at the cap instead of filling RAM
        text = inflater.decompress(raw, max_bytes + 1)
    except zlib.error:
        raise DecodeError("corrupt_gzip", "packed field is not valid gzip") from None
    if len(text) > max_bytes:
        raise DecodeError(
            "oversized_event", f"packed field inflates to more than {max_bytes} bytes"
        )
    if not inflater.eof:
        raise DecodeError("corrupt_gzip", "packed field's gzip stream is truncated")
    return text


def _parse(text: bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise DecodeError("corrupt_gzip", "packed field does not hold valid JSON") from None


def pack_value(value: Any) -> str:
    """Encode one field the way posthog-js does (inverse of `unpack_value`)."""
    # mtime=0 keeps the output deterministic; fflate writes a real mtime, which nobody reads
    return gzip.compress(orjson.dumps(value), compresslevel=6, mtime=0).decode("latin-1")


def unpack_event(
    event: TEvent,
    *,
    max_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    cache: dict[str, bytes] | None = None,
) -> TEvent:
    """Unpack a `cv: "2024-10"` event in place and drop its `cv` key.

    Only string-valued packed fields are decoded: PostHog's own exports keep `cv` on events whose
    fields are already plain, and those must pass through unchanged. Events without `cv` and
    events with an unknown `cv` value are returned untouched.

    Raises:
        DecodeError: see `unpack_value` (`cache` is passed on to it).
    """
    if event.get("cv") != PACKED_VERSION:
        return event
    event_type = event.get("type")
    data = event.get("data")
    if event_type == _FULL:
        if isinstance(data, str):
            event["data"] = unpack_value(data, max_bytes=max_bytes, cache=cache)
    elif event_type == _INCREMENTAL and isinstance(data, dict):
        source = data.get("source")
        fields = (
            _MUTATION_FIELDS if source == _MUTATION else _STYLE_FIELDS if source == _STYLE else ()
        )
        for name in fields:
            value = data.get(name)
            if type(value) is str:
                # inline cache hit: most Mutation fields are the same packed empty array
                text = cache.get(value) if cache is not None else None
                if text is not None:
                    data[name] = orjson.loads(text)
                else:
                    data[name] = unpack_value(value, max_bytes=max_bytes, cache=cache)
    del event["cv"]
    return event


def pack_event(event: TEvent) -> TEvent:
    """Return a packed copy of an rrweb event, as posthog-js would send it (input untouched).

    Events posthog-js does not compress are returned as a shallow copy without `cv`. Key order
    follows posthog-js (`{...event, data, cv}`), so `type, data, timestamp, …, cv`.
    """
    packed = dict(event)
    packed.pop("cv", None)
    event_type = packed.get("type")
    data = packed.get("data")
    if event_type == _FULL and "data" in packed:
        packed["data"] = pack_value(data)
    elif event_type == _INCREMENTAL and isinstance(data, dict):
        source = data.get("source")
        data = dict(data)
        if source == _MUTATION:
            # posthog-js throws on an absent field (JSON.stringify(undefined)) and then sends the
            # whole event uncompressed
            if any(name not in data for name in _MUTATION_FIELDS):
                return packed
            for name in _MUTATION_FIELDS:
                data[name] = pack_value(data[name])
        elif source == _STYLE:
            for name in _STYLE_FIELDS:
                if name not in data:
                    continue
                if _js_truthy(data[name]):
                    data[name] = pack_value(data[name])
                else:
                    # `adds: x ? gzip(x) : undefined` - JSON.stringify then omits the key
                    del data[name]
        else:
            return packed
        packed["data"] = data
    else:
        return packed
    packed["cv"] = PACKED_VERSION
    return packed


def _js_truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return bool(value)
    return True  # objects and arrays, even empty ones, are truthy in JavaScript
