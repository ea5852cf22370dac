"""dlt source for recordings on disk: PostHog export files and snapshot bodies.

Resources:
    recordings: one `RawRecording` per session found under the given paths, handed to the
        caller's `process` (which yields the contract tables).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import dlt

from replayport.metrics import RunMetrics
from replayport.rejects import Reject
from replayport.session import RawRecording
from replayport.sources.replay_files.discovery import RecordingFiles, discover, read_recording

__all__ = ["RecordingFiles", "discover", "read_recording", "replay_files"]


@dlt.source(name="replay_files", section="replay_files")
def replay_files(
    groups: Sequence[RecordingFiles],
    process: Callable[[RawRecording], Iterable[Any]],
    metrics: RunMetrics | None = None,
    on_reject: Callable[[Reject], None] | None = None,
) -> Any:
    """The recordings in `groups` (from `discover`), each passed through `process`."""

    @dlt.resource(name="recordings")
    def recordings() -> Iterator[Any]:
        for group in groups:
            raw = read_recording(group, on_reject=on_reject)
            if raw is None:
                continue
            if metrics is not None:
                metrics.add("sessions_listed")
                metrics.add("bytes_in", raw.stream.bytes_in)
            yield from process(raw)

    return recordings
