"""Rows for the event tables and the session's statistics, from one pass over its events.

Input is a session's post-processed (and already privacy-masked) events in seq order; seqs may
have gaps where privacy dropped events and are never renumbered. Each window keeps its own DOM
mirror (built lazily: only when a click needs a target), current URL and viewport.

Definitions (PostHog's where PostHog has one):

- **page_views**: a Meta event, or a Custom `$pageview` / `$url_changed` with `payload.href`,
  whose URL differs from the window's previous page view; `trigger` says which.
- **clicks**: IncrementalSnapshot MouseInteraction of type Click, DblClick, ContextMenu or
  TouchEnd - PostHog's ingestion `isClick` (`nodejs/src/session-recording/rrweb-types.ts`), so
  `click_count` equals PostHog's (one tap counts twice: TouchEnd and Click). `pointer_type`
  comes from `pointerType`; TouchEnd is `touch`; an interaction without one (DblClick) takes
  the window's last known pointer type.
- **console_logs**: one row per `rrweb/console@1` plugin event (and per legacy incremental
  source Log). `level_group` follows PostHog's ingestion (`session-console-log-recorder.ts`):
  warn, countReset → warn; error, assert → error; every other level → info. `message` joins the
  payload items with a space, each `JSON.stringify`-ed string decoded back to its text.
- **network_requests**: one row per entry of `rrweb/network@1` `payload.requests`, and one per
  legacy `posthog/network@1` event (numeric keys, `PerformanceEventReverseMapping` in PostHog's
  `performance-event-utils.ts`). `status` prefers `status` over `responseStatus`, as PostHog's
  UI does. `serverTiming` entries are rows of their own (`entry_type = "serverTiming"`).
- **stats**: `active_ms` is PostHog's segmenter (`nodejs/src/session-recording/segmentation.ts`):
  incremental events from MouseMove, MouseInteraction, Scroll, ViewportResize, Input,
  TouchMove, MediaInteraction and Drag are active; a segment closes after 5000 ms without one;
  active time is the sum of active segments, each at least 1 ms. `mouse_activity_count` is
  PostHog's ingestion `isMouseActivity` (MouseMove, MouseInteraction, TouchMove; no Scroll).
  `start_url` is PostHog's `hrefFrom` of the first event carrying an href (Meta `href`, else a
  `payload.href`). `device_type` is a heuristic: `Mobile` when the session shows touch input
  (touch pointer, TouchStart/TouchEnd, TouchMove) or its first viewport is narrower than 768 px,
  else `Desktop` (`None` without either signal); prefer the SDK's `$device_type` when the
  session's analytics events are at hand.
- frustration flags and counts: see `frustration.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeGuard
from urllib.parse import urlsplit

import orjson

from replayport.rejects import Reject
from replayport.rrweb.frustration import (
    DEFAULT_THRESHOLDS,
    ClickCandidate,
    FrustrationThresholds,
    WindowSignals,
    detect_frustration,
)
from replayport.rrweb.mirror import MirrorNode, NodeMirror
from replayport.rrweb.types import (
    CLICK_INTERACTIONS,
    EventType,
    IncrementalSource,
    MouseInteraction,
    NodeType,
    SessionEvent,
)

__all__ = [
    "CONSOLE_LEVEL_GROUPS",
    "DomIndex",
    "NETWORK_SEQ_STRIDE",
    "Click",
    "ConsoleLog",
    "NetworkRequest",
    "PageView",
    "SessionRows",
    "SessionStats",
    "extract_rows",
]

NETWORK_SEQ_STRIDE = 100_000
"""Same value as `tables.schemas.NETWORK_SEQ_STRIDE` (kept here because rrweb/ must not import
pyarrow; a test checks they agree): a request's seq is `event_seq * stride + request_index`."""

CONSOLE_LEVEL_GROUPS: dict[str, str] = {
    "warn": "warn",
    "countReset": "warn",
    "error": "error",
    "assert": "error",
}
"""Console levels outside `info`, per PostHog's ingestion; every other level is `info`."""

