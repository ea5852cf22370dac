"""PostHog's "export to file" format (`2023-04-28`), so a replay can go back into PostHog.

`{"version": "2023-04-28", "data": {"id", "person", "snapshots": [event + "windowId"]}}`,
written as `export-<id>.ph-recording.json` like PostHog's own player download. Window ids are
small integers (1, 2, … in order of first appearance), as current PostHog exports write them.
`person` is null: the archive keeps only hashed identifiers, which are not a PostHog person.
"""

from __future__ import annotations

from typing import Any

import orjson

from replayport.portable.session import PortableSession

__all__ = ["EXPORT_VERSION", "file_name", "posthog_document", "render_posthog"]

EXPORT_VERSION = "2023-04-28"


def file_name(session_id: str) -> str:
    """PostHog's own name for an exported recording."""
    return f"export-{session_id}.ph-recording.json"


def posthog_document(session: PortableSession) -> dict[str, Any]:
    """The export document: the masked events exactly as archived, each with its window."""
    registry: dict[str, int] = {}
    snapshots = []
    for event in session.events:
        window = registry.setdefault(event["windowId"], len(registry) + 1)
        snapshots.append(
            {
                "type": event["type"],
                "data": event["data"],
                "timestamp": event["timestamp"],
                "windowId": window,
            }
        )
    return {
        "version": EXPORT_VERSION,
        "data": {"id": session.session_id, "person": None, "snapshots": snapshots},
    }


def render_posthog(session: PortableSession) -> bytes:
    """The file's bytes (indented like PostHog's `JSON.stringify(payload, null, 2)`)."""
    return orjson.dumps(posthog_document(session), option=orjson.OPT_INDENT_2)
