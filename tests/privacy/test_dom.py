"""DOM masking rules on small hand-made streams."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from replayport.privacy import PrivacyPolicy, mask_session
from replayport.privacy.dom import DomMasker, WindowDom
from replayport.privacy.masker import compile_policy
from replayport.rrweb.mirror import MirrorNode, NodeMirror
from replayport.rrweb.types import EventType, SessionEvent
from tests.corpus import SESSIONS
from tests.privacy.helpers import session_events


def _el(
    node_id: int, tag: str, attributes: dict[str, Any] | None = None, *children: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": 2,
        "tagName": tag,
        "attributes": attributes or {},
        "childNodes": list(children),
        "id": node_id,
    }


def _text(node_id: int, text: str) -> dict[str, Any]:
    return {"type": 3, "textContent": text, "id": node_id}


def _snapshot(*body: dict[str, Any], head: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {
        "type": 0,
        "id": 1,
        "childNodes": [
            _el(2, "html", {}, _el(3, "head", {}, *head), _el(4, "body", {}, *body)),
        ],
    }


def _run(
    root: dict[str, Any], *incrementals: dict[str, Any], policy: PrivacyPolicy | None = None
) -> list[dict[str, Any]]:
    events = [
        SessionEvent(
            0,
            "w",
            {
                "type": 4,
                "timestamp": 1,
                "data": {"href": "https://h.test/", "width": 1, "height": 1},
            },
        ),
        SessionEvent(
            1,
            "w",
            {
                "type": 2,
                "timestamp": 2,
                "data": {"node": root, "initialOffset": {"top": 0, "left": 0}},
            },
        ),
    ]
    events.extend(
        SessionEvent(2 + i, "w", {"type": 3, "data": data, "timestamp": 3 + i})
        for i, data in enumerate(incrementals)
    )
    return [e.event for e in mask_session(events, policy or PrivacyPolicy()).events]


def _find(node: dict[str, Any], node_id: int) -> dict[str, Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.get("id") == node_id:
            return current
        stack.extend(current.get("childNodes", []))
    raise KeyError(node_id)


def test_text_nodes_are_masked_keeping_whitespace() -> None:
    root = _snapshot(_el(10, "p", {}, _text(11, "Hello, Marisol\n  Quillfeather ")))
    node = _run(root)[1]["data"]["node"]
    assert _find(node, 11)["textContent"] == "****** *******\n  ************ "


def test_script_style_option_textarea_title() -> None:
    css = "body { background: url(https://h.test/bg.png?user=7) } .x::before{content:'a'}"
    root = _snapshot(
        _el(10, "script", {}, _text(11, "var email='a@b.org'")),
        _el(
            12,
            "select",
            {"value": "2027-01-14"},
            _el(13, "option", {"value": "2027-01-14", "selected": True}, _text(14, "Thu 14 Jan")),
        ),
        _el(15, "textarea", {"value": "migraine"}, _text(16, "migraine")),
        head=(
            _el(20, "title", {}, _text(21, "Marisol's account")),
            _el(22, "style", {}, _text(23, css)),
        ),
    )
    node = _run(root, policy=PrivacyPolicy(mask_all_text=False))[1]["data"]["node"]
    assert _find(node, 11)["textContent"] == "SCRIPT_PLACEHOLDER"
    assert _find(node, 14)["textContent"] == "*** ** ***"  # option text: always masked
    assert _find(node, 16)["textContent"] == "********"  # textarea text: always masked
    assert _find(node, 12)["attributes"]["value"] == "**********"
    assert _find(node, 13)["attributes"] == {"value": "**********", "selected": True}
    assert _find(node, 21)["textContent"] == "Marisol's account"  # mask_all_text=False
    assert _find(node, 23)["textContent"] == css.replace("user=7", "user=[redacted]")


def test_attributes_by_kind() -> None:
    attributes = {
        "id": "patient-1",
        "class": "row patient",
        "type": "text",
        "name": "email",
        "value": "a@b.org",
        "placeholder": "name@example.org",
        "title": "Marisol",
        "alt": "photo",
        "aria-label": "Email of Marisol",
        "aria-hidden": "true",
        "data-patient": "pat_devcanary_042",
        "data-open": "false",
        "onclick": "go('a@b.org')",
        "href": "https://h.test/account?patient=a%40b.org",
        "style": "background:url(/x.png?u=1)",
        "rr_dataURL": "data:image/png;base64,AAAA",
        "tooltip-text": "write to a@b.org",
        "srcset": "/a.png?u=1 1x",
    }
    node = _run(_snapshot(_el(10, "input", dict(attributes))))[1]["data"]["node"]
    assert _find(node, 10)["attributes"] == {
        "id": "patient-1",
        "class": "row patient",
        "type": "text",
        "name": "email",
        "value": "*******",
        "placeholder": "****************",
        "title": "*******",
        "alt": "*****",
        "aria-label": "***** ** *******",
        "aria-hidden": "true",
        "data-patient": "*****************",
        "data-open": "false",
        "onclick": "*************",
        "href": "https://h.test/account?patient=[redacted]",
        "style": "background:url(/x.png?u=[redacted])",
        "tooltip-text": "write to [email]",
        "srcset": "/a.png?u=[redacted] 1x",
    }


def test_meta_content_is_masked_except_layout_metas() -> None:
    root = _snapshot(
        head=(
            _el(20, "meta", {"name": "viewport", "content": "width=device-width"}),
            _el(21, "meta", {"name": "description", "content": "Account of Marisol"}),
        )
    )
    node = _run(root)[1]["data"]["node"]
    assert _find(node, 20)["attributes"]["content"] == "width=device-width"
    assert _find(node, 21)["attributes"]["content"] == "******* ** *******"


def test_unmask_and_mask_selectors() -> None:
    root = _snapshot(
        _el(
            10,
            "section",
            {"class": "marketing"},
            _el(11, "p", {"title": "Our clinic"}, _text(12, "Call 206-555-0188 today")),
            _el(13, "p", {"class": "ph-mask"}, _text(14, "secret")),
            _el(15, "input", {"value": "typed"}),
        ),
        _el(16, "p", {}, _text(17, "Masked")),
    )
    policy = PrivacyPolicy(unmask_selectors=(".marketing",))
    node = _run(root, policy=policy)[1]["data"]["node"]
    assert _find(node, 12)["textContent"] == "Call [phone] today"  # readable, still scrubbed
    assert _find(node, 11)["attributes"]["title"] == "Our clinic"
    assert _find(node, 14)["textContent"] == "******"  # mask selectors win
    assert _find(node, 15)["attributes"]["value"] == "*****"  # inputs always masked
    assert _find(node, 17)["textContent"] == "******"


def test_blocked_elements_become_placeholders() -> None:
    root = _snapshot(
        _el(
            10,
            "img",
            {"src": "/face.jpg", "class": "avatar", "width": "120", "height": 80, "alt": "Marisol"},
        ),
        _el(
            11,
            "div",
            {"class": "card ph-no-capture", "style": "width:3px"},
            _el(12, "p", {}, _text(13, "Marisol")),
        ),
        _el(14, "canvas", {"rr_dataURL": "data:image/png;base64,AAAA", "width": "300"}),
    )
    node = _run(root)[1]["data"]["node"]
    assert _find(node, 10) == {
        "type": 2,
        "tagName": "img",
        "childNodes": [],
        "id": 10,
        "needBlock": True,
        "attributes": {"class": "avatar", "rr_width": "120px", "rr_height": "80px"},
    }
    assert _find(node, 11)["attributes"] == {"class": "card ph-no-capture"}
    assert _find(node, 11)["childNodes"] == []
    assert _find(node, 14)["attributes"] == {"rr_width": "300px"}


def test_mutations_under_blocked_elements_are_dropped() -> None:
    root = _snapshot(
        _el(10, "div", {"class": "ph-no-capture"}, _el(11, "p", {}, _text(12, "x"))),
        _el(20, "div", {}, _text(21, "y")),
    )
    events = _run(
        root,
        {
            "source": 0,
            "adds": [
                {"parentId": 11, "nextId": None, "node": _text(30, "Marisol")},
                {"parentId": 31, "nextId": None, "node": _text(32, "nested in new blocked")},
                {
                    "parentId": 20,
                    "nextId": None,
                    "node": _el(31, "div", {"class": "ph-no-capture", "title": "t"}),
                },
                {"parentId": 20, "nextId": None, "node": _text(33, "visible")},
                {"parentId": 20, "nextId": None, "node": _el(34, "img", {"src": "/x.png"})},
            ],
            "removes": [{"parentId": 11, "id": 12}],
            "texts": [{"id": 12, "value": "z"}, {"id": 21, "value": "Quill"}],
            "attributes": [
                {"id": 11, "attributes": {"title": "a"}},
                {"id": 10, "attributes": {"class": "x"}},
                {"id": 20, "attributes": {"title": "Marisol", "data-x": None}},
            ],
        },
        {
            "source": 0,
            "adds": [],
            "texts": [],
            "attributes": [],
            "removes": [{"parentId": 20, "id": 31}, {"parentId": 31, "id": 32}],
        },
        {"source": 9, "id": 34, "type": 0, "commands": [{"property": "fillText", "args": ["a"]}]},
    )
    mutation = events[2]["data"]
    assert [a["node"]["id"] for a in mutation["adds"]] == [31, 33, 34]
    assert mutation["adds"][0]["node"]["attributes"] == {"class": "ph-no-capture"}
    assert mutation["adds"][1]["node"]["textContent"] == "*******"
    assert mutation["adds"][2]["node"]["needBlock"] is True
    assert mutation["removes"] == []
    assert mutation["texts"] == [{"id": 21, "value": "*****"}]
    assert mutation["attributes"] == [
        {"id": 20, "attributes": {"title": "*******", "data-x": None}}
    ]
    assert events[3]["data"]["removes"] == [{"parentId": 20, "id": 31}]
    assert events[4]["data"]["commands"] == []


def test_text_mutations_use_the_parent_from_the_mirror() -> None:
    root = _snapshot(
        _el(10, "p", {}, _text(11, "a")),
        _el(12, "style", {}, _text(13, "p{}")),
        _el(14, "script", {}, _text(15, "SCRIPT_PLACEHOLDER")),
    )
    events = _run(
        root,
        {
            "source": 0,
            "adds": [],
            "removes": [],
            "attributes": [],
            "texts": [
                {"id": 11, "value": "Marisol"},
                {"id": 13, "value": "p{background:url(/a?b=c)}"},
                {"id": 15, "value": "var a = 1"},
            ],
        },
    )
    assert events[2]["data"]["texts"] == [
        {"id": 11, "value": "*******"},
        {"id": 13, "value": "p{background:url(/a?b=[redacted])}"},
        {"id": 15, "value": "SCRIPT_PLACEHOLDER"},
    ]


def test_input_events() -> None:
    root = _snapshot(_el(10, "input", {"type": "checkbox"}), _el(11, "input", {}))
    events = _run(
        root,
        {"source": 5, "id": 10, "text": "on", "isChecked": True},
        {"source": 5, "id": 11, "text": "Marisol Q", "isChecked": False, "userTriggered": True},
        {"source": 5, "id": 11, "text": "", "isChecked": False},
    )
    assert [e["data"] for e in events[2:]] == [
        {"source": 5, "id": 10, "text": "**", "isChecked": True},
        {"source": 5, "id": 11, "text": "*********", "isChecked": False, "userTriggered": True},
        {"source": 5, "id": 11, "text": "", "isChecked": False},
    ]


def test_stylesheet_events_and_untouched_sources() -> None:
    root = _snapshot()
    moves = {"source": 1, "positions": [{"x": 1, "y": 2, "id": 4, "timeOffset": 0}]}
    events = _run(
        root,
        {"source": 8, "id": 5, "adds": [{"rule": "a{background:url(/i.png?t=1)}", "index": 0}]},
        {"source": 13, "id": 5, "set": {"property": "background", "value": "url(/i.png?t=1)"}},
        dict(moves),
        {"source": 11, "level": "log", "trace": [], "payload": ['"a@b.org"']},
    )
    assert events[2]["data"]["adds"][0]["rule"] == "a{background:url(/i.png?t=[redacted])}"
    assert events[3]["data"]["set"]["value"] == "url(/i.png?t=[redacted])"
    assert events[4]["data"] == moves
    assert events[5]["data"]["payload"] == ['"[email]"']


def test_packed_or_corrupt_events_are_not_stored() -> None:
    events = [
        SessionEvent(0, "w", {"type": 2, "data": "\x1f\x8b packed", "timestamp": 1}),
        SessionEvent(
            1,
            "w",
            {"type": 3, "data": {"source": 0, "adds": "\x1f\x8b", "texts": []}, "timestamp": 2},
        ),
        SessionEvent(2, "w", {"type": 1, "timestamp": 3}),
    ]
    masked = mask_session(events, PrivacyPolicy())
    assert [e.seq for e in masked.events] == [2]
    assert masked.redactions["unmaskable_events"] == 2


@pytest.mark.parametrize("session", SESSIONS)
@pytest.mark.parametrize("block", [(), ("div", "svg", ".ph-no-capture")])
def test_masking_walk_feeds_the_mirror_like_a_separate_rebuild(
    session: str, block: tuple[str, ...]
) -> None:
    """The window mirror filled during the masking walk equals one rebuilt from the unmasked
    snapshot: every node (blocked subtrees included), unmasked attributes, parent links."""
    compiled = compile_policy(PrivacyPolicy(block_selectors=block))
    masker = DomMasker(
        compiled.scrubber,
        compiled.urls,
        mask_all_text=True,
        mask=compiled.mask,
        unmask=compiled.unmask,
        block=compiled.block,
        counts=Counter(),
    )
    snapshots = [e for e in session_events(session) if e.event["type"] == EventType.FULL_SNAPSHOT]
    assert snapshots
    for item in snapshots:
        reference = NodeMirror(track_children=False)
        reference.apply_full_snapshot(copy.deepcopy(item.event["data"]["node"]))
        window = WindowDom()
        masker.full_snapshot(item.event["data"], window)
        assert len(window.mirror) == len(reference) > 50

        def fields(node: MirrorNode) -> tuple[Any, ...]:
            return (node.node_type, node.tag, node.attributes, node.parent)

        for node_id in reference._nodes:  # noqa: SLF001 - comparing whole mirrors
            assert fields(window.mirror.get(node_id)) == fields(reference.get(node_id))
        if block:
            assert window.blocked and window.hidden