ACTIVE_SOURCES = frozenset(
    int(s)
    for s in (
        IncrementalSource.MOUSE_MOVE,
        IncrementalSource.MOUSE_INTERACTION,
        IncrementalSource.SCROLL,
        IncrementalSource.VIEWPORT_RESIZE,
        IncrementalSource.INPUT,
        IncrementalSource.TOUCH_MOVE,
        IncrementalSource.MEDIA_INTERACTION,
        IncrementalSource.DRAG,
    )
)
ACTIVITY_THRESHOLD_MS = 5000
MOBILE_MAX_WIDTH = 768

_POINTER_TYPES = {0: "mouse", 1: "pen", 2: "touch"}
_TOUCH_INTERACTIONS = frozenset(
    int(t)
    for t in (
        MouseInteraction.TOUCH_START,
        MouseInteraction.TOUCH_MOVE_DEPARTED,
        MouseInteraction.TOUCH_END,
        MouseInteraction.TOUCH_CANCEL,
    )
)
_CLICKS = {int(k): v for k, v in CLICK_INTERACTIONS.items()}
_TOUCH_END = int(MouseInteraction.TOUCH_END)
_PAGE_TRIGGERS = {"$pageview": "pageview", "$url_changed": "url_changed"}
_RAGE_IGNORE = frozenset(("ph-no-rageclick", "ph-no-capture"))
_DEAD_IGNORE = frozenset(("ph-no-deadclick", "ph-no-capture"))

# PostHog's PerformanceEventReverseMapping, the keys replayport reads from posthog/network@1
_LEGACY_ENTRY_TYPE = "0"
_LEGACY_NAME = "2"
_LEGACY_INITIATOR = "18"
_LEGACY_STATUS = "21"
_LEGACY_TRANSFER = "22"
_LEGACY_DURATION = "39"
_LEGACY_TIMESTAMP = "40"

_FULL = int(EventType.FULL_SNAPSHOT)
_INCREMENTAL = int(EventType.INCREMENTAL_SNAPSHOT)
_META = int(EventType.META)
_CUSTOM = int(EventType.CUSTOM)
_PLUGIN = int(EventType.PLUGIN)
_S_MUTATION = int(IncrementalSource.MUTATION)
_S_MOUSE_MOVE = int(IncrementalSource.MOUSE_MOVE)
_S_INTERACTION = int(IncrementalSource.MOUSE_INTERACTION)
_S_SCROLL = int(IncrementalSource.SCROLL)
_S_RESIZE = int(IncrementalSource.VIEWPORT_RESIZE)
_S_INPUT = int(IncrementalSource.INPUT)
_S_TOUCH_MOVE = int(IncrementalSource.TOUCH_MOVE)
_S_LOG = int(IncrementalSource.LOG)
_S_SELECTION = int(IncrementalSource.SELECTION)
_ELEMENT = int(NodeType.ELEMENT)
_TEXT = int(NodeType.TEXT)


class PageView(NamedTuple):
    """A `page_views` row (without session_id / run_id / extracted_at)."""

    seq: int
    window_id: str
    ts: int
    url: str
    host: str | None
    path: str | None
    viewport_width: int | None
    viewport_height: int | None
    trigger: str


class Click(NamedTuple):
    """A `clicks` row (without session_id / run_id / extracted_at)."""

    seq: int
    window_id: str
    ts: int
    x: float | None
    y: float | None
    interaction: str
    pointer_type: str | None
    url: str | None
    path: str | None
    viewport_width: int | None
    viewport_height: int | None
    target_node_id: int | None
    target_selector: str | None
    target_tag: str | None
    target_text: str | None
    is_rage: bool
    is_dead: bool
    is_error: bool


class ConsoleLog(NamedTuple):
    """A `console_logs` row (without session_id / run_id / extracted_at)."""

    seq: int
    window_id: str
    ts: int
    level: str | None
    level_group: str
    message: str
    trace: str | None
    url: str | None


class NetworkRequest(NamedTuple):
    """A `network_requests` row (without session_id / run_id / extracted_at)."""

    seq: int
    event_seq: int
    request_index: int
    window_id: str
    ts: int
    method: str | None
    url: str | None
    host: str | None
    path: str | None
    status: int | None
    duration_ms: float | None
    initiator_type: str | None
    entry_type: str | None
    transfer_size: int | None
    is_initial: bool | None
    plugin: str
    request_headers: str | None
    response_headers: str | None
    request_body: str | None
    response_body: str | None


