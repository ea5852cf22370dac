"""A small CSS selector subset, evaluated on rrweb's serialized nodes through a `NodeMirror`.

Supported (enough for block/mask/unmask lists, which is what recorders accept too):

- type selectors `img`, universal `*`;
- `#id`, `.class`;
- attribute selectors `[attr]`, `[attr=value]`, `[attr~=value]`, `[attr^=value]`,
  `[attr$=value]`, `[attr*=value]`, `[attr|=value]`; values bare or quoted;
- compound selectors `button.primary[type=submit]`;
- descendant (`form .secret`) and child (`form > input`) combinators;
- selector lists `img, video, .ph-no-capture`.

Anything else (pseudo-classes, sibling combinators `+`/`~`, namespaces, attribute flags) is
rejected with a `ConfigError` at policy construction, never silently ignored: an unsupported
selector that matched nothing would leave data unmasked. Tag and attribute names compare
case-insensitively, ids/classes/values case-sensitively, as in HTML documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from replayport.errors import ConfigError
from replayport.rrweb.mirror import MirrorNode, NodeMirror
from replayport.rrweb.types import NodeType

__all__ = ["Selector", "SelectorSet", "parse_selector"]

_IDENT = r"-?(?:[_a-zA-Z\u00a0-\uffff]|\\.)(?:[_a-zA-Z0-9\u00a0-\uffff\-]|\\.)*"
_COMBINATOR = re.compile(r"\s*>\s*|\s+")
_SIMPLE = re.compile(
    rf"""
    (?P<tag>{_IDENT}|\*)
    |\#(?P<id>{_IDENT})
    |\.(?P<cls>{_IDENT})
    |\[\s*(?P<attr>{_IDENT})\s*
        (?:(?P<op>[~^$*|]?=)\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>{_IDENT}|[0-9]+)))?
     \s*\]
    """,
    re.VERBOSE,
)


class _AttrTest(NamedTuple):
    name: str
    op: str | None
    value: str | None

    def test(self, attributes: dict[str, object] | None) -> bool:
        if not attributes:
            return False
        actual = attributes.get(self.name)
        if actual is None:
            # attribute names are case-insensitive in HTML; rrweb keeps them as written
            for key, candidate in attributes.items():
                if key.lower() == self.name:
                    actual = candidate
                    break
            else:
                return False
        if self.op is None:
            return actual is not False
        text = "" if actual is True else str(actual)
        expected = self.value or ""
        if self.op == "=":
            return text == expected
        if self.op == "~=":
            return expected in text.split()
        if self.op == "^=":
            return bool(expected) and text.startswith(expected)
        if self.op == "$=":
            return bool(expected) and text.endswith(expected)
        if self.op == "*=":
            return bool(expected) and expected in text
        return text == expected or text.startswith(expected + "-")  # |=


class _Compound(NamedTuple):
    tag: str | None
    ids: tuple[str, ...]
    classes: tuple[str, ...]
    attrs: tuple[_AttrTest, ...]

    def test(self, node: MirrorNode) -> bool:
        if node.node_type != NodeType.ELEMENT:
            return False
        if self.tag is not None and (node.tag or "").lower() != self.tag:
            return False
        if self.ids and node.element_id not in self.ids:
            return False
        if self.classes:
            classes = node.classes
            if any(c not in classes for c in self.classes):
                return False
        return all(a.test(node.attributes) for a in self.attrs)


class Selector(NamedTuple):
    """One complex selector: compounds from right to left and the combinators between them."""

    text: str
    compounds: tuple[_Compound, ...]
    """Rightmost (the subject) first."""
    combinators: tuple[str, ...]
    """`combinators[i]` joins `compounds[i]` to `compounds[i + 1]`: `" "` or `">"`."""

    def matches(self, node: MirrorNode, mirror: NodeMirror) -> bool:
        """Whether the element `node` (with ancestors from `mirror`) is selected."""
        if not self.compounds[0].test(node):
            return False
        return self._match_from(1, node, mirror)

    def _match_from(self, index: int, node: MirrorNode, mirror: NodeMirror) -> bool:
        if index == len(self.compounds):
            return True
        compound = self.compounds[index]
        if self.combinators[index - 1] == ">":
            parent = _parent_element(node, mirror)
            return (
                parent is not None
                and compound.test(parent)
                and self._match_from(index + 1, parent, mirror)
            )
        for ancestor in _ancestor_elements(node, mirror):
            if compound.test(ancestor) and self._match_from(index + 1, ancestor, mirror):
                return True
        return False


def _ancestor_elements(node: MirrorNode, mirror: NodeMirror) -> Iterator[MirrorNode]:
    for ancestor in mirror.ancestors(node.id):
        if ancestor.node_type == NodeType.ELEMENT:
            yield ancestor


def _parent_element(node: MirrorNode, mirror: NodeMirror) -> MirrorNode | None:
    parent = mirror.get(node.parent)
    return parent if parent is not None and parent.node_type == NodeType.ELEMENT else None


def _unescape(ident: str) -> str:
    return re.sub(r"\\(.)", r"\1", ident) if "\\" in ident else ident


def parse_selector(text: str, setting: str = "selector") -> list[Selector]:
    """Parse a selector list into its complex selectors.

    Args:
        text: e.g. `"img, .ph-no-capture, form#signup > input[type=password]"`.
        setting: The setting name to put in the error message.

    Raises:
        ConfigError: Empty or unsupported syntax (the message names the setting and selector).
    """
    selectors = []
    for part in _split_list(text, setting):
        selectors.append(_parse_complex(part, setting))
    return selectors


def _split_list(text: str, setting: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{setting}: empty CSS selector")
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    stripped = [p.strip() for p in parts]
    if any(not p for p in stripped):
        raise ConfigError(f"{setting}: empty selector in list {text!r}")
    return stripped


class _Builder:
    __slots__ = ("attrs", "classes", "ids", "tag")

    def __init__(self) -> None:
        self.tag: str | None = None
        self.ids: list[str] = []
        self.classes: list[str] = []
        self.attrs: list[_AttrTest] = []

    def build(self) -> _Compound:
        return _Compound(self.tag, tuple(self.ids), tuple(self.classes), tuple(self.attrs))


def _parse_complex(text: str, setting: str) -> Selector:
    compounds: list[_Compound] = []
    combinators: list[str] = []
    current: _Builder | None = None
    position = 0
    while position < len(text):
        match = _COMBINATOR.match(text, position)
        if match is not None:
            if current is None:
                raise ConfigError(f"{setting}: selector {text!r} has a misplaced combinator")
            compounds.append(current.build())
            combinators.append(">" if ">" in match.group() else " ")
            current = None
            position = match.end()
            continue
        match = _SIMPLE.match(text, position)
        if match is None:
            raise ConfigError(
                f"{setting}: unsupported CSS selector syntax at {text[position : position + 12]!r} "
                f"in {text!r} (supported: tag, *, #id, .class, [attr], [attr=value], "
                "descendant and > combinators, comma lists)"
            )
        if current is None:
            current = _Builder()
        if match.group("tag") is not None:
            if current.tag is not None or current.ids or current.classes or current.attrs:
                raise ConfigError(f"{setting}: misplaced type selector in {text!r}")
            value = match.group("tag")
            current.tag = None if value == "*" else _unescape(value).lower()
        elif match.group("id") is not None:
            current.ids.append(_unescape(match.group("id")))
        elif match.group("cls") is not None:
            current.classes.append(_unescape(match.group("cls")))
        else:
            quoted = (match.group("dq"), match.group("sq"), match.group("bare"))
            raw = next((v for v in quoted if v is not None), None)
            current.attrs.append(
                _AttrTest(_unescape(match.group("attr")).lower(), match.group("op"), raw)
            )
        position = match.end()
    if current is None:
        raise ConfigError(f"{setting}: selector {text!r} ends with a combinator")
    compounds.append(current.build())
    compounds.reverse()
    combinators.reverse()
    return Selector(text, tuple(compounds), tuple(combinators))


class SelectorSet:
    """A list of selectors, indexed by the subject's tag/class/id for fast rejection.

    Most elements of a page match none of the configured selectors; the index turns the check
    into a couple of dict lookups instead of one test per selector.

    Args:
        selectors: Selector-list strings (each may contain commas).
        setting: The setting name to put in error messages.

    Raises:
        ConfigError: A selector uses unsupported syntax.
    """

    __slots__ = ("_by_class", "_by_id", "_by_tag", "_generic", "selectors")

    def __init__(self, selectors: Iterable[str] = (), setting: str = "selectors") -> None:
        self.selectors: tuple[Selector, ...] = tuple(
            selector for text in selectors for selector in parse_selector(text, setting)
        )
        self._by_tag: dict[str, list[Selector]] = {}
        self._by_class: dict[str, list[Selector]] = {}
        self._by_id: dict[str, list[Selector]] = {}
        self._generic: list[Selector] = []
        for selector in self.selectors:
            subject = selector.compounds[0]
            if subject.ids:
                self._by_id.setdefault(subject.ids[0], []).append(selector)
            elif subject.classes:
                self._by_class.setdefault(subject.classes[0], []).append(selector)
            elif subject.tag is not None:
                self._by_tag.setdefault(subject.tag, []).append(selector)
            else:
                self._generic.append(selector)

    def __bool__(self) -> bool:
        return bool(self.selectors)

    def __len__(self) -> int:
        return len(self.selectors)

    def matches(self, node: MirrorNode | None, mirror: NodeMirror) -> bool:
        """Whether any selector selects the element `node` (False for non-elements/None)."""
        if node is None or node.node_type != NodeType.ELEMENT or not self.selectors:
            return False
        candidates: list[Selector] | None = None
        if self._by_tag and node.tag:
            found = self._by_tag.get(node.tag.lower())
            if found:
                candidates = list(found)
        attributes = node.attributes
        if attributes:
            if self._by_class:
                names = attributes.get("class")
                if isinstance(names, str) and names:
                    for name in names.split():
                        found = self._by_class.get(name)
                        if found:
                            candidates = [*(candidates or ()), *found]
            if self._by_id:
                found = self._by_id.get(node.element_id or "")
                if found:
                    candidates = [*(candidates or ()), *found]
        if self._generic:
            candidates = [*(candidates or ()), *self._generic]
        if not candidates:
            return False
        for selector in candidates:
            if selector.matches(node, mirror):
                return True
        return False

    def might_match(self, tag: Any, attributes: Any) -> bool:
        """Cheap pre-check on a serialized element's raw `tagName`/`attributes`.

        False means no selector can select it, so the mirror need not be consulted; True means
        `matches` must decide (combinators, attribute tests).
        """
        if not self.selectors:
            return False
        if self._generic:
            return True
        if self._by_tag and isinstance(tag, str) and tag.lower() in self._by_tag:
            return True
        if isinstance(attributes, dict) and attributes:
            if self._by_class:
                names = attributes.get("class")
                if isinstance(names, str) and names:
                    by_class = self._by_class
                    if any(name in by_class for name in names.split()):
                        return True
            if self._by_id and attributes.get("id") in self._by_id:
                return True
        return False

    def matches_self_or_ancestor(self, node: MirrorNode | None, mirror: NodeMirror) -> bool:
        """Whether `node` or any of its ancestor elements is selected."""
        if node is None or not self.selectors:
            return False
        if self.matches(node, mirror):
            return True
        return any(self.matches(a, mirror) for a in _ancestor_elements(node, mirror))
