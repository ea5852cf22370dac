"""Portable replays: any archived session as a file that plays without PostHog or a network.

Formats: `html` (one self-contained page with rrweb's player), `zip` (the data as plain files
plus that page, with a checksummed manifest) and `posthog` (PostHog's `2023-04-28` export, to
load the replay back into a PostHog player). Everything is read from the archive, so it is
already masked and scrubbed.

```python
from replayport.portable import ExportOptions, export_session
result = export_session(settings, "0197…", "html", Path("replay.html"))
result.assets.missing   # URL → why it could not be inlined
```
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from replayport.archive.store import Archive
from replayport.config import Settings, dataclass_config
from replayport.errors import ConfigError, ReplayportError
from replayport.portable.assets import AssetFetcher, AssetPolicy, AssetReport, inline_assets
from replayport.portable.bundle import render_zip
from replayport.portable.html import read_embedded, render_html
from replayport.portable.posthog_file import file_name as posthog_file_name
from replayport.portable.posthog_file import render_posthog
from replayport.portable.session import PortableSession, load_session, select_sessions

__all__ = [
    "FORMATS",
    "AssetPolicy",
    "AssetReport",
    "BatchResult",
    "ExportOptions",
    "ExportResult",
    "Format",
    "asset_policy",
    "default_file_name",
    "export_many",
    "export_session",
    "load_session",
    "read_embedded",
    "select_sessions",
]

Format = Literal["html", "zip", "posthog"]
FORMATS: tuple[Format, ...] = ("html", "zip", "posthog")


@dataclass(frozen=True)
class ExportOptions:
    """How to export; `assets=None` reads `[replayport.export]` from the configuration."""

    assets: AssetPolicy | None = None
    compress: bool = True
    """Embed the HTML's events as gzip+base64 (about 10× smaller) instead of plain JSON."""


@dataclass
class ExportResult:
    """One written export."""

    session_id: str
    format: str
    path: Path
    bytes: int
    events: int
    windows: int
    assets: AssetReport = field(default_factory=AssetReport)
    seconds: float = 0.0


@dataclass
class BatchResult:
    """What `export_many` did: the files written and the sessions that failed (id → reason)."""

    results: list[ExportResult] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def default_file_name(session_id: str, fmt: str) -> str:
    """`replay-<id>.html`, `replay-<id>.zip` or PostHog's `export-<id>.ph-recording.json`."""
    if fmt == "posthog":
        return posthog_file_name(session_id)
    return f"replay-{session_id}.{fmt}"


def asset_policy() -> AssetPolicy:
    """`[replayport.export]` settings (e.g. `REPLAYPORT__EXPORT__ASSET_HOSTS='["cdn.x.com"]'`)."""
    values = dataclass_config("export", AssetPolicy)
    if "asset_hosts" in values:
        hosts = values["asset_hosts"]
        values["asset_hosts"] = tuple([hosts] if isinstance(hosts, str) else hosts)
    try:
        return AssetPolicy(**values)
    except TypeError as exc:
        raise ConfigError(f"[replayport.export]: {exc}") from None


def _page_hosts(session: PortableSession) -> set[str]:
    urls = [p["url"] for p in session.pages] + [session.meta.get("start_url") or ""]
    urls += [e["data"].get("href", "") for e in session.events if e["type"] == 4]
    return {urlsplit(u).netloc for u in urls if isinstance(u, str) and urlsplit(u).netloc}


def _render(
    session: PortableSession, fmt: str, options: ExportOptions
) -> tuple[bytes, AssetReport]:
    if fmt == "posthog":
        return render_posthog(session), AssetReport()
    fetcher = AssetFetcher(options.assets or asset_policy(), _page_hosts(session))
    events, report = inline_assets(session.events, fetcher)
    page = render_html(session, events, report, compress=options.compress)
    if fmt == "html":
        return page.encode("utf-8"), report
    return render_zip(session, page, report), report


def export_session(
    settings: Settings,
    session_id: str,
    fmt: str,
    output: Path | None = None,
    options: ExportOptions | None = None,
) -> ExportResult:
    """Export one archived session to `output` (a file, or a directory for the default name).

    Raises:
        ConfigError: unknown format, or the player is not installed.
        InputError: the session is not archived or has nothing to replay.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format `{fmt}`; choose one of {', '.join(FORMATS)}")
    started = time.perf_counter()
    options = options or ExportOptions()
    session = load_session(Archive(settings), session_id)
    body, report = _render(session, fmt, options)
    if output is None:
        output = settings.exports_dir
    if output.is_dir() or (not output.suffix and not output.exists()):
        output = output / default_file_name(session_id, fmt)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_bytes(body)
    partial.replace(output)  # never leave a half-written replay under the final name
    return ExportResult(
        session_id,
        fmt,
        output,
        len(body),
        len(session.events),
        len(session.windows()),
        report,
        time.perf_counter() - started,
    )


def export_many(
    settings: Settings,
    directory: Path,
    fmt: str,
    *,
    session_ids: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    has_errors: bool = False,
    options: ExportOptions | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> BatchResult:
    """Export every archived session matching the filters into `directory`.

    One failing session does not stop the others; it is reported in `failures`.
    `on_progress(done, total, session_id)` is called after each session.
    """
    selected = select_sessions(
        Archive(settings), since=since, until=until, has_errors=has_errors, session_ids=session_ids
    )
    directory.mkdir(parents=True, exist_ok=True)
    batch = BatchResult()
    for index, session_id in enumerate(selected, start=1):
        try:
            batch.results.append(export_session(settings, session_id, fmt, directory, options))
        except ConfigError:
            raise  # the same for every session (e.g. no player): stop at once
        except ReplayportError as exc:
            batch.failures[session_id] = str(exc)
        if on_progress is not None:
            on_progress(index, len(selected), session_id)
    return batch