@dataclass(slots=True)
class SessionStats:
    """Per-session numbers for the `sessions` row (timestamps in epoch ms)."""

    start_ms: int | None = None
    end_ms: int | None = None
    duration_ms: int = 0
    active_ms: int = 0
    click_count: int = 0
    keypress_count: int = 0
    mouse_activity_count: int = 0
    console_log_count: int = 0
    console_warn_count: int = 0
    console_error_count: int = 0
    rage_click_count: int = 0
    dead_click_count: int = 0
    error_click_count: int = 0
    page_view_count: int = 0
    network_request_count: int = 0
    event_count: int = 0
    window_count: int = 0
    start_url: str | None = None
    viewport_width: int | None = None
    viewport_height: int | None = None
    device_type: str | None = None


@dataclass(slots=True)
class SessionRows:
    """Everything `extract_rows` derives from one session."""

    page_views: list[PageView] = field(default_factory=list)
    clicks: list[Click] = field(default_factory=list)
    console_logs: list[ConsoleLog] = field(default_factory=list)
    network_requests: list[NetworkRequest] = field(default_factory=list)
    stats: SessionStats = field(default_factory=SessionStats)
    rejects: list[Reject] = field(default_factory=list)
    """Pieces of plugin payloads that could not be turned into rows (stage `extract`)."""


