"""The ZIP bundle: the replay's data as plain files plus the HTML player, with a manifest.

Members: `events.jsonl.gz` (the masked rrweb events as archived, one JSON object per line with
`windowId`), `console.jsonl`, `network.jsonl`, `clicks.jsonl`, `player.html` (the same single
file the `html` format writes) and `metadata.json`: the session's metadata, the privacy policy
version, the hash key id, the replayport version and a SHA-256 checksum of every other member.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from replayport import __version__
from replayport.portable.assets import AssetReport
from replayport.portable.session import PortableSession

__all__ = ["MEMBERS", "render_zip"]

MEMBERS = (
    "events.jsonl.gz",
    "console.jsonl",
    "network.jsonl",
    "clicks.jsonl",
    "player.html",
    "metadata.json",
)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
"""Fixed member timestamps: the bundle carries no local clock or timezone."""


def _jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def render_zip(session: PortableSession, player_html: str, assets: AssetReport) -> bytes:
    """The bundle's bytes."""
    members: dict[str, bytes] = {
        "events.jsonl.gz": gzip.compress(_jsonl(session.events), compresslevel=9, mtime=0),
        "console.jsonl": _jsonl(session.console),
        "network.jsonl": _jsonl(session.network),
        "clicks.jsonl": _jsonl(session.clicks),
        "player.html": player_html.encode("utf-8"),
    }
    metadata = {
        "format": "replayport-bundle/1",
        "replayport_version": __version__,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "recording_id": session.session_id,
        "privacy_policy_version": session.meta.get("privacy_policy_version"),
        "hash_key_id": session.meta.get("hash_key_id"),
        "session": {k: v for k, v in session.meta.items() if k != "session_id"},
        "windows": [w.window_id for w in session.windows()],
        "counts": {
            "events": len(session.events),
            "console": len(session.console),
            "network": len(session.network),
            "clicks": len(session.clicks),
        },
        "assets": assets.as_dict(),
        "files": {
            name: {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
            for name, body in members.items()
        },
    }
    members["metadata.json"] = orjson.dumps(metadata, option=orjson.OPT_INDENT_2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name in MEMBERS:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            # already-compressed members are stored, the rest deflated
            stored = name.endswith(".gz")
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, members[name], compresslevel=9)
    return buffer.getvalue()
