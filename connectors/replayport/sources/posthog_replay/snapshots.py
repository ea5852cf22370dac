"""Fetching one recording's snapshot data completely, in as few calls as PostHog allows.

Per recording: one sources call (`…/snapshots` without `source`), then one call per range of at
most 20 `blob_v2` blocks with `decompress=false` (raw snappy blocks, each behind a 4-byte
big-endian length), or a single `blob_v2_lts` call. PostHog drops blocks that failed to load
from a 200 answer ("partial playback beats no playback"), so every range answer is checked:
blocks are matched to the requested keys by their events' time span (which is exactly the
block's `start_timestamp`/`end_timestamp` in the sources list), and the missing ones are asked
for again. A recording that stays incomplete is never handed on.
"""

from __future__ import annotations

import bisect
import logging
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, Protocol, TypedDict
from urllib.parse import quote

from replayport.errors import PostHogAPIError, RecordingIncompleteError, TransientError
from replayport.rrweb.types import DecodedStream, RecordingMeta
from replayport.session import RawRecording
from replayport.sources.posthog_replay.client import ApiResponse, PostHogClient
from replayport.sources.posthog_replay.listing import parse_time
from replayport.sources.posthog_replay.settings import (
    CONTENT_TYPE_JSONL,
    CONTENT_TYPE_OCTET,
    MAX_BLOCKS_PER_CALL,
    MAX_COMPLETENESS_REFETCHES,
    REFETCH_ATTEMPTS,
    SOURCE_BLOB_V2,
    SOURCE_BLOB_V2_LTS,
)

__all__ = [
    "DecodeFn",
    "RecordingFetcher",
    "SnapshotSource",
    "SourcesResponse",
    "count_blocks",
    "plan_ranges",
    "split_blocks",
]

logger = logging.getLogger(__name__)

_PREFIX = struct.Struct(">I")


class SnapshotSource(TypedDict):
    """One entry of the sources call's `sources` list."""

    source: str
    blob_key: str
    start_timestamp: NotRequired[str | None]
    end_timestamp: NotRequired[str | None]


class SourcesResponse(TypedDict):
    sources: list[SnapshotSource]


class DecodeFn(Protocol):
    """`replayport.rrweb.decode.decode_snapshot_body`'s signature."""

    def __call__(
        self,
        body: bytes,
        *,
        content_type: str | None = None,
        source: str | None = None,
        origin: str = "",
    ) -> DecodedStream: ...


def default_decoder() -> DecodeFn:
    """The production decoder (imported late: decoding is the rrweb package's concern)."""
    from replayport.rrweb.decode import decode_snapshot_body

    return decode_snapshot_body


def plan_ranges(
    keys: Sequence[int], max_blocks: int = MAX_BLOCKS_PER_CALL
) -> list[tuple[int, int]]:
    """Groups block keys into inclusive `(start, end)` ranges of consecutive keys.

    Each range holds at most `max_blocks` keys (`end - start <= max_blocks - 1`), which
    satisfies both PostHog's check (`end - start > 20` is refused) and its docs (20 keys).
    """
    ranges: list[tuple[int, int]] = []
    for key in sorted(set(keys)):
        if ranges:
            start, end = ranges[-1]
            if key == end + 1 and key - start < max_blocks:
                ranges[-1] = (start, key)
                continue
        ranges.append((key, key))
    return ranges


def split_blocks(body: bytes) -> list[bytes] | None:
    """Splits a `decompress=false` body into its raw snappy blocks.

    Returns:
        The blocks, or None when the length prefixes do not add up to the body.
    """
    blocks: list[bytes] = []
    offset = 0
    view = memoryview(body)
    while offset < len(body):
        if offset + _PREFIX.size > len(body):
            return None
        (length,) = _PREFIX.unpack_from(view, offset)
        offset += _PREFIX.size
        if length == 0 or offset + length > len(body):
            return None
        blocks.append(bytes(view[offset : offset + length]))
        offset += length
    return blocks


def count_blocks(body: bytes) -> int | None:
    """Number of length-prefixed blocks in a `decompress=false` body (None if malformed)."""
    blocks = split_blocks(body)
    return None if blocks is None else len(blocks)