class DomIndex:
    """One window's DOM as its full snapshots and mutations describe it, for click targets.

    It answers with a `NodeMirror`, so selectors, text and ancestry are exactly NodeMirror's,
    but it never builds a mirror of the whole page: building one for every page with a click
    was the largest cost of `extract_rows`. Instead it keeps an index of the serialized nodes
    (id → node, id → parent) plus what mutations changed (children, texts, attributes), and
    `mirror_for(node_id)` builds a small NodeMirror holding just the node and its ancestors,
    which learns the element's descendants only as far as `text_of` walks them - everything
    `selector`, `text_of`, `element_for` and `ancestors` read. Bookkeeping follows
    NodeMirror's rules step by step (a full snapshot resets it; removes, adds, texts,
    attributes are applied in that order; a removed node's descendants stay known), and a test
    checks the answers against NodeMirror on every corpus click.

    The index itself is built lazily, on the first lookup after a full snapshot; events are
    never modified.
    """

    __slots__ = ("attributes", "children", "nodes", "parents", "pending", "root", "texts")

    def __init__(self) -> None:
        self.root: dict[str, Any] | None = None
        self.pending: list[Mapping[str, Any]] = []
        self.nodes: dict[int, dict[str, Any]] = {}
        self.parents: dict[int, int | None] = {}
        self.children: dict[int, list[int]] = {}
        """Child lists changed by mutations; other nodes' children come from `childNodes`."""
        self.texts: dict[int, Any] = {}
        self.attributes: dict[int, dict[str, Any]] = {}

    def full_snapshot(self, root: dict[str, Any]) -> None:
        self.root = root
        self.pending = []

    def mutation(self, data: Mapping[str, Any]) -> None:
        if self.root is not None:
            self.pending.append(data)
        else:
            self._apply(data)

    def mirror_for(self, node_id: int) -> NodeMirror:
        """A NodeMirror that answers like the full one for `node_id` and its ancestors."""
        if self.root is not None:
            self._rebuild()
        mirror = _IndexedMirror(self)
        known = mirror._nodes  # noqa: SLF001 - filled directly, exactly as add_tree would
        nodes, parents = self.nodes, self.parents
        current: int | None = node_id
        while current is not None and current in nodes and current not in known:
            known[current] = self._mirror_node(current)
            current = parents.get(current)
        return mirror

    # ---- bookkeeping (NodeMirror.apply_full_snapshot / add_tree / apply_mutation)

    def _rebuild(self) -> None:
        root, pending = self.root, self.pending
        self.root, self.pending = None, []
        self.nodes, self.parents = {}, {}
        self.children, self.texts, self.attributes = {}, {}, {}
        if root is not None:
            self._register(root, None, fresh=True)
        for data in pending:
            self._apply(data)

    def _register(self, node: dict[str, Any], parent: int | None, *, fresh: bool) -> None:
        nodes, parents = self.nodes, self.parents
        stack: list[tuple[dict[str, Any], int | None]] = [(node, parent)]
        while stack:
            current, parent_id = stack.pop()
            node_id = current.get("id")
            if not isinstance(node_id, int):
                continue  # NodeMirror skips it and everything below it
            nodes[node_id] = current
            parents[node_id] = parent_id
            if not fresh:  # a new node under a known id starts from its serialized state
                self.children.pop(node_id, None)
                self.texts.pop(node_id, None)
                self.attributes.pop(node_id, None)
            kids = current.get("childNodes")
            if type(kids) is list:
                for child in kids:
                    if type(child) is dict:
                        stack.append((child, node_id))

    def _apply(self, data: Mapping[str, Any]) -> None:
        nodes, parents = self.nodes, self.parents
        for removal in _items(data.get("removes")):
            if type(removal) is not dict:
                continue
            node_id = removal.get("id")
            if not isinstance(node_id, int) or node_id not in nodes:
                continue
            del nodes[node_id]  # type: ignore[arg-type]
            parent = parents.pop(node_id)  # type: ignore[arg-type]
            if parent is not None and parent in nodes:
                siblings = self._writable_children(parent)
                if node_id in siblings:
                    siblings.remove(node_id)  # type: ignore[arg-type]
        for addition in _items(data.get("adds")):
            if type(addition) is not dict or type(addition.get("node")) is not dict:
                continue
            node = addition["node"]
            node_id = node.get("id")
            if not isinstance(node_id, int):
                continue
            parent = addition.get("parentId")
            parent = parent if isinstance(parent, int) else None
            next_id = addition.get("nextId")
            self._register(node, parent, fresh=False)
            if parent is not None and parent in nodes and parent != node_id:
                siblings = self._writable_children(parent)  # type: ignore[arg-type]
                if isinstance(next_id, int) and next_id in siblings:
                    siblings.insert(siblings.index(next_id), node_id)
                else:
                    siblings.append(node_id)
        for change in _items(data.get("texts")):
            if type(change) is dict:
                node_id = change.get("id")
                if isinstance(node_id, int) and node_id in nodes:
                    self.texts[node_id] = change.get("value")
        for change in _items(data.get("attributes")):
            if type(change) is not dict:
                continue
            node_id = change.get("id")
            values = change.get("attributes")
            if not isinstance(node_id, int) or node_id not in nodes or type(values) is not dict:
                continue
            merged = dict(self._attributes_of(node_id) or {})  # type: ignore[arg-type]
            for name, value in values.items():
                if value is None:
                    merged.pop(name, None)
                else:
                    merged[name] = value
            self.attributes[node_id] = merged  # type: ignore[index]

    def _child_ids(self, node_id: int) -> list[int]:
        kids = self.children.get(node_id)
        if kids is not None:
            return kids
        serialized = self.nodes[node_id].get("childNodes")
        if type(serialized) is not list:
            return []
        return [
            child["id"]
            for child in serialized
            if type(child) is dict and isinstance(child.get("id"), int)
        ]

    def _writable_children(self, node_id: int) -> list[int]:
        kids = self.children.get(node_id)
        if kids is None:
            kids = self.children[node_id] = list(self._child_ids(node_id))
        return kids

    def _attributes_of(self, node_id: int) -> dict[str, Any] | None:
        if node_id in self.attributes:
            return self.attributes[node_id]
        attributes = self.nodes[node_id].get("attributes")
        return attributes if type(attributes) is dict else None

    def _mirror_node(self, node_id: int) -> MirrorNode:
        node = self.nodes[node_id]
        node_type = node.get("type")
        if node_id in self.texts:
            text = self.texts[node_id]
        else:
            text = node.get("textContent") if node_type == _TEXT else None
        return MirrorNode(
            node_id,
            node_type if isinstance(node_type, int) else -1,
            node.get("tagName") if node_type == _ELEMENT else None,
            self._attributes_of(node_id),
            self.parents.get(node_id),
            text,
        )


class _IndexedMirror(NodeMirror):
    """A NodeMirror over a `DomIndex` that learns children only when `text_of` walks them.

    Expanding a clicked element's whole subtree up front cost most of `extract_rows` for clicks
    on large containers, while `text_of` stops after 200 characters.
    """

    def __init__(self, index: DomIndex) -> None:
        super().__init__()
        self._index = index
        self._expanded: set[int] = set()

    def _children_of(self, node: MirrorNode) -> list[int]:
        if node.id not in self._expanded:
            self._expanded.add(node.id)
            index, known = self._index, self._nodes
            kids = index._child_ids(node.id)  # noqa: SLF001 - the index this mirror reads
            for child in kids:
                if child in index.nodes and child not in known:
                    known[child] = index._mirror_node(child)  # noqa: SLF001
            node.children = list(kids)
        return node.children


