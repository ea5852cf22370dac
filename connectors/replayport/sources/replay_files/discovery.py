"""Finding recordings on disk and reading them into `RawRecording`s.

Rules:
- a path is a file or a directory (searched recursively, in name order);
- `*.recording.json` files are metadata sidecars: an element of PostHog's listing response for
  the data files that share their name up to the first dot (`<stem>.recording.json` describes
  `<stem>.blob_v2.jsonl`, `<stem>.0.bin`, …);
- every other file is decoded by content: `.ph-recording.json` exports (which carry their own
  id and person), blob_v2/legacy JSONL bodies, length-prefixed snappy blocks, LTS snappy files,
  optionally gzip-compressed;
- the session id comes from the export file, else the sidecar, else the file stem; several data
  files with the same session id are one recording (their events are merged and de-duplicated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from replayport.errors import InputError
from replayport.rejects import Reject
from replayport.rrweb.decode import decode_file_bytes
from replayport.rrweb.types import DecodedStream, PersonMeta, RecordingMeta
from replayport.session import RawRecording

__all__ = ["RecordingFiles", "discover", "read_recording"]

_SIDECAR_SUFFIX = ".recording.json"
_IGNORED_NAMES = {".DS_Store", "README.md", "MANIFEST.md"}
_MAX_FILE_BYTES = 2 * 1024**3


@dataclass
class RecordingFiles:
    """The data files of one recording, plus its metadata sidecar if any."""

    key: str
    files: list[Path] = field(default_factory=list)
    sidecar: Path | None = None


def _stem(path: Path) -> str:
    return path.name.split(".", 1)[0]


def discover(path: Path) -> list[RecordingFiles]:
    """Group the files under `path` by recording (see module docstring).

    Raises:
        InputError: `path` does not exist or holds no file at all.
    """
    if not path.exists():
        raise InputError(f"no such file or directory: {path}")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    files = [p for p in files if p.name not in _IGNORED_NAMES and not p.name.startswith(".")]
    if not files:
        raise InputError(f"no recording files under {path}")
    sidecars = {_stem(p): p for p in files if p.name.endswith(_SIDECAR_SUFFIX)}
    groups: dict[str, RecordingFiles] = {}
    for file in files:
        if file.name.endswith(_SIDECAR_SUFFIX):
            continue
        key = _stem(file)
        group = groups.setdefault(key, RecordingFiles(key=key, sidecar=sidecars.get(key)))
        group.files.append(file)
    if not groups and sidecars:
        raise InputError(
            f"{path} holds only metadata sidecars (*.recording.json), no recording data"
        )
    return list(groups.values())


def _load_sidecar(path: Path, on_reject: Callable[[Reject], None] | None) -> RecordingMeta | None:
    try:
        meta = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        if on_reject:
            on_reject(
                Reject(
                    "input", "bad_metadata", "metadata sidecar is not valid JSON", source=path.name
                )
            )
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("id"), str):
        if on_reject:
            on_reject(
                Reject(
                    "input",
                    "bad_metadata",
                    "metadata sidecar has no recording id",
                    source=path.name,
                )
            )
        return None
    return meta  # type: ignore[return-value]


def read_recording(
    group: RecordingFiles, on_reject: Callable[[Reject], None] | None = None
) -> RawRecording | None:
    """Decode every file of `group` into one `RawRecording` (None if nothing was readable)."""
    meta = _load_sidecar(group.sidecar, on_reject) if group.sidecar else None
    session_id: str | None = meta.get("id") if meta else None
    person: PersonMeta | None = None
    stream = DecodedStream()
    readable = 0
    for file in group.files:
        try:
            size = file.stat().st_size
            if size > _MAX_FILE_BYTES:
                raise InputError(f"{file.name} is larger than {_MAX_FILE_BYTES // 1024**3} GiB")
            decoded = decode_file_bytes(file.read_bytes(), name=file.name)
        except (InputError, OSError) as exc:
            if on_reject:
                reason = "unreadable_file" if isinstance(exc, OSError) else "unsupported_file"
                message = str(exc) if isinstance(exc, InputError) else "the file could not be read"
                on_reject(Reject("input", reason, message, source=file.name))
            continue
        readable += 1
        stream.extend(decoded.stream)
        session_id = session_id or decoded.session_id
        person = person or decoded.person
    if readable == 0:
        return None
    return RawRecording(
        session_id=session_id or group.key,
        stream=stream,
        meta=meta,
        person=person,
        source="files",
        origin=", ".join(f.name for f in group.files),
    )
