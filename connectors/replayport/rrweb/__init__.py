"""The pure rrweb layer: PostHog's snapshot formats in, session events and table rows out.

```
bytes ─ decode_snapshot_body / decode_file_bytes / decode_export_file ─> DecodedStream
      ─ postprocess ─> [SessionEvent]  (seq = PostHog's order after dedupe)
      ─ (privacy masks the events) ─ extract_rows ─> SessionRows (+ SessionStats)
```

No I/O, no dlt, no pyarrow: only orjson, cramjam and the standard library.
"""

from __future__ import annotations

from replayport.rrweb.decode import (
    DecodedInput,
    ExportedRecording,
    decode_export_file,
    decode_file_bytes,
    decode_snapshot_body,
)
from replayport.rrweb.extract import (
    Click,
    ConsoleLog,
    NetworkRequest,
    PageView,
    SessionRows,
    SessionStats,
    extract_rows,
)
from replayport.rrweb.frustration import FrustrationThresholds
from replayport.rrweb.packed import pack_event, unpack_event
from replayport.rrweb.postprocess import postprocess
from replayport.rrweb.types import DecodedStream, SessionEvent

__all__ = [
    "Click",
    "ConsoleLog",
    "DecodedInput",
    "DecodedStream",
    "ExportedRecording",
    "FrustrationThresholds",
    "NetworkRequest",
    "PageView",
    "SessionEvent",
    "SessionRows",
    "SessionStats",
    "decode_export_file",
    "decode_file_bytes",
    "decode_snapshot_body",
    "extract_rows",
    "pack_event",
    "postprocess",
    "unpack_event",
]