class _Window:
    __slots__ = (
        "height",
        "dom",
        "last_page_url",
        "path",
        "pointer",
        "signals",
        "url",
        "width",
    )

    def __init__(self) -> None:
        self.url: str | None = None
        self.path: str | None = None
        self.width: int | None = None
        self.height: int | None = None
        self.last_page_url: str | None = None
        self.pointer: str | None = None
        self.dom = DomIndex()
        self.signals = WindowSignals()


def extract_rows(
    events: Sequence[SessionEvent], thresholds: FrustrationThresholds = DEFAULT_THRESHOLDS
) -> SessionRows:
    """Derive the page view, click, console and network rows and the stats of one session.

    Args:
        events: the session's events in seq order (post-processed, privacy applied).
        thresholds: frustration-signal parameters.
    """
    rows = SessionRows()
    stats = rows.stats
    page_views = rows.page_views
    console_logs = rows.console_logs
    network = rows.network_requests
    rejects = rows.rejects
    windows: dict[str, _Window] = {}
    pending_clicks: list[tuple[Any, ...]] = []  # Click fields without the three flags
    candidates: list[ClickCandidate] = []
    url_parts: dict[str, tuple[str | None, str | None]] = {}

    keypresses = mouse_activity = 0
    touch_seen = False
    start_url: str | None = None
    first_width: int | None = None
    first_height: int | None = None
    # PostHog's segmenter state
    segment_start = segment_end = 0.0
    segment_active: bool | None = None  # None: no segment yet
    last_active = 0.0
    active_total = 0.0

    for seq, window_id, event in events:
        state = windows.get(window_id)
        if state is None:
            state = windows[window_id] = _Window()
        event_type = event["type"]
        ts = event["timestamp"]
        data = event.get("data")
        if type(data) is not dict:
            data = {}

        is_active = False
        if event_type == _INCREMENTAL:
            source = data.get("source")
            if source == _S_INTERACTION:
                mouse_activity += 1
                is_active = True
                interaction = _int_key(data.get("type"))
                pointer = _POINTER_TYPES.get(_int_key(data.get("pointerType")))  # type: ignore[arg-type]
                if interaction in _TOUCH_INTERACTIONS:
                    touch_seen = True
                    pointer = pointer or "touch"
                if pointer is not None:
                    state.pointer = pointer
                    if pointer == "touch":
                        touch_seen = True
                kind = _CLICKS.get(interaction)  # type: ignore[arg-type]
                if kind is not None:
                    fields, candidate = _click(
                        len(pending_clicks), seq, window_id, ts, data, kind, state
                    )
                    pending_clicks.append(fields)
                    candidates.append(candidate)
            elif source == _S_MUTATION:
                state.dom.mutation(data)
                state.signals.mutations.add(seq, ts)
            elif source == _S_INPUT:
                keypresses += 1
                is_active = True
                state.signals.inputs.add(seq, ts, data.get("id"))  # type: ignore[arg-type]
            elif source == _S_MOUSE_MOVE:
                mouse_activity += 1
                is_active = True
            elif source == _S_SCROLL:
                is_active = True
                state.signals.scrolls.add(seq, ts)
            elif source == _S_TOUCH_MOVE:
                mouse_activity += 1
                is_active = True
                touch_seen = True
            elif source == _S_RESIZE:
                is_active = True
                width, height = _int(data.get("width")), _int(data.get("height"))
                if width is not None and height is not None:
                    state.width, state.height = width, height
                    if first_width is None:
                        first_width, first_height = width, height
            elif source == _S_SELECTION:
                state.signals.selections.add(seq, ts)
            elif source == _S_LOG:
                _console_row(seq, window_id, ts, data, state, console_logs)
            else:
                is_active = _int_key(source) in ACTIVE_SOURCES
        elif event_type == _PLUGIN:
            plugin = data.get("plugin")
            plugin = plugin if isinstance(plugin, str) else None
            payload = data.get("payload")
            if plugin == "rrweb/console@1":
                if isinstance(payload, dict):
                    _console_row(seq, window_id, ts, payload, state, console_logs)
                else:
                    rejects.append(_reject("console plugin payload is not an object", seq))
            elif plugin == "rrweb/network@1":
                _network_rows(seq, window_id, ts, payload, network, rejects, url_parts)
            elif plugin == "posthog/network@1":
                _legacy_network_row(seq, window_id, ts, payload, network, rejects, url_parts)
        elif event_type == _META:
            href = data.get("href")
            width, height = _int(data.get("width")), _int(data.get("height"))
            if width is not None and height is not None:
                state.width, state.height = width, height
                if first_width is None:
                    first_width, first_height = width, height
            state.signals.navigations.add(seq, ts)
            if isinstance(href, str) and href.strip():
                url = href.strip()
                if start_url is None:
                    start_url = url
                _visit(seq, window_id, ts, url, "meta", state, page_views, url_parts)
        elif event_type == _FULL:
            node = data.get("node")
            if isinstance(node, dict):
                state.dom.full_snapshot(node)
            state.signals.navigations.add(seq, ts)
        elif event_type == _CUSTOM:
            payload = data.get("payload")
            href = payload.get("href") if isinstance(payload, dict) else None
            if isinstance(href, str) and href.strip():
                url = href.strip()
                if start_url is None:
                    start_url = url
                tag = data.get("tag")
                trigger = _PAGE_TRIGGERS.get(tag) if isinstance(tag, str) else None
                if trigger is not None:
                    if url != state.url:
                        state.signals.navigations.add(seq, ts)
                    _visit(seq, window_id, ts, url, trigger, state, page_views, url_parts)

        # PostHog's segmenter, one event at a time (events are in timestamp order)
        if segment_active is None:
            new_segment = True
        else:
            new_segment = (is_active and not segment_active) or (
                segment_active and last_active + ACTIVITY_THRESHOLD_MS < ts
            )
        if is_active:
            last_active = ts
        if new_segment:
            if segment_active:
                active_total += max(1.0, segment_end - segment_start)
            segment_start = segment_end = ts
            segment_active = is_active
        else:
            segment_end = ts
    if segment_active:
        active_total += max(1.0, segment_end - segment_start)

    # click targets are resolved as each click is seen (the DOM changes afterwards); the flags
    # need what follows the click, so the rows are built once everything has been seen
    session_end = events[-1].event["timestamp"] if events else 0
    signals = {window_id: state.signals for window_id, state in windows.items()}
    frustration = detect_frustration(candidates, signals, session_end, thresholds)
    rage, dead, error = frustration.rage, frustration.dead, frustration.error
    clicks = rows.clicks
    for index, fields in enumerate(pending_clicks):
        clicks.append(Click._make((*fields, index in rage, index in dead, index in error)))

    stats.event_count = len(events)
    stats.window_count = len(windows)
    if events:
        stats.start_ms = int(events[0].event["timestamp"])
        stats.end_ms = int(events[-1].event["timestamp"])
        stats.duration_ms = stats.end_ms - stats.start_ms
    stats.active_ms = int(active_total)
    stats.click_count = len(clicks)
    stats.keypress_count = keypresses
    stats.mouse_activity_count = mouse_activity
    for log in console_logs:
        if log.level_group == "error":
            stats.console_error_count += 1
        elif log.level_group == "warn":
            stats.console_warn_count += 1
        else:
            stats.console_log_count += 1
    stats.rage_click_count = frustration.rage_click_count
    stats.dead_click_count = frustration.dead_click_count
    stats.error_click_count = frustration.error_click_count
    stats.page_view_count = len(page_views)
    stats.network_request_count = len(network)
    stats.start_url = start_url
    stats.viewport_width, stats.viewport_height = first_width, first_height
    if touch_seen or (first_width is not None and first_width < MOBILE_MAX_WIDTH):
        stats.device_type = "Mobile"
    elif first_width is not None or clicks:
        stats.device_type = "Desktop"
    return rows


