"""Masking of rrweb's serialized DOM: full snapshots, mutations, inputs and stylesheet events.

What a masked stream looks like (the rules, by node and attribute kind):

- **text nodes**: every non-space character becomes `*` (rrweb's own `maskTextFn` shape), unless
  the nearest selected ancestor is an unmask selector (then detector-scrubbed only). Text in
  `<option>` and `<textarea>` is always masked (it is input data), `<script>` text becomes
  `SCRIPT_PLACEHOLDER`, `<style>` text is CSS (only `url(…)` queries scrubbed). Comments are
  masked like text.
- **attributes**: `value` always masked; text-bearing ones (`placeholder`, `title`, `alt`,
  `label`, `aria-*`, `data-*`, `on*` handlers, `<meta content>` except layout metas, …) masked
  like text (`""`, `true`, `false` kept so that `[aria-hidden=true]` styling still works); URL
  attributes (`href`, `src`, `srcset`, `action`, `poster`, `rr_src`, …) URL-scrubbed; `style`
  and `_cssText` CSS-scrubbed; `rr_dataURL` (canvas pixels) removed; structural ones (`id`,
  `class`, `type`, `name`, `rel`, sizes, SVG geometry, `rr_*` state) kept; anything unknown is
  detector-scrubbed.
- **blocked elements** (block selectors: media and `.ph-no-capture` by default) become rrweb's
  placeholder `{class, rr_width, rr_height}` with `needBlock: true` and no children. Their
  descendants' ids are remembered per window, and later mutations that touch them (adds under
  them, text/attribute changes, removes) are dropped, so the stream never references a node
  the player has not seen.
- **Input events**: `text` → `*` per character, always; `isChecked` kept.

Ids, parent links, node types, tag names, list order and everything else structural are never
changed. Selector matching sees the *unmasked* DOM: every window keeps a `NodeMirror` fed with
the original structure before the event is masked in place.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import MutableMapping
from typing import Any, NamedTuple

from replayport.privacy.detectors import Scrubber
from replayport.privacy.selectors import SelectorSet
from replayport.privacy.urls import UrlScrubber
from replayport.rrweb.mirror import MirrorNode, NodeMirror
from replayport.rrweb.types import NodeType

__all__ = ["SCRIPT_PLACEHOLDER", "DomMasker", "WindowDom", "mask_text"]

SCRIPT_PLACEHOLDER = "SCRIPT_PLACEHOLDER"
"""What rrweb records instead of inline script source; replayport does the same."""

_NON_SPACE = re.compile(r"\S")
# the same mask for ASCII text as a translation table: ~4x faster than the regex, and most page
# text is ASCII (`\s` in Python also counts \x1c-\x1f as whitespace)
_ASCII_MASK = str.maketrans({i: "*" for i in range(128) if not chr(i).isspace()})
_CSS_LENGTH = re.compile(r"\d+(?:\.\d+)?(?:px|%|em|rem|vw|vh)?")

_KEEP, _TEXT, _VALUE, _URL, _SRCSET, _CSS, _DROP, _OTHER = range(8)

_KEEP_ATTRS = frozenset(
    """
    id class type name for rel role lang dir tabindex width height colspan rowspan rows cols
    size maxlength minlength min max step autocomplete inputmode enterkeyhint disabled checked
    selected readonly required multiple hidden open charset crossorigin media sizes target
    method enctype integrity referrerpolicy loading decoding fetchpriority async defer nomodule
    draggable spellcheck contenteditable translate accept form list span start reversed scope
    headers wrap novalidate autofocus autoplay controls loop muted playsinline preload shape
    coords usemap as blocking nonce http-equiv scrolling frameborder allow allowfullscreen
    sandbox xmlns xmlns:xlink version viewbox d points transform x y x1 y1 x2 y2 cx cy r rx ry
    fill fill-opacity fill-rule clip-rule clip-path stroke stroke-width stroke-linecap
    stroke-linejoin stroke-dasharray stroke-dashoffset stroke-opacity stroke-miterlimit opacity
    offset stop-color stop-opacity gradientunits gradienttransform patternunits
    patterntransform preserveaspectratio mask filter marker-start marker-mid marker-end
    vector-effect text-anchor dominant-baseline font-size font-family font-weight
    letter-spacing dx dy rotate pathlength focusable
    rr_width rr_height rr_scrollleft rr_scrolltop rr_mediastate rr_mediacurrenttime
    rr_mediaplaybackrate rr_mediamuted rr_medialoop rr_mediavolume rr_maskedselect
    """.split()
)
_TEXT_ATTRS = frozenset(
    "placeholder title alt label summary abbr content srcdoc download pattern".split()
)
_URL_ATTRS = frozenset(
    """
    href src action formaction poster data cite background longdesc manifest rr_src
    xlink:href codebase icon profile ping itemid xml:base
    """.split()
)
_SRCSET_ATTRS = frozenset({"srcset", "imagesrcset"})
_CSS_ATTRS = frozenset({"style", "_csstext"})
_DROP_ATTRS = frozenset({"rr_dataurl"})
# values that are states, not text: masking them would only break `[aria-hidden=true]` styling
_TOKEN_VALUES = frozenset({"", "true", "false"})
_LAYOUT_METAS = frozenset(
    {
        "viewport",
        "color-scheme",
        "theme-color",
        "referrer",
        "robots",
        "format-detection",
        "content-type",
        "x-ua-compatible",
    }
)
_ALWAYS_MASKED = frozenset({"textarea", "option"})  # text that is input data
_ATTR_KIND_CACHE: dict[str, int] = {}


def _attr_kind(name: str) -> int:
    kind = _ATTR_KIND_CACHE.get(name)
    if kind is not None:
        return kind
    lower = name.lower()
    if lower == "value":
        kind = _VALUE
    elif lower in _KEEP_ATTRS:
        kind = _KEEP
    elif lower in _URL_ATTRS:
        kind = _URL
    elif lower in _SRCSET_ATTRS:
        kind = _SRCSET
    elif lower in _CSS_ATTRS:
        kind = _CSS
    elif lower in _DROP_ATTRS:
        kind = _DROP
    elif (
        lower in _TEXT_ATTRS
        or lower.startswith(("aria-", "data-"))
        or (lower.startswith("on") and lower[2:].isalpha())
    ):
        kind = _TEXT
    else:
        kind = _OTHER
    if len(_ATTR_KIND_CACHE) < 4096:
        _ATTR_KIND_CACHE[name] = kind
    return kind


def mask_text(text: str) -> str:
    """rrweb's text mask: every non-whitespace character becomes `*`."""
    return text.translate(_ASCII_MASK) if text.isascii() else _NON_SPACE.sub("*", text)


