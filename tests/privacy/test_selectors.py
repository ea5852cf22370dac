"""The CSS selector subset, evaluated on a NodeMirror."""

from __future__ import annotations

import pytest

from replayport.errors import ConfigError
from replayport.privacy.selectors import SelectorSet, parse_selector
from replayport.rrweb.mirror import NodeMirror


def _mirror() -> NodeMirror:
    mirror = NodeMirror()
    mirror.apply_full_snapshot(
        {
            "type": 0,
            "id": 1,
            "childNodes": [
                {
                    "type": 2,
                    "tagName": "html",
                    "attributes": {},
                    "id": 2,
                    "childNodes": [
                        {
                            "type": 2,
                            "tagName": "body",
                            "attributes": {"class": "app"},
                            "id": 3,
                            "childNodes": [
                                {
                                    "type": 2,
                                    "tagName": "form",
                                    "attributes": {"id": "booking"},
                                    "id": 4,
                                    "childNodes": [
                                        {
                                            "type": 2,
                                            "tagName": "div",
                                            "attributes": {"class": "row secret"},
                                            "id": 5,
                                            "childNodes": [
                                                {
                                                    "type": 2,
                                                    "tagName": "INPUT",
                                                    "attributes": {
                                                        "type": "password",
                                                        "data-kind": "pin-code",
                                                    },
                                                    "id": 6,
                                                    "childNodes": [],
                                                },
                                            ],
                                        },
                                    ],
                                },
                                {
                                    "type": 2,
                                    "tagName": "a",
                                    "id": 7,
                                    "attributes": {"href": "mailto:x@y.z", "hidden": True},
                                    "childNodes": [{"type": 3, "textContent": "x", "id": 8}],
                                },
                            ],
                        },
                    ],
                },
            ],
        }
    )
    return mirror


@pytest.mark.parametrize(
    ("selector", "node_id", "expected"),
    [
        ("input", 6, True),
        ("INPUT", 6, True),
        ("*", 6, True),
        ("#booking", 4, True),
        (".secret", 5, True),
        (".row.secret", 5, True),
        (".row.public", 5, False),
        ("[type]", 6, True),
        ("[type=password]", 6, True),
        ('[type="text"]', 6, False),
        ("[TYPE='password']", 6, True),
        ("[data-kind^=pin]", 6, True),
        ("[data-kind$=code]", 6, True),
        ("[data-kind*=n-c]", 6, True),
        ("[data-kind|=pin]", 6, True),
        ("[class~=row]", 5, True),
        ("[hidden]", 7, True),
        ("form input", 6, True),
        ("form > input", 6, False),
        ("form > div > input", 6, True),
        ("body form .secret input", 6, True),
        ("form#booking .secret > input[type=password]", 6, True),
        ("nav input", 6, False),
        ("img, input", 6, True),
        ("a[href^=mailto]", 7, True),
        ("a", 8, False),  # text nodes are never selected
    ],
)
def test_matches(selector: str, node_id: int, expected: bool) -> None:
    mirror = _mirror()
    assert SelectorSet([selector]).matches(mirror.get(node_id), mirror) is expected


def test_self_or_ancestor() -> None:
    mirror = _mirror()
    selectors = SelectorSet(["form"])
    assert selectors.matches_self_or_ancestor(mirror.get(6), mirror)
    assert not selectors.matches_self_or_ancestor(mirror.get(7), mirror)


@pytest.mark.parametrize(
    "selector",
    [
        "a:hover",
        "a::before",
        "a + b",
        "a ~ b",
        "> a",
        "a >",
        "a,",
        "",
        "   ",
        "ns|a",
        "[x=y i]",
        "a[",
        ":not(.x)",
        "a)",
        "#",
    ],
)
def test_unsupported_syntax_is_a_config_error(selector: str) -> None:
    with pytest.raises(ConfigError, match="privacy.block_selectors"):
        SelectorSet([selector], "privacy.block_selectors")


def test_parse_shapes() -> None:
    (selector,) = parse_selector("form#booking > div .x[type=password]")
    assert selector.combinators == (" ", ">")
    assert [c.tag for c in selector.compounds] == [None, "div", "form"]
    assert len(parse_selector("img, video , .ph-no-capture")) == 3