def _click(
    index: int, seq: int, window_id: str, ts: Any, data: dict[str, Any], kind: str, state: _Window
) -> tuple[tuple[Any, ...], ClickCandidate]:
    """A click's row fields (without flags) and its frustration candidate, at click time."""
    node_id = data.get("id")
    if type(node_id) is not int:
        node_id = None
    x, y = _float(data.get("x")), _float(data.get("y"))
    selector = tag = text = None
    rage_eligible = dead_eligible = False
    if node_id is not None:
        mirror = state.dom.mirror_for(node_id)
        element = mirror.element_for(node_id)
        if element is not None:
            selector = mirror.selector(node_id)
            tag = element.tag.lower() if element.tag else None
            text = mirror.text_of(node_id)
            rage_eligible, dead_eligible = _eligibility(mirror, element, node_id)
    fields = (
        seq,
        window_id,
        int(ts),
        x,
        y,
        kind,
        state.pointer,
        state.url,
        state.path,
        state.width,
        state.height,
        node_id,
        selector,
        tag,
        text,
    )
    candidate = ClickCandidate(
        index, seq, window_id, ts, x, y, kind, node_id, rage_eligible, dead_eligible
    )
    return fields, candidate


def _eligibility(mirror: NodeMirror, element: MirrorNode, node_id: int) -> tuple[bool, bool]:
    """posthog-js's element rules: (may be a rage click, may be a dead click)."""
    target = mirror.get(node_id)
    if target is None or target.node_type != _ELEMENT:
        return False, False  # posthog-js only judges element targets
    # getElementAndParentsForElement: the target and its ancestors up to and including <body>
    chain = [element]
    for ancestor in mirror.ancestors(element.id):
        if ancestor.node_type != _ELEMENT:
            break
        chain.append(ancestor)
        if (ancestor.tag or "").lower() == "body":
            break
    classes = {name for node in chain for name in node.classes}
    rage_eligible = not (classes & _RAGE_IGNORE)
    dead_eligible = (
        (element.tag or "").lower() != "html"
        and not (classes & _DEAD_IGNORE)
        and not any((node.tag or "").lower() == "a" for node in chain)
    )
    return rage_eligible, dead_eligible