def _css_size(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value}px"
    if isinstance(value, str):
        stripped = value.strip()
        if _CSS_LENGTH.fullmatch(stripped):
            return stripped if not stripped[-1].isdigit() else f"{stripped}px"
    return None


class WindowDom:
    """Per-window DOM state: the unmasked mirror and the ids hidden by blocking."""

    __slots__ = ("blocked", "hidden", "mirror")

    def __init__(self) -> None:
        self.mirror = NodeMirror(track_children=False)
        """The window's DOM as recorded (unmasked), for selector matching (parents only)."""
        self.blocked: set[int] = set()
        """Ids of elements replaced by a blocked placeholder (they stay in the stream)."""
        self.hidden: set[int] = set()
        """Ids of nodes inside blocked elements: absent from the masked stream."""

    def reset(self) -> None:
        self.mirror.reset()
        self.blocked.clear()
        self.hidden.clear()


class _Ctx(NamedTuple):
    """What a node inherits from its parent element."""

    tag: str | None
    unmasked: bool
    forced: bool


_ROOT_CTX = _Ctx(None, False, False)
_UNREGISTERED = object()
"""Marks a walk position whose nodes do not enter the mirror."""


class DomMasker:
    """Masks DOM-bearing events in place for one policy, counting into one `Counter`.

    Args:
        scrubber: Detectors for text left readable and unknown attributes.
        urls: URL scrubber for URL attributes and CSS references.
        mask_all_text: Mask every text node outside unmask selectors.
        mask: Selectors whose text is always masked.
        unmask: Selectors whose text stays readable (detector-scrubbed).
        block: Selectors replaced by blocked placeholders.
        counts: Where redactions are counted.
    """

    def __init__(
        self,
        scrubber: Scrubber,
        urls: UrlScrubber,
        *,
        mask_all_text: bool,
        mask: SelectorSet,
        unmask: SelectorSet,
        block: SelectorSet,
        counts: Counter[str],
    ) -> None:
        self._scrubber = scrubber
        self._urls = urls
        self._mask_all = mask_all_text
        self._mask = mask
        self._unmask = unmask
        self._block = block
        self._counts = counts
        # with mask_all_text and no unmask selectors every text is masked: skip selector work
        self._need_unmask = bool(unmask) and mask_all_text
        self._need_forced = bool(mask) and (not mask_all_text or bool(unmask))

    # --- events ---------------------------------------------------------------------------

    def full_snapshot(self, data: MutableMapping[str, Any], window: WindowDom) -> None:
        """Mask a FullSnapshot's `data` in place; resets the window's DOM state."""
        node = data.get("node")
        window.reset()
        if not isinstance(node, dict):
            return
        self._walk(node, _ROOT_CTX, window, register=True)

    def mutation(self, data: MutableMapping[str, Any], window: WindowDom) -> None:
        """Mask a Mutation's `adds`/`texts`/`attributes` in place, dropping blocked content."""
        mirror = window.mirror
        mirror.apply_mutation(data)
        hidden, blocked = window.hidden, window.blocked
        removes = data.get("removes")
        forget: list[Any] = []
        if isinstance(removes, list) and (hidden or blocked):
            kept = []
            for removal in removes:
                node_id = removal.get("id") if isinstance(removal, dict) else None
                if node_id in hidden:
                    forget.append(node_id)
                    continue
                if node_id in blocked:
                    forget.append(node_id)
                kept.append(removal)
            if len(kept) != len(removes):
                data["removes"] = kept
        adds = data.get("adds")
        if isinstance(adds, list) and adds:
            data["adds"] = self._mask_adds(adds, window)
        texts = data.get("texts")
        if isinstance(texts, list) and texts:
            data["texts"] = self._mask_texts(texts, window)
        attributes = data.get("attributes")
        if isinstance(attributes, list) and attributes:
            data["attributes"] = self._mask_attribute_changes(attributes, window)
        # only now, so that texts/attributes of a node removed in the same mutation stay
        # hidden too; a node moved rather than removed is still in the mirror and keeps the
        # state its add gave it
        for node_id in forget:
            if mirror.get(node_id) is None:
                hidden.discard(node_id)
                blocked.discard(node_id)

    def input(self, data: MutableMapping[str, Any]) -> None:
        """Mask an Input event's `text` in place (always; `isChecked` is kept)."""
        text = data.get("text")
        if isinstance(text, str) and text and text.strip("*"):
            data["text"] = "*" * len(text)
            self._counts["inputs"] += 1

    def canvas_mutation(self, data: MutableMapping[str, Any], window: WindowDom) -> None:
        """Empty the drawing commands of blocked canvases; mask drawn text on others."""
        node_id = data.get("id")
        if node_id in window.blocked or node_id in window.hidden:
            changed = False
            if data.get("commands"):
                data["commands"] = []
                changed = True
            if data.get("args"):
                data["args"] = []
                changed = True
            if changed:
                self._counts["canvas_mutations"] += 1
            return
        commands = data.get("commands")
        for command in commands if isinstance(commands, list) else [data]:
            if not isinstance(command, dict):
                continue
            args = command.get("args")
            if not isinstance(args, list):
                continue
            if command.get("property") in ("fillText", "strokeText") and args:
                if isinstance(args[0], str) and self._mask_all:
                    args[0] = mask_text(args[0])
                    self._counts["text_nodes"] += 1
            for index, arg in enumerate(args):
                if isinstance(arg, dict) and isinstance(arg.get("src"), str):
                    arg["src"] = self._urls.scrub(arg["src"], self._counts)
                elif isinstance(arg, str) and index and arg.startswith("data:"):
                    args[index] = self._urls.scrub(arg, self._counts)

    def stylesheet(self, data: MutableMapping[str, Any]) -> None:
        """Scrub URL references in StyleSheetRule/StyleDeclaration/AdoptedStyleSheet/Font CSS."""
        counts = self._counts
        css = self._urls.scrub_css
        for key in ("replace", "replaceSync", "fontSource"):
            if isinstance(data.get(key), str):
                data[key] = css(data[key], counts)
        for rule in data.get("adds") or ():
            if isinstance(rule, dict) and isinstance(rule.get("rule"), str):
                rule["rule"] = css(rule["rule"], counts)
        declaration = data.get("set")
        if isinstance(declaration, dict) and isinstance(declaration.get("value"), str):
            declaration["value"] = css(declaration["value"], counts)
        for sheet in data.get("styles") or ():
            if isinstance(sheet, dict):
                for rule in sheet.get("rules") or ():
                    if isinstance(rule, dict) and isinstance(rule.get("rule"), str):
                        rule["rule"] = css(rule["rule"], counts)

    # --- trees ----------------------------------------------------------------------------

    def _walk(
        self, root: dict[str, Any], ctx: _Ctx, window: WindowDom, *, register: bool = False
    ) -> None:
        """Mask a serialized subtree in place; `ctx` describes `root`'s parent.

        With `register`, `root` is a full snapshot's document: each node enters the window's
        mirror (unmasked, parents first) on the way, instead of in a walk of its own.
        """
        mirror = window.mirror
        store = mirror.register if register else None
        block = self._block
        has_block = bool(block)
        mask_all = self._mask_all
        need_unmask, need_forced = self._need_unmask, self._need_forced
        counts = self._counts
        # the third item is the parent's id in the mirror; _UNREGISTERED below a node without
        # an id (the mirror skips such subtrees) or when not registering at all
        stack: list[tuple[dict[str, Any], _Ctx, Any]] = [
            (root, ctx, None if register else _UNREGISTERED)
        ]
        pop, push = stack.pop, stack.append
        while stack:
            node, ctx, parent_id = pop()
            if store is not None and parent_id is not _UNREGISTERED:
                node_id = store(node, parent_id)
                own_id = _UNREGISTERED if node_id is None else node_id
            else:
                own_id = _UNREGISTERED
            node_type = node.get("type")
            if node_type == 3 or node_type == 5:  # Text, Comment
                text = node.get("textContent")
                if not text or not isinstance(text, str):
                    continue
                tag = ctx.tag
                if (
                    mask_all
                    and not ctx.unmasked
                    and tag != "script"
                    and tag != "style"
                    and not node.get("isStyle")
                ):
                    masked = mask_text(text)
                    if masked != text:
                        node["textContent"] = masked
                        counts["text_nodes"] += 1
                else:
                    node["textContent"] = self._mask_text_node(text, ctx, node.get("isStyle"))
            elif node_type == 2:  # Element
                raw_tag = node.get("tagName")
                tag = raw_tag.lower() if isinstance(raw_tag, str) else ""
                attributes = node.get("attributes")
                if has_block and block.might_match(raw_tag, attributes):
                    mirrored = mirror.get(node.get("id"))
                    if mirrored is not None and block.matches(mirrored, mirror):
                        self._block_element(node, window, own_id)
                        continue
                mirrored = mirror.get(node.get("id")) if need_unmask or need_forced else None
                unmasked = ctx.unmasked or (need_unmask and self._unmask.matches(mirrored, mirror))
                forced = ctx.forced or (need_forced and self._mask.matches(mirrored, mirror))
                if attributes:
                    self._mask_attributes(tag, attributes, (mask_all and not unmasked) or forced)
                children = node.get("childNodes")
                if children:
                    child_ctx = (
                        ctx
                        if ctx.tag == tag and ctx.unmasked == unmasked and ctx.forced == forced
                        else _Ctx(tag, unmasked, forced)
                    )
                    for child in reversed(children):
                        if isinstance(child, dict):
                            push((child, child_ctx, own_id))
            elif node_type == 0:  # Document
                for child in reversed(node.get("childNodes") or ()):
                    if isinstance(child, dict):
                        push((child, ctx, own_id))
            elif node_type == 4:  # CDATA
                text = node.get("textContent")
                if isinstance(text, str) and text.strip():
                    node["textContent"] = mask_text(text)

    def _block_element(
        self, node: dict[str, Any], window: WindowDom, registered: Any = _UNREGISTERED
    ) -> None:
        """Replace an element by rrweb's blocked placeholder; its descendants become hidden.

        `registered` is the element's id when its descendants must still enter the mirror (a
        full snapshot's walk: the mirror knows every recorded node, hidden ones included).
        """
        raw = node.get("attributes")
        attributes: dict[str, Any] = raw if isinstance(raw, dict) else {}
        placeholder: dict[str, Any] = {}
        if "class" in attributes:
            placeholder["class"] = attributes["class"]
        width = _css_size(attributes.get("rr_width")) or _css_size(attributes.get("width"))
        height = _css_size(attributes.get("rr_height")) or _css_size(attributes.get("height"))
        if width:
            placeholder["rr_width"] = width
        if height:
            placeholder["rr_height"] = height
        node["attributes"] = placeholder
        children = node.get("childNodes")
        if children:
            hidden = window.hidden
            store = window.mirror.register if registered is not _UNREGISTERED else None
            stack: list[tuple[Any, Any]] = [(child, registered) for child in reversed(children)]
            while stack:
                child, parent_id = stack.pop()
                if isinstance(child, dict):
                    if isinstance(child.get("id"), int):
                        hidden.add(child["id"])
                    own_id = _UNREGISTERED
                    if store is not None and parent_id is not _UNREGISTERED:
                        node_id = store(child, parent_id)
                        own_id = _UNREGISTERED if node_id is None else node_id
                    grandchildren = child.get("childNodes") or ()
                    stack.extend((grandchild, own_id) for grandchild in reversed(grandchildren))
        node["childNodes"] = []
        node["needBlock"] = True
        if isinstance(node.get("id"), int):
            window.blocked.add(node["id"])
        self._counts["blocked_elements"] += 1

    def _mask_text_node(self, text: str, ctx: _Ctx, is_style: Any = None) -> str:
        tag = ctx.tag
        if tag == "script":
            return SCRIPT_PLACEHOLDER
        if tag == "style" or is_style:
            return self._urls.scrub_css(text, self._counts)
        if (self._mask_all and not ctx.unmasked) or ctx.forced or tag in _ALWAYS_MASKED:
            masked = mask_text(text)
            if masked != text:
                self._counts["text_nodes"] += 1
            return masked
        return self._scrubber.scrub(text, self._counts)

    def _mask_attributes(self, tag: str, attributes: dict[str, Any], masked: bool) -> None:
        counts = self._counts
        dropped: list[str] = []
        for name, value in attributes.items():
            kind = _attr_kind(name)
            if kind == _KEEP:
                continue
            if not isinstance(value, str):
                if kind == _CSS and isinstance(value, dict):
                    self._mask_style_object(value)
                elif kind == _DROP:
                    dropped.append(name)
                continue
            if kind == _VALUE:
                if value and value.strip("*"):
                    attributes[name] = "*" * len(value)
                    counts["attributes"] += 1
            elif kind == _TEXT:
                if value in _TOKEN_VALUES:
                    continue
                if tag == "meta" and name == "content" and _is_layout_meta(attributes):
                    continue
                if masked:
                    new = mask_text(value)
                    if new != value:
                        attributes[name] = new
                        counts["attributes"] += 1
                else:
                    attributes[name] = self._scrubber.scrub(value, counts)
            elif kind == _URL:
                attributes[name] = self._urls.scrub(value, counts)
            elif kind == _SRCSET:
                attributes[name] = self._urls.scrub_srcset(value, counts)
            elif kind == _CSS:
                attributes[name] = self._urls.scrub_css(value, counts)
            elif kind == _DROP:
                dropped.append(name)
            else:
                attributes[name] = self._scrubber.scrub(value, counts)
        for name in dropped:
            del attributes[name]
            counts["attributes"] += 1

    def _mask_style_object(self, style: dict[str, Any]) -> None:
        # mutation `style` diffs: {property: value | [value, priority] | false}
        for prop, value in style.items():
            if isinstance(value, str):
                style[prop] = self._urls.scrub_css(value, self._counts)
            elif isinstance(value, list) and value and isinstance(value[0], str):
                value[0] = self._urls.scrub_css(value[0], self._counts)

    # --- mutations --------------------------------------------------------------------------

    def _context_of(
        self, node_id: Any, window: WindowDom, cache: dict[Any, _Ctx | None]
    ) -> _Ctx | None:
        """Inherited context for children of `node_id`; None when they are hidden."""
        if node_id in cache:
            return cache[node_id]
        mirror = window.mirror
        node = mirror.get(node_id)
        ctx: _Ctx | None
        if node is None:
            ctx = _ROOT_CTX  # unknown parent: nothing to unmask, so mask by default
        elif self._is_hidden_parent(node, window):
            ctx = None
        else:
            element = node if node.node_type == NodeType.ELEMENT else None
            ctx = _Ctx(
                (element.tag or "").lower() if element is not None else None,
                self._need_unmask and self._unmask.matches_self_or_ancestor(element, mirror),
                self._need_forced and self._mask.matches_self_or_ancestor(element, mirror),
            )
        cache[node_id] = ctx
        return ctx

    @staticmethod
    def _is_hidden_parent(node: MirrorNode, window: WindowDom) -> bool:
        hidden, blocked = window.hidden, window.blocked
        if not hidden and not blocked:
            return False
        if node.id in hidden or node.id in blocked:
            return True
        return any(a.id in hidden or a.id in blocked for a in window.mirror.ancestors(node.id))

    def _mask_adds(self, adds: list[Any], window: WindowDom) -> list[Any]:
        mirror = window.mirror
        block = self._block
        # pass 1: new blocked roots first, so that their descendants are hidden whatever the
        # order of the adds list
        if block:
            for addition in adds:
                node = addition.get("node") if isinstance(addition, dict) else None
                if (
                    isinstance(node, dict)
                    and node.get("type") == NodeType.ELEMENT
                    and block.might_match(node.get("tagName"), node.get("attributes"))
                ):
                    mirrored = mirror.get(node.get("id"))
                    if mirrored is not None and block.matches(mirrored, mirror):
                        window.blocked.add(node["id"])
        cache: dict[Any, _Ctx | None] = {}
        kept: list[Any] = []
        for addition in adds:
            node = addition.get("node") if isinstance(addition, dict) else None
            if not isinstance(node, dict):
                kept.append(addition)
                continue
            ctx = self._context_of(addition.get("parentId"), window, cache)
            if ctx is None:
                self._hide_subtree(node, window)
                continue
            if window.hidden:
                self._unhide_subtree(node, window)  # a hidden node moved into view
            if node.get("id") in window.blocked:
                window.blocked.discard(node["id"])  # re-added by _block_element via the walk
            self._walk(node, ctx, window)
            kept.append(addition)
        return kept

    @staticmethod
    def _hide_subtree(node: dict[str, Any], window: WindowDom) -> None:
        hidden, blocked = window.hidden, window.blocked
        stack = [node]
        while stack:
            current = stack.pop()
            node_id = current.get("id")
            if isinstance(node_id, int):
                hidden.add(node_id)
                blocked.discard(node_id)
            stack.extend(c for c in current.get("childNodes") or () if isinstance(c, dict))

    @staticmethod
    def _unhide_subtree(node: dict[str, Any], window: WindowDom) -> None:
        hidden = window.hidden
        stack = [node]
        while stack:
            current = stack.pop()
            hidden.discard(current.get("id"))  # type: ignore[arg-type]
            stack.extend(c for c in current.get("childNodes") or () if isinstance(c, dict))

    def _mask_texts(self, texts: list[Any], window: WindowDom) -> list[Any]:
        mirror = window.mirror
        hidden = window.hidden
        cache: dict[Any, _Ctx | None] = {}
        kept: list[Any] = []
        for change in texts:
            if not isinstance(change, dict):
                kept.append(change)
                continue
            node_id = change.get("id")
            if node_id in hidden:
                continue
            value = change.get("value")
            if isinstance(value, str) and value:
                node = mirror.get(node_id)
                ctx = self._context_of(node.parent if node is not None else None, window, cache)
                if ctx is None:
                    continue
                change["value"] = self._mask_text_node(value, ctx)
            kept.append(change)
        return kept

    def _mask_attribute_changes(self, changes: list[Any], window: WindowDom) -> list[Any]:
        mirror = window.mirror
        hidden, blocked = window.hidden, window.blocked
        cache: dict[Any, _Ctx | None] = {}
        kept: list[Any] = []
        for change in changes:
            if not isinstance(change, dict):
                kept.append(change)
                continue
            node_id = change.get("id")
            if node_id in hidden or node_id in blocked:
                continue
            attributes = change.get("attributes")
            if isinstance(attributes, dict) and attributes:
                node = mirror.get(node_id)
                tag = (node.tag or "").lower() if node is not None else ""
                if node is not None and node.parent is not None:
                    parent_ctx = self._context_of(node.parent, window, cache)
                    if parent_ctx is None:
                        continue
                else:
                    parent_ctx = _ROOT_CTX
                unmasked = parent_ctx.unmasked or (
                    self._need_unmask and self._unmask.matches(node, mirror)
                )
                forced = parent_ctx.forced or (
                    self._need_forced and self._mask.matches(node, mirror)
                )
                self._mask_attributes(tag, attributes, (self._mask_all and not unmasked) or forced)
            kept.append(change)
        return kept


def _is_layout_meta(attributes: dict[str, Any]) -> bool:
    name = attributes.get("name") or attributes.get("http-equiv") or ""
    return isinstance(name, str) and name.lower() in _LAYOUT_METAS
