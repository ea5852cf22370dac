"""A minimal stand-in for `replayport.rrweb.decode.decode_snapshot_body`.

Used only while the real decoder is not there yet: it understands the three snapshot bodies
(JSONL, length-prefixed raw snappy blocks, one raw snappy LTS file) and nothing else (no `cv`
unpacking, no rejects).
"""

from __future__ import annotations

import struct
import sys
import types

import cramjam
import orjson

from replayport.rrweb.types import DecodedStream

__all__ = ["decode_snapshot_body", "ensure_decoder"]


def decode_snapshot_body(
    body: bytes,
    *,
    content_type: str | None = None,
    source: str | None = None,
    origin: str = "",
) -> DecodedStream:
    if content_type and content_type.startswith("application/jsonl"):
        text = bytes(body)
    elif source == "blob_v2_lts":
        text = bytes(cramjam.snappy.decompress_raw(body))
    else:
        chunks = []
        offset = 0
        while offset + 4 <= len(body):
            (length,) = struct.unpack_from(">I", body, offset)
            offset += 4
            chunks.append(bytes(cramjam.snappy.decompress_raw(body[offset : offset + length])))
            offset += length
        text = b"".join(chunks)
    events = []
    for line in text.splitlines():
        if line.strip():
            window_id, event = orjson.loads(line)
            events.append((window_id, event))
    return DecodedStream(events, [], len(body))


def ensure_decoder() -> bool:
    """Installs this stand-in as `replayport.rrweb.decode` if the real one is missing.

    Returns:
        True when the real decoder is used.
    """
    try:
        import replayport.rrweb.decode  # noqa: F401

        return True
    except ImportError:
        module = types.ModuleType("replayport.rrweb.decode")
        module.decode_snapshot_body = decode_snapshot_body  # type: ignore[attr-defined]
        sys.modules["replayport.rrweb.decode"] = module
        return False
