"""rrweb's event model as PostHog serves it (enums and payload shapes).

Values follow rrweb `packages/types/src/index.ts` and PostHog's fork
(`posthog-js/packages/rrweb/types`), which agree except that upstream also has Asset=7.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, NamedTuple, TypedDict

from replayport.rejects import Reject

__all__ = [
    "CLICK_INTERACTIONS",
    "DecodedStream",
    "EventType",
    "IncrementalSource",
    "MouseInteraction",
    "NodeType",
    "PersonMeta",
    "RecordingMeta",
    "SessionEvent",
    "TEvent",
]

TEvent = dict[str, Any]
"""An rrweb `eventWithTime`: `{type, data, timestamp, delay?}`, with `cv` fields unpacked."""


class EventType(IntEnum):
    DOM_CONTENT_LOADED = 0
    LOAD = 1
    FULL_SNAPSHOT = 2
    INCREMENTAL_SNAPSHOT = 3
    META = 4
    CUSTOM = 5
    PLUGIN = 6
    ASSET = 7


class IncrementalSource(IntEnum):
    MUTATION = 0
    MOUSE_MOVE = 1
    MOUSE_INTERACTION = 2
    SCROLL = 3
    VIEWPORT_RESIZE = 4
    INPUT = 5
    TOUCH_MOVE = 6
    MEDIA_INTERACTION = 7
    STYLE_SHEET_RULE = 8
    CANVAS_MUTATION = 9
    FONT = 10
    LOG = 11
    DRAG = 12
    STYLE_DECLARATION = 13
    SELECTION = 14
    ADOPTED_STYLE_SHEET = 15
    CUSTOM_ELEMENT = 16


class MouseInteraction(IntEnum):
    MOUSE_UP = 0
    MOUSE_DOWN = 1
    CLICK = 2
    CONTEXT_MENU = 3
    DBL_CLICK = 4
    FOCUS = 5
    BLUR = 6
    TOUCH_START = 7
    TOUCH_MOVE_DEPARTED = 8
    TOUCH_END = 9
    TOUCH_CANCEL = 10


CLICK_INTERACTIONS: dict[int, str] = {
    MouseInteraction.CLICK: "click",
    MouseInteraction.DBL_CLICK: "dblclick",
    MouseInteraction.CONTEXT_MENU: "contextmenu",
    MouseInteraction.TOUCH_END: "touch",
}
"""PostHog's click definition (ingestion `isClick`) → the `clicks.interaction` value."""


class NodeType(IntEnum):
    DOCUMENT = 0
    DOCUMENT_TYPE = 1
    ELEMENT = 2
    TEXT = 3
    CDATA = 4
    COMMENT = 5


class SessionEvent(NamedTuple):
    """One event of a session after PostHog's post-processing.

    `seq` is the event's ordinal after decompress → dedupe → stable sort by timestamp; it is the
    second half of every event table's primary key, so it must not change when privacy drops or
    masks events.
    """

    seq: int
    window_id: str
    event: TEvent


class PersonMeta(TypedDict, total=False):
    id: Any
    uuid: str
    name: str
    distinct_ids: list[str]
    properties: dict[str, Any]
    created_at: str


class RecordingMeta(TypedDict, total=False):
    """One element of PostHog's session-recordings listing (fields replayport reads)."""

    id: str
    distinct_id: str
    start_time: str
    end_time: str
    recording_duration: int
    active_seconds: float
    click_count: int
    keypress_count: int
    console_error_count: int
    start_url: str
    person: PersonMeta | None
    snapshot_source: str
    snapshot_library: str
    expiry_time: str
    retention_period_days: int
    ongoing: bool


class DecodedStream:
    """What decoding one body or file yields: `(window_id, event)` pairs in input order, with
    `cv`-packed fields already unpacked, plus the pieces that could not be decoded."""

    __slots__ = ("bytes_in", "events", "rejects")

    def __init__(
        self,
        events: list[tuple[str, TEvent]] | None = None,
        rejects: list[Reject] | None = None,
        bytes_in: int = 0,
    ) -> None:
        self.events: list[tuple[str, TEvent]] = events if events is not None else []
        self.rejects: list[Reject] = rejects if rejects is not None else []
        self.bytes_in = bytes_in

    def extend(self, other: DecodedStream) -> None:
        self.events.extend(other.events)
        self.rejects.extend(other.rejects)
        self.bytes_in += other.bytes_in
