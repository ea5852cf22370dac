"""What could not be processed: one `Reject` becomes one `_replayport_rejects` row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Reject", "TStage"]

TStage = Literal["decode", "privacy", "extract", "api", "archive", "load", "input"]


@dataclass(frozen=True, slots=True)
class Reject:
    """A piece of input that was skipped, and why.

    `message` and `where` must never contain personal data or secrets: name the position
    (`line 17`, `block 3`, `event seq 42`, a file name) and the kind of problem, not the value.
    """

    stage: TStage
    reason: str
    """Short machine-readable code, e.g. `truncated_json`, `corrupt_gzip`, `unknown_event_type`."""
    message: str
    where: str = ""
    session_id: str | None = None
    source: str | None = None
    """File name or API path the piece came from."""