def _visit(
    seq: int,
    window_id: str,
    ts: Any,
    url: str,
    trigger: str,
    state: _Window,
    page_views: list[PageView],
    url_parts: dict[str, tuple[str | None, str | None]],
) -> None:
    host, path = _split_url(url, url_parts)
    state.url, state.path = url, path
    if url == state.last_page_url:
        return
    state.last_page_url = url
    page_views.append(
        PageView(seq, window_id, int(ts), url, host, path, state.width, state.height, trigger)
    )


def _console_row(
    seq: int,
    window_id: str,
    ts: Any,
    payload: dict[str, Any],
    state: _Window,
    console_logs: list[ConsoleLog],
) -> None:
    level = payload.get("level")
    level = level if isinstance(level, str) else None
    group = CONSOLE_LEVEL_GROUPS.get(level, "info") if level is not None else "info"
    items = payload.get("payload")
    message = (
        " ".join(_console_text(item) for item in items if item is not None)
        if isinstance(items, list)
        else ""
    )
    frames = payload.get("trace")
    trace = (
        "\n".join(frame if isinstance(frame, str) else _json_text(frame) for frame in frames)
        if isinstance(frames, list) and frames
        else None
    )
    console_logs.append(
        ConsoleLog(seq, window_id, int(ts), level, group, message, trace, state.url)
    )
    if group == "error":
        state.signals.errors.add(seq, ts)


def _console_text(item: Any) -> str:
    """A console payload item as text: the plugin `JSON.stringify`s each logged value."""
    if isinstance(item, str):
        if len(item) >= 2 and item[0] == '"' and item[-1] == '"':
            try:
                decoded = orjson.loads(item)
            except orjson.JSONDecodeError:
                return item
            if isinstance(decoded, str):
                return decoded
        return item
    return _json_text(item)