def _ms(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(round(parse_time(value).timestamp() * 1000))
    except ValueError:
        return None


def _span(stream: DecodedStream) -> tuple[int, int] | None:
    stamps = [
        int(event["timestamp"])
        for _, event in stream.events
        if isinstance(event, dict) and isinstance(event.get("timestamp"), int | float)
    ]
    if not stamps:
        return None
    return min(stamps), max(stamps)


@dataclass
class _Block:
    key: int
    start_ms: int | None
    end_ms: int | None


class RecordingFetcher:
    """Fetches and decodes the complete snapshot stream of listed recordings.

    Thread-safe: it keeps no per-recording state, so one fetcher serves a thread pool.

    Args:
        client: the project's client (shared limiter inside).
        decode: the body decoder; `replayport.rrweb.decode.decode_snapshot_body` by default.
        max_refetches: extra calls per block range to recover blocks a 200 left out.
        on_blocks: called with the number of blocks each time a range is complete (progress).
    """

    def __init__(
        self,
        client: PostHogClient,
        *,
        decode: DecodeFn | None = None,
        max_refetches: int = MAX_COMPLETENESS_REFETCHES,
        on_blocks: Callable[[int], None] | None = None,
    ) -> None:
        self.client = client
        self._decode = decode or default_decoder()
        self._max_refetches = max_refetches
        self.on_blocks = on_blocks

    def snapshots_relpath(self, session_id: str) -> str:
        return f"session_recordings/{quote(session_id, safe='')}/snapshots"

    def fetch(self, meta: RecordingMeta) -> RawRecording:
        """Returns the recording with every listed block decoded, in block order.

        Raises:
            RecordingIncompleteError: blocks still missing after the re-fetches, or no blocks.
            RecordingDeletedError: 410 (deleted upstream).
            NotFoundError: 404 (unknown recording or block out of range).
            AuthenticationError, PostHogAPIError, TransientError: from the client.
        """
        session_id = str(meta["id"])
        rel = self.snapshots_relpath(session_id)
        origin = self.client.path(rel)
        calls = _Calls()
        listed: SourcesResponse = calls.add(self.client.get(rel)).json()
        sources = [s for s in (listed.get("sources") or []) if isinstance(s, dict)]
        lts = [s for s in sources if s.get("source") == SOURCE_BLOB_V2_LTS]
        blocks = _blob_v2_blocks(sources)
        stream = DecodedStream()
        if lts:
            stream = self._fetch_lts(rel, origin, str(lts[0]["blob_key"]), calls)
            n_blocks = 1
        elif blocks:
            for start, end in plan_ranges([b.key for b in blocks]):
                wanted = [b for b in blocks if start <= b.key <= end]
                for part in self._fetch_range(rel, origin, wanted, calls):
                    stream.extend(part)
                if self.on_blocks is not None:
                    self.on_blocks(len(wanted))
            n_blocks = len(blocks)
        else:
            raise RecordingIncompleteError(f"no snapshot blocks listed for {origin}")
        return RawRecording(
            session_id=session_id,
            stream=stream,
            meta=meta,
            person=meta.get("person"),
            source="posthog",
            origin=origin,
            api_calls=calls.count,
            blocks=n_blocks,
        )

    def _fetch_lts(self, rel: str, origin: str, blob_key: str, calls: _Calls) -> DecodedStream:
        response = calls.add(
            self.client.get(
                rel, {"source": SOURCE_BLOB_V2_LTS, "blob_key": blob_key, "decompress": "false"}
            )
        )
        self.client.metrics.add("bytes_in", len(response.body))
        if self.on_blocks is not None:
            self.on_blocks(1)
        return self._decode(
            response.body,
            content_type=response.content_type or CONTENT_TYPE_OCTET,
            source=SOURCE_BLOB_V2_LTS,
            origin=origin,
        )

    def _fetch_range(
        self, rel: str, origin: str, wanted: list[_Block], calls: _Calls
    ) -> list[DecodedStream]:
        """Fetches one range of ≤ 20 consecutive blocks until every block is there."""
        got: dict[int, DecodedStream] = {}
        decompress = False
        refetches = -1
        while True:
            missing = [b for b in wanted if b.key not in got]
            if not missing:
                return [got[b.key] for b in wanted]
            refetches += 1
            if refetches > self._max_refetches:
                raise RecordingIncompleteError(
                    f"{len(missing)} of {len(wanted)} blocks still missing from {origin} "
                    f"(blocks {wanted[0].key}-{wanted[-1].key})"
                )
            if refetches:
                # a re-fetch of blocks a 200 left out is a retry, as far as budgets go
                self.client.metrics.add("api_retries")
            lo, hi = missing[0].key, missing[-1].key
            span = [b for b in wanted if lo <= b.key <= hi]
            params: dict[str, str | int | float | bool | None] = {
                "source": SOURCE_BLOB_V2,
                "start_blob_key": lo,
                "end_blob_key": hi,
                "decompress": "true" if decompress else "false",
            }
            try:
                # blocks a 200 left out failed server-side; one quick retry, then next run
                attempts = REFETCH_ATTEMPTS if got else None
                response = calls.add(self.client.get(rel, params, max_attempts=attempts))
            except TransientError as exc:
                if not got:
                    raise
                # PostHog answers 502 when every requested block fails: those blocks are the
                # ones a previous 200 left out, so the recording is incomplete, not unreachable
                raise RecordingIncompleteError(
                    f"{len(missing)} of {len(wanted)} blocks still missing from {origin} "
                    f"(blocks {wanted[0].key}-{wanted[-1].key}; {exc})"
                ) from None
            self.client.metrics.add("bytes_in", len(response.body))
            where = f"{origin}?blocks={lo}-{hi}"
            if response.content_type.startswith(CONTENT_TYPE_JSONL):
                stream = self._decode(
                    response.body,
                    content_type=CONTENT_TYPE_JSONL,
                    source=SOURCE_BLOB_V2,
                    origin=where,
                )
                if _jsonl_covers(stream, span):
                    for b in span:
                        got[b.key] = DecodedStream()
                    got[span[0].key] = stream
                else:
                    logger.info("blocks missing from a JSONL answer for %s; re-fetching", where)
                    for b in span:
                        got.pop(b.key, None)
                continue
            raw_blocks = split_blocks(response.body)
            if raw_blocks is None:
                # unreadable framing: ask for the decompressed JSONL body instead
                logger.warning(
                    "malformed length-prefixed body from %s; falling back to JSONL", where
                )
                decompress = True
                for b in span:
                    got.pop(b.key, None)
                continue
            matched = self._match_blocks(raw_blocks, span, where)
            if matched is None:
                continue
            got.update(matched)
            if len(matched) < len(span):
                logger.info(
                    "%d of %d blocks missing from a 200 for %s; re-fetching them",
                    len(span) - len(matched),
                    len(span),
                    where,
                )

    def _match_blocks(
        self, raw_blocks: list[bytes], span: list[_Block], where: str
    ) -> dict[int, DecodedStream] | None:
        """Decodes returned blocks and works out which requested key each one is.

        Returns:
            key → decoded block; None when the answer cannot be attributed (re-fetch all).
        """
        if len(raw_blocks) > len(span):
            return None
        decoded = [
            self._decode(
                _PREFIX.pack(len(raw)) + raw,
                content_type=CONTENT_TYPE_OCTET,
                source=SOURCE_BLOB_V2,
                origin=f"{where}#{i}",
            )
            for i, raw in enumerate(raw_blocks)
        ]
        if len(decoded) == len(span):
            return {b.key: d for b, d in zip(span, decoded, strict=True)}
        matched: dict[int, DecodedStream] = {}
        pointer = 0
        for i, block in enumerate(decoded):
            found = _find_block(_span(block), span, pointer, len(decoded) - i)
            if found is None:
                return None
            matched[span[found].key] = block
            pointer = found + 1
        return matched


def _find_block(
    got: tuple[int, int] | None, span: list[_Block], pointer: int, remaining: int
) -> int | None:
    """Index in `span` (≥ `pointer`) of the block whose time range is `got`.

    Leaves room for the `remaining - 1` blocks still to place after it. An exact match of
    first/last event time wins over mere containment.
    """
    if got is None:
        return None
    last = len(span) - remaining
    candidates = range(pointer, last + 1)
    for j in candidates:
        if (span[j].start_ms, span[j].end_ms) == got:
            return j
    for j in candidates:
        start, end = span[j].start_ms, span[j].end_ms
        if start is not None and end is not None and start <= got[0] and got[1] <= end:
            return j
    return None


def _jsonl_covers(stream: DecodedStream, span: list[_Block]) -> bool:
    """True when every block with a known time range has at least one event inside it."""
    stamps = sorted(
        int(event["timestamp"])
        for _, event in stream.events
        if isinstance(event, dict) and isinstance(event.get("timestamp"), int | float)
    )
    for block in span:
        if block.start_ms is None or block.end_ms is None:
            continue
        i = bisect.bisect_left(stamps, block.start_ms)
        if i >= len(stamps) or stamps[i] > block.end_ms:
            return False
    return True


def _blob_v2_blocks(sources: list[Any]) -> list[_Block]:
    blocks: dict[int, _Block] = {}
    for entry in sources:
        if entry.get("source") != SOURCE_BLOB_V2:
            continue
        try:
            key = int(entry["blob_key"])
        except (KeyError, TypeError, ValueError):
            raise PostHogAPIError("unexpected blob_key in the snapshot sources list") from None
        start, end = _ms(entry.get("start_timestamp")), _ms(entry.get("end_timestamp"))
        blocks[key] = _Block(key, start, end)
    return [blocks[k] for k in sorted(blocks)]


class _Calls:
    """Counts HTTP requests (retries included) spent on one recording."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def add(self, response: ApiResponse) -> ApiResponse:
        self.count += response.attempts
        return response
