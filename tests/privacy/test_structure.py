"""Masking never changes the structure of the stream: the masked stream still replays.

On the real recordings (nothing is blocked there) node ids, parent links, node types, tags,
event order, types, sources and timestamps must be identical. On generated trees with blocked
elements, exactly the descendants of blocked elements disappear, consistently in full snapshots
and later mutations.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replayport.privacy import PrivacyPolicy, mask_session
from replayport.rrweb.types import EventType, IncrementalSource, SessionEvent
from tests.corpus import SESSIONS
from tests.privacy.helpers import deep_copy, session_events

# --- structure signatures ------------------------------------------------------------------


def _tree(node: dict[str, Any], parent: int | None, out: list[tuple[Any, ...]]) -> None:
    stack = [(node, parent)]
    while stack:
        current, parent_id = stack.pop()
        out.append((current.get("id"), parent_id, current.get("type"), current.get("tagName")))
        for child in reversed(current.get("childNodes") or []):
            stack.append((child, current.get("id")))


def _signature(events: list[SessionEvent]) -> list[tuple[Any, ...]]:
    signature: list[tuple[Any, ...]] = []
    for item in events:
        event = item.event
        data = event["data"]
        head = (item.seq, item.window_id, event["type"], event["timestamp"], data.get("source"))
        nodes: list[tuple[Any, ...]] = []
        if event["type"] == EventType.FULL_SNAPSHOT:
            _tree(data["node"], None, nodes)
            nodes.append(("offset", repr(data.get("initialOffset"))))
        elif event["type"] == EventType.INCREMENTAL_SNAPSHOT:
            source = data.get("source")
            if source == IncrementalSource.MUTATION:
                for addition in data.get("adds", []):
                    nodes.append(("add", addition.get("parentId"), addition.get("nextId")))
                    _tree(addition["node"], addition.get("parentId"), nodes)
                nodes.extend(
                    ("remove", r.get("parentId"), r.get("id")) for r in data.get("removes", [])
                )
                nodes.extend(("text", t.get("id")) for t in data.get("texts", []))
                nodes.extend(
                    ("attrs", a.get("id"), tuple(sorted(a.get("attributes", {}))))
                    for a in data.get("attributes", [])
                )
            elif source == IncrementalSource.INPUT:
                nodes.append(("input", data.get("id"), data.get("isChecked"), len(data["text"])))
            else:
                nodes.append(("data", repr(sorted(data.items()))))
        elif event["type"] == EventType.META:
            nodes.append(("meta", data.get("width"), data.get("height")))
        elif event["type"] == EventType.PLUGIN:
            nodes.append(("plugin", data.get("plugin")))
        elif event["type"] == EventType.CUSTOM:
            nodes.append(("custom", data.get("tag"), tuple(sorted(data.get("payload") or {}))))
        signature.append((head, tuple(nodes)))
    return signature


@pytest.mark.parametrize("session", SESSIONS)
def test_corpus_structure_is_unchanged(session: str) -> None:
    events = session_events(session)
    before = _signature(deep_copy(events))
    masked = mask_session(events, PrivacyPolicy())
    assert _signature(masked.events) == before


@pytest.mark.parametrize("session", SESSIONS)
def test_corpus_structure_is_unchanged_with_everything_unmasked(session: str) -> None:
    events = session_events(session)
    before = _signature(deep_copy(events))
    policy = PrivacyPolicy(mask_all_text=False, unmask_selectors=("body",), block_selectors=())
    masked = mask_session(events, policy)
    assert _signature(masked.events) == before


# --- generated streams ---------------------------------------------------------------------

_TAGS = [
    "div",
    "p",
    "span",
    "a",
    "img",
    "video",
    "script",
    "style",
    "option",
    "textarea",
    "section",
    "canvas",
    "li",
    "button",
]
_TEXT = st.text(
    alphabet=st.sampled_from(list("ab cd@.1234567890-+é\n\t*")), min_size=0, max_size=30
)
_ATTRS = st.dictionaries(
    st.sampled_from(
        [
            "class",
            "id",
            "title",
            "alt",
            "href",
            "src",
            "value",
            "data-x",
            "style",
            "placeholder",
            "aria-label",
            "rr_dataURL",
            "width",
            "onclick",
        ]
    ),
    st.one_of(
        _TEXT,
        st.sampled_from(["ph-no-capture", "a ph-no-capture", "keep", "https://h.test/p?q=1#f"]),
    ),
    max_size=4,
)


class _Ids:
    def __init__(self) -> None:
        self.next = 10

    def take(self) -> int:
        self.next += 1
        return self.next


@st.composite
def _subtree(draw: st.DrawFn, ids: _Ids, depth: int = 0) -> dict[str, Any]:
    if depth >= 4 or draw(st.integers(0, 3)) == 0:
        return {
            "type": draw(st.sampled_from([3, 3, 3, 5])),
            "textContent": draw(_TEXT),
            "id": ids.take(),
        }
    node_id = ids.take()
    children = draw(st.lists(_subtree(ids, depth + 1), max_size=4))
    return {
        "type": 2,
        "tagName": draw(st.sampled_from(_TAGS)),
        "attributes": draw(_ATTRS),
        "childNodes": children,
        "id": node_id,
    }


def _document(body_children: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": 0,
        "id": 1,
        "childNodes": [
            {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": 2},
            {
                "type": 2,
                "tagName": "html",
                "attributes": {},
                "id": 3,
                "childNodes": [
                    {
                        "type": 2,
                        "tagName": "body",
                        "attributes": {},
                        "id": 4,
                        "childNodes": body_children,
                    },
                ],
            },
        ],
    }


def _blocked(node: dict[str, Any]) -> bool:
    classes = str(node.get("attributes", {}).get("class", "")).split()
    return node.get("type") == 2 and (
        node["tagName"] in ("img", "video", "canvas") or "ph-no-capture" in classes
    )


def _expected_nodes(root: dict[str, Any], parent: int | None) -> dict[int, tuple[Any, ...]]:
    """id → (parent, type, tag) of the nodes that must survive blocking."""
    kept: dict[int, tuple[Any, ...]] = {}
    stack = [(root, parent)]
    while stack:
        node, parent_id = stack.pop()
        kept[node["id"]] = (parent_id, node["type"], node.get("tagName"))
        if not _blocked(node):
            stack.extend((child, node["id"]) for child in node.get("childNodes", []))
    return kept


def _actual_nodes(root: dict[str, Any], parent: int | None) -> dict[int, tuple[Any, ...]]:
    nodes: list[tuple[Any, ...]] = []
    _tree(root, parent, nodes)
    return {node_id: (parent_id, kind, tag) for node_id, parent_id, kind, tag in nodes}


@st.composite
def _streams(draw: st.DrawFn) -> tuple[list[SessionEvent], dict[str, Any]]:
    ids = _Ids()
    body = draw(st.lists(_subtree(ids), min_size=1, max_size=5))
    root = _document(body)
    events = [
        SessionEvent(
            0,
            "w",
            {
                "type": 4,
                "data": {"href": "https://h.test/x", "width": 1, "height": 1},
                "timestamp": 1,
            },
        ),
        SessionEvent(
            1,
            "w",
            {
                "type": 2,
                "data": {"node": root, "initialOffset": {"top": 0, "left": 0}},
                "timestamp": 2,
            },
        ),
    ]
    element_ids = [n for n in _all_nodes(root) if n.get("type") == 2]
    additions = []
    for _ in range(draw(st.integers(0, 4))):
        parent = draw(st.sampled_from(element_ids))
        subtree = draw(_subtree(ids, 2))
        additions.append({"parentId": parent["id"], "nextId": None, "node": subtree})
    texts = [
        {"id": n["id"], "value": draw(_TEXT)}
        for n in _all_nodes(root)
        if n.get("type") == 3 and draw(st.booleans())
    ]
    attributes = [
        {"id": n["id"], "attributes": draw(_ATTRS)} for n in element_ids if draw(st.booleans())
    ]
    events.append(
        SessionEvent(
            2,
            "w",
            {
                "type": 3,
                "timestamp": 3,
                "data": {
                    "source": 0,
                    "adds": additions,
                    "removes": [],
                    "texts": texts,
                    "attributes": attributes,
                },
            },
        )
    )
    events.append(
        SessionEvent(
            3,
            "w",
            {
                "type": 3,
                "timestamp": 4,
                "data": {
                    "source": 5,
                    "id": element_ids[0]["id"],
                    "text": draw(_TEXT),
                    "isChecked": False,
                },
            },
        )
    )
    return events, root


def _all_nodes(root: dict[str, Any]) -> list[dict[str, Any]]:
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("childNodes", []))
    return nodes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_streams())
def test_masking_never_changes_structure(stream: tuple[list[SessionEvent], dict[str, Any]]) -> None:
    events, _ = stream
    original = deep_copy(events)
    masked = mask_session(events, PrivacyPolicy())
    # event order, types, sources, timestamps
    assert [
        (e.seq, e.event["type"], e.event["timestamp"], e.event["data"].get("source"))
        for e in masked.events
    ] == [
        (e.seq, e.event["type"], e.event["timestamp"], e.event["data"].get("source"))
        for e in original
    ]
    root_before = original[1].event["data"]["node"]
    root_after = masked.events[1].event["data"]["node"]
    expected = _expected_nodes(root_before, None)
    assert _actual_nodes(root_after, None) == expected
    # hidden = everything that exists in the original DOM but not in the masked one
    hidden = {n["id"] for n in _all_nodes(root_before)} - set(expected)
    blocked_ids = {
        node_id
        for node_id, info in expected.items()
        if info[1] == 2 and _blocked(_find(root_before, node_id))
    }

    mutation_before = original[2].event["data"]
    mutation_after = masked.events[2].event["data"]
    kept_adds = []
    for addition in mutation_before["adds"]:
        if addition["parentId"] in hidden or addition["parentId"] in blocked_ids:
            hidden |= {n["id"] for n in _all_nodes(addition["node"])}
        else:
            kept_adds.append(addition)
    assert [(a["parentId"], _expected_nodes(a["node"], a["parentId"])) for a in kept_adds] == [
        (a["parentId"], _actual_nodes(a["node"], a["parentId"])) for a in mutation_after["adds"]
    ]
    assert [t["id"] for t in mutation_after["texts"]] == [
        t["id"] for t in mutation_before["texts"] if t["id"] not in hidden
    ]
    assert [a["id"] for a in mutation_after["attributes"]] == [
        a["id"]
        for a in mutation_before["attributes"]
        if a["id"] not in hidden and a["id"] not in blocked_ids
    ]
    # blocked placeholders carry rrweb's shape
    for node_id in blocked_ids:
        placeholder = _find(root_after, node_id)
        assert placeholder["childNodes"] == [] and placeholder.get("needBlock") is True
        assert set(placeholder["attributes"]) <= {"class", "rr_width", "rr_height"}
    # the input keeps id, checked state and length, and shows only stars
    data = masked.events[3].event["data"]
    assert data["id"] == original[3].event["data"]["id"]
    assert len(data["text"]) == len(original[3].event["data"]["text"])
    assert set(data["text"]) <= {"*"}


def _find(root: dict[str, Any], node_id: int) -> dict[str, Any]:
    return next(n for n in _all_nodes(root) if n.get("id") == node_id)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_streams())
def test_masked_text_keeps_whitespace_and_length(
    stream: tuple[list[SessionEvent], dict[str, Any]],
) -> None:
    events, _ = stream
    policy = PrivacyPolicy(block_selectors=())
    original = deep_copy(events)
    masked = mask_session(events, policy)
    before = {n["id"]: n for n in _all_nodes(original[1].event["data"]["node"])}
    for node in _all_nodes(masked.events[1].event["data"]["node"]):
        if node.get("type") not in (3, 5):
            continue
        text, raw = node["textContent"], before[node["id"]]["textContent"]
        if text == "SCRIPT_PLACEHOLDER":
            continue
        parent_tags = {
            n.get("tagName")
            for n in _all_nodes(original[1].event["data"]["node"])
            if any(c.get("id") == node["id"] for c in n.get("childNodes", []))
        }
        if "style" in parent_tags:
            continue
        assert len(text) == len(raw)
        assert all(c == "*" or c.isspace() for c in text)
        assert [c.isspace() for c in text] == [c.isspace() for c in raw]
