"""The single-file HTML replay: rrweb's player, the masked events and the panels, offline.

Safety of the embedding, in two independent layers:
1. the data lives in an inert `<script type="application/json">` block whose JSON has `<`, `>`,
   `&`, U+2028 and U+2029 escaped as `\\uXXXX`, so no `</script>` or `<!--` inside a recording
   can end the block; the page renders data only with `textContent`;
2. a Content-Security-Policy that runs scripts only by their SHA-256 hash and allows no network
   at all (`default-src 'none'`, `connect-src 'none'`; images and fonts only as `data:`), so
   even markup that escaped could neither run nor phone home.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import orjson

from replayport import __version__
from replayport.portable.assets import AssetReport
from replayport.portable.player import PlayerAssets, load_player
from replayport.portable.session import PortableSession

__all__ = ["build_csp", "embed_json", "read_embedded", "render_html"]

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_DATA_BLOCK = re.compile(r'<script type="application/json" id="rp-data">(.*?)</script>', re.S)
_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
_SESSION_FIELDS = (
    "distinct_id_hash",
    "person_id_hash",
    "email_hash",
    "start_time",
    "end_time",
    "duration_s",
    "active_s",
    "click_count",
    "keypress_count",
    "console_error_count",
    "rage_click_count",
    "dead_click_count",
    "error_click_count",
    "page_view_count",
    "network_request_count",
    "event_count",
    "window_count",
    "start_url",
    "browser",
    "os",
    "device_type",
    "viewport_width",
    "viewport_height",
    "privacy_policy_version",
    "hash_key_id",
)


def _template(name: str) -> str:
    return resources.files("replayport.portable").joinpath("templates", name).read_text("utf-8")


def embed_json(value: Any) -> str:
    """JSON that is safe inside a `<script type="application/json">` element.

    The escaped characters can only occur inside JSON strings, where `\\uXXXX` means the same
    character, so `JSON.parse` gives back exactly `value`.
    """
    return orjson.dumps(value).decode("utf-8").translate(_JSON_ESCAPES)


def read_embedded(page: str) -> dict[str, Any]:
    """The data block of an exported page, events decoded (for audits and tests)."""
    match = _DATA_BLOCK.search(page)
    if match is None:
        raise ValueError("not a replayport HTML export (no rp-data block)")
    data: dict[str, Any] = orjson.loads(match.group(1))
    events = data["events"]
    if events["encoding"] == "gzip+base64":
        data["events"] = {
            "encoding": "json",
            "windows": orjson.loads(gzip.decompress(base64.b64decode(events["data"]))),
        }
    return data


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def build_csp(scripts: list[str]) -> str:
    """The page's policy: nothing from the network, scripts only by hash."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src " + " ".join(_sha256(s) for s in scripts),
            # rrweb rebuilds the recorded page with inline <style> elements and style attributes
            "style-src 'unsafe-inline'",
            "img-src data:",
            "font-src data:",
            "media-src data:",
            "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def _window_events(session: PortableSession, events: list[dict[str, Any]]) -> dict[str, list]:
    by_window: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        body = {k: v for k, v in event.items() if k != "windowId"}
        by_window.setdefault(event["windowId"], []).append(body)
    return by_window


def page_data(
    session: PortableSession,
    events: list[dict[str, Any]],
    assets: AssetReport,
    *,
    compress: bool = True,
) -> dict[str, Any]:
    """Everything the page shows, as one JSON-ready dict (events possibly gzip+base64)."""
    windows = _window_events(session, events)
    if compress:
        packed = gzip.compress(orjson.dumps(windows), compresslevel=9, mtime=0)
        payload: dict[str, Any] = {
            "encoding": "gzip+base64",
            "data": base64.b64encode(packed).decode("ascii"),
        }
    else:
        payload = {"encoding": "json", "windows": windows}
    return {
        "format": 1,
        "replayport_version": __version__,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # the id travels as `id`: generic `"session…": "value"` pairs look like secrets to scanners
        "session": {"id": session.session_id, **{k: session.meta.get(k) for k in _SESSION_FIELDS}},
        "windows": [
            {
                "id": w.window_id,
                "events": w.events,
                "first_ms": w.first_ms,
                "last_ms": w.last_ms,
                "playable": w.playable,
            }
            for w in session.windows()
        ],
        "pages": [
            {"ts": p["ts"], "window": p["window_id"], "url": p["url"], "path": p["path"]}
            for p in session.pages
        ],
        "clicks": [
            {
                "ts": c["ts"],
                "window": c["window_id"],
                "x": c["x"],
                "y": c["y"],
                "interaction": c["interaction"],
                "target": c["target_selector"],
                "text": c["target_text"],
                "rage": bool(c["is_rage"]),
                "dead": bool(c["is_dead"]),
                "error": bool(c["is_error"]),
            }
            for c in session.clicks
        ],
        "console": [
            {"ts": c["ts"], "window": c["window_id"], "level": c["level"], "message": c["message"]}
            for c in session.console
        ],
        "network": [
            {
                "ts": n["ts"],
                "window": n["window_id"],
                "method": n["method"],
                "url": n["url"],
                "status": n["status"],
                "duration_ms": n["duration_ms"],
                "initiator_type": n["initiator_type"],
                "transfer_size": n["transfer_size"],
            }
            for n in session.network
        ],
        "assets": assets.as_dict(),
        "events": payload,
    }


def render_html(
    session: PortableSession,
    events: list[dict[str, Any]],
    assets: AssetReport,
    *,
    compress: bool = True,
    player: PlayerAssets | None = None,
) -> str:
    """The complete page for `session`, with `events` (already asset-inlined) embedded."""
    player = player or load_player()
    player_js = _template("player.js")
    values = {
        # single quotes stay literal (the attribute is double-quoted; a CSP never holds `"`)
        "csp": html.escape(build_csp([player.script, player_js]), quote=False),
        "version": html.escape(__version__),
        "rrweb_version": html.escape(player.version),
        "title": html.escape(f"Replay {session.session_id}"),
        "rrweb_css": player.style.replace("</", "<\\/"),
        "player_css": _template("player.css"),
        "data": embed_json(page_data(session, events, assets, compress=compress)),
        "rrweb_js": player.script,
        "player_js": player_js,
    }
    # one pass, so text inserted for one placeholder is never scanned for another
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _template("player.html"))