def _network_rows(
    seq: int,
    window_id: str,
    ts: Any,
    payload: Any,
    network: list[NetworkRequest],
    rejects: list[Reject],
    url_parts: dict[str, tuple[str | None, str | None]],
) -> None:
    requests = payload.get("requests") if isinstance(payload, dict) else None
    if not isinstance(requests, list):
        rejects.append(_reject("network plugin payload has no 'requests' list", seq))
        return
    batch_initial = payload.get("isInitial")
    for index, request in enumerate(requests):
        if index >= NETWORK_SEQ_STRIDE:
            rejects.append(
                _reject(
                    f"network event holds more than {NETWORK_SEQ_STRIDE} requests; the rest "
                    "are skipped",
                    seq,
                    reason="too_many_requests",
                )
            )
            return
        if not isinstance(request, dict):
            rejects.append(_reject(f"network request {index} is not an object", seq))
            continue
        url = request.get("name")
        if not isinstance(url, str) or not url:
            url = request.get("url") if isinstance(request.get("url"), str) else None
        host, path = _split_url(url, url_parts) if url else (None, None)
        status = _int(request.get("status"))
        if status is None:
            status = _int(request.get("responseStatus"))
        duration = _float(request.get("duration"))
        if duration is None:
            start, end = _float(request.get("startTime")), _float(request.get("endTime"))
            if start is not None and end is not None:
                duration = end - start
        stamp = request.get("timestamp")
        is_initial = request.get("isInitial", batch_initial)
        method = request.get("method")
        initiator = request.get("initiatorType")
        entry_type = request.get("entryType")
        network.append(
            NetworkRequest(
                seq * NETWORK_SEQ_STRIDE + index,
                seq,
                index,
                window_id,
                int(stamp) if _is_number(stamp) else int(ts),
                method if isinstance(method, str) else None,
                url,
                host,
                path,
                status,
                duration,
                initiator if isinstance(initiator, str) else None,
                entry_type if isinstance(entry_type, str) else None,
                _int(request.get("transferSize")),
                is_initial if isinstance(is_initial, bool) else None,
                "rrweb/network@1",
                _json_or_none(request.get("requestHeaders")),
                _json_or_none(request.get("responseHeaders")),
                _text_or_none(request.get("requestBody")),
                _text_or_none(request.get("responseBody")),
            )
        )


def _legacy_network_row(
    seq: int,
    window_id: str,
    ts: Any,
    payload: Any,
    network: list[NetworkRequest],
    rejects: list[Reject],
    url_parts: dict[str, tuple[str | None, str | None]],
) -> None:
    if not isinstance(payload, dict):
        rejects.append(_reject("posthog/network@1 payload is not an object", seq))
        return
    url = payload.get(_LEGACY_NAME)
    url = url if isinstance(url, str) and url else None
    host, path = _split_url(url, url_parts) if url else (None, None)
    stamp = payload.get(_LEGACY_TIMESTAMP)
    initiator = payload.get(_LEGACY_INITIATOR)
    entry_type = payload.get(_LEGACY_ENTRY_TYPE)
    network.append(
        NetworkRequest(
            seq * NETWORK_SEQ_STRIDE,
            seq,
            0,
            window_id,
            int(stamp) if _is_number(stamp) else int(ts),
            None,
            url,
            host,
            path,
            _int(payload.get(_LEGACY_STATUS)),
            _float(payload.get(_LEGACY_DURATION)),
            initiator if isinstance(initiator, str) else None,
            entry_type if isinstance(entry_type, str) else None,
            _int(payload.get(_LEGACY_TRANSFER)),
            None,
            "posthog/network@1",
            None,
            None,
            None,
            None,
        )
    )


def _split_url(
    url: str, cache: dict[str, tuple[str | None, str | None]]
) -> tuple[str | None, str | None]:
    """(host, path) of a URL; host keeps the port, like PostHog's `$host`."""
    parts = cache.get(url)
    if parts is None:
        try:
            split = urlsplit(url)
        except ValueError:
            parts = (None, None)
        else:
            host = split.netloc.rpartition("@")[2] or None
            parts = (host, split.path or ("/" if host else None))
        cache[url] = parts
    return parts


def _items(value: Any) -> list[Any]:
    """A mutation's list field, or nothing when a damaged event holds something else there."""
    return value if type(value) is list else []


def _int_key(value: Any) -> int | None:
    """`value` when it is an int (safe as a dict key), else None: data fields can be anything."""
    return value if type(value) is int else None


def _is_number(value: Any) -> TypeGuard[int | float]:
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _int(value: Any) -> int | None:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float and math.isfinite(value):
        return int(value)
    if kind is str and value.strip().lstrip("-").isdecimal():
        return int(value)
    return None


def _float(value: Any) -> float | None:
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    return None


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else _json_text(value)


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else _json_text(value)


def _reject(message: str, seq: int, reason: str = "malformed_payload") -> Reject:
    return Reject(stage="extract", reason=reason, message=message, where=f"event seq {seq}")
