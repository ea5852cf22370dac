"""A mirror of one window's DOM, rebuilt from full snapshots and mutations.

rrweb refers to elements only by node id; the mirror answers "what element is node 57, and what
are its ancestors" for click targets (extraction) and selector matching (privacy). It keeps only
what those need: node type, tag, attributes, parent, children and text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from replayport.rrweb.types import NodeType

__all__ = ["MirrorNode", "NodeMirror"]

_SELECTOR_DEPTH = 5
_TEXT_LIMIT = 200


class MirrorNode:
    """One serialized node as the mirror knows it."""

    __slots__ = ("attributes", "children", "id", "node_type", "parent", "tag", "text")

    def __init__(
        self,
        node_id: int,
        node_type: int,
        tag: str | None,
        attributes: dict[str, Any] | None,
        parent: int | None,
        text: str | None,
    ) -> None:
        self.id = node_id
        self.node_type = node_type
        self.tag = tag
        self.attributes = attributes
        self.parent = parent
        self.children: list[int] = []
        self.text = text

    @property
    def classes(self) -> list[str]:
        value = self.attributes.get("class") if self.attributes else None
        return value.split() if isinstance(value, str) else []

    @property
    def element_id(self) -> str | None:
        value = self.attributes.get("id") if self.attributes else None
        return value if isinstance(value, str) and value else None


class NodeMirror:
    """id → node for one window; feed it events in order with `apply_event`."""

    def __init__(self, *, track_children: bool = True) -> None:
        self._nodes: dict[int, MirrorNode] = {}
        self.track_children = track_children
        """False keeps no child lists (`text_of` then sees no descendants): selector matching
        needs only parents, and sibling bookkeeping is most of the cost of a rebuild."""

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, node_id: int | None) -> MirrorNode | None:
        return self._nodes.get(node_id) if node_id is not None else None  # type: ignore[arg-type]

    def reset(self) -> None:
        self._nodes.clear()

    def apply_full_snapshot(self, root: Mapping[str, Any]) -> None:
        """Replace the mirror with the tree of a FullSnapshot's `data.node`."""
        self._nodes.clear()
        self.add_tree(root, parent=None)

    def add_tree(
        self, node: Mapping[str, Any], parent: int | None, next_id: int | None = None
    ) -> None:
        """Add a serialized node and its descendants under `parent` (before `next_id` if known)."""
        stack: list[tuple[Mapping[str, Any], int | None, int | None]] = [(node, parent, next_id)]
        nodes = self._nodes
        track = self.track_children
        while stack:
            current, parent_id, before = stack.pop()
            node_id = self._store(current, parent_id)
            if node_id is None:
                continue
            parent_node = nodes.get(parent_id) if parent_id is not None and track else None
            if parent_node is not None:
                siblings = parent_node.children
                if before is not None and before in siblings:
                    siblings.insert(siblings.index(before), node_id)
                else:
                    siblings.append(node_id)
            children = current.get("childNodes")
            if isinstance(children, list):
                # reversed so that the pop order, and so sibling order, follows the document
                # a plain dict check: an ABC isinstance here dominated snapshot rebuild time
                for child in reversed(children):
                    if isinstance(child, dict):
                        stack.append((child, node_id, None))

    def register(self, node: Mapping[str, Any], parent: int | None) -> int | None:
        """Add one serialized node (not its children) as the last child of `parent`.

        For walkers that visit every node anyway (privacy's masking walk): feeding the mirror
        on the way saves a second walk. Parents must be registered before their children.

        Returns:
            The node's id, or None when it has none - then, as in `add_tree`, its descendants
            must not be registered either.
        """
        node_id = self._store(node, parent)
        if node_id is not None and self.track_children and parent is not None:
            parent_node = self._nodes.get(parent)
            if parent_node is not None:
                parent_node.children.append(node_id)
        return node_id

    def _store(self, node: Mapping[str, Any], parent: int | None) -> int | None:
        node_id = node.get("id")
        if not isinstance(node_id, int):
            return None
        node_type = node.get("type")
        attributes = node.get("attributes")
        self._nodes[node_id] = MirrorNode(
            node_id,
            node_type if isinstance(node_type, int) else -1,
            node.get("tagName") if node_type == NodeType.ELEMENT else None,
            # a copy: the caller may mask the serialized attributes in place afterwards
            dict(attributes) if isinstance(attributes, dict) else None,
            parent,
            node.get("textContent") if node_type == NodeType.TEXT else None,
        )
        return node_id

    def apply_mutation(self, data: Mapping[str, Any]) -> None:
        """Apply an IncrementalSnapshot Mutation's `removes`, `adds`, `texts` and `attributes`."""
        nodes = self._nodes
        for removal in data.get("removes") or ():
            if not isinstance(removal, Mapping):
                continue
            node = nodes.pop(removal.get("id"), None)  # type: ignore[arg-type]
            if node is not None and node.parent is not None and self.track_children:
                parent = nodes.get(node.parent)
                if parent is not None and node.id in parent.children:
                    parent.children.remove(node.id)
        for addition in data.get("adds") or ():
            if isinstance(addition, Mapping) and isinstance(addition.get("node"), Mapping):
                next_id = addition.get("nextId")
                self.add_tree(
                    addition["node"],
                    addition.get("parentId"),
                    next_id if isinstance(next_id, int) else None,
                )
        for change in data.get("texts") or ():
            if isinstance(change, Mapping):
                node = nodes.get(change.get("id"))  # type: ignore[arg-type]
                if node is not None:
                    node.text = change.get("value")
        for change in data.get("attributes") or ():
            if not isinstance(change, Mapping):
                continue
            node = nodes.get(change.get("id"))  # type: ignore[arg-type]
            attributes = change.get("attributes")
            if node is None or not isinstance(attributes, Mapping):
                continue
            if node.attributes is None:
                node.attributes = {}
            for name, value in attributes.items():
                if value is None:
                    node.attributes.pop(name, None)
                else:
                    node.attributes[name] = value

    def ancestors(self, node_id: int) -> Iterator[MirrorNode]:
        """The node's parent, grandparent, … up to the document (the node itself excluded)."""
        node = self._nodes.get(node_id)
        seen = 0
        while node is not None and node.parent is not None and seen < 10_000:
            node = self._nodes.get(node.parent)
            seen += 1
            if node is not None:
                yield node

    def element_for(self, node_id: int | None) -> MirrorNode | None:
        """The node itself if it is an element, else its nearest element ancestor."""
        node = self.get(node_id)
        if node is None or node.node_type == NodeType.ELEMENT:
            return node
        return next((a for a in self.ancestors(node.id) if a.node_type == NodeType.ELEMENT), None)

    def selector(self, node_id: int | None) -> str | None:
        """A CSS-like path `main > form#booking > button.primary` (≤ 5 levels, stops at an #id)."""
        element = self.element_for(node_id)
        if element is None:
            return None
        parts: list[str] = []
        chain = [element, *self.ancestors(element.id)]
        for node in chain:
            if node.node_type != NodeType.ELEMENT or not node.tag:
                continue
            part = node.tag.lower()
            if node.element_id:
                parts.append(f"{part}#{node.element_id}")
                break
            part += "".join(f".{c}" for c in node.classes[:3])
            parts.append(part)
            if len(parts) >= _SELECTOR_DEPTH or part in ("body", "html"):
                break
        return " > ".join(reversed(parts))

    def _children_of(self, node: MirrorNode) -> list[int]:
        """The node's child ids (a hook for mirrors that learn children on demand)."""
        return node.children

    def text_of(self, node_id: int | None, limit: int = _TEXT_LIMIT) -> str | None:
        """An element's descendant text, whitespace-collapsed, capped at `limit` characters."""
        element = self.element_for(node_id)
        if element is None:
            return None
        pieces: list[str] = []
        size = 0
        stack = [element.id]
        seen: set[int] = set()
        while stack and size < limit:
            node_id = stack.pop()
            node = self._nodes.get(node_id)
            # a damaged stream can make the tree cyclic: visit every node at most once
            if node is None or node_id in seen:
                continue
            seen.add(node_id)
            if node.node_type == NodeType.TEXT and node.text:
                pieces.append(node.text)
                size += len(node.text)
            elif node.tag not in ("script", "style"):
                stack.extend(reversed(self._children_of(node)))
        text = " ".join(" ".join(pieces).split())
        return text[:limit] if text else None
