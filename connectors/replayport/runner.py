"""The stages as library calls (the CLI is a thin layer over these): extract, load, run, demo.

Every command is one *run* with an id, counters and rejects; its summary row goes to
`_replayport_runs` and its rejects to `_replayport_rejects`, in the archive and the warehouse.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import pyarrow as pa

from replayport import __version__
from replayport.archive.store import Archive, hinted
from replayport.config import (
    Settings,
    apply_runtime_defaults,
    dataclass_config,
    resolve_hash_key,
)
from replayport.errors import ConfigError, ReplayportError
from replayport.metrics import RunMetrics
from replayport.privacy.hashing import IdentifierHasher
from replayport.privacy.policy import PrivacyPolicy
from replayport.rejects import Reject
from replayport.rrweb.frustration import FrustrationThresholds
from replayport.session import ProcessingContext, RawRecording, process_recording
from replayport.sources.replay_files import discover, replay_files
from replayport.tables.build import build_table, single_row_table
from replayport.warehouse.load import load_from_archive

__all__ = [
    "DemoResult",
    "Run",
    "RunReport",
    "demo",
    "extract",
    "extract_files",
    "load",
    "load_payments",
    "new_run_id",
    "recent_runs",
    "transform",
    "warehouse_summary",
]

CHUNK_SESSIONS = 25
"""Recordings per archive commit: a crash loses at most one chunk, and memory holds one chunk."""


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class RunReport:
    """What a finished run did; also the `_replayport_runs` row."""

    run_id: str
    command: str
    status: str
    counters: dict[str, int]
    stage_seconds: dict[str, float]
    rejects: list[Reject]
    started_at: datetime
    ended_at: datetime
    source: str | None = None
    destination: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1


class Run:
    """Bookkeeping of one command: id, metrics, rejects; `finish` writes them down."""

    def __init__(
        self,
        settings: Settings,
        command: str,
        source: str | None = None,
        destination: str | None = None,
    ) -> None:
        apply_runtime_defaults()
        self.settings = settings
        self.command = command
        self.source = source
        self.destination = destination
        self.started_at = datetime.now(UTC)
        self.run_id = new_run_id(self.started_at)
        self.metrics = RunMetrics()
        self.rejects: list[Reject] = []
        self._lock = threading.Lock()

    def reject(self, reject: Reject) -> None:
        with self._lock:
            self.rejects.append(reject)
        self.metrics.add("rejects")

    def processing_context(
        self, hash_key: str | None = None, policy: PrivacyPolicy | None = None
    ) -> ProcessingContext:
        return ProcessingContext(
            policy=policy or PrivacyPolicy.from_mapping(dataclass_config("privacy", PrivacyPolicy)),
            hasher=IdentifierHasher(resolve_hash_key(hash_key)),
            run_id=self.run_id,
            extracted_at=datetime.now(UTC),
            thresholds=FrustrationThresholds(
                **dataclass_config("frustration", FrustrationThresholds)
            ),
        )

    def processor(self, ctx: ProcessingContext) -> Callable[[RawRecording], Iterator[Any]]:
        """Turn each `RawRecording` into hinted contract tables; failures become rejects."""
        metrics = self.metrics

        def process(raw: RawRecording) -> Iterator[Any]:
            started = time.perf_counter()
            try:
                batch = process_recording(raw, ctx)
            except ReplayportError as exc:
                self._failed(raw, "processing_error", str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - one broken recording must not stop the run
                self._failed(
                    raw, "processing_error", f"unexpected {type(exc).__name__} while processing"
                )
                return
            finally:
                metrics.stage_seconds["process"] = metrics.stage_seconds.get("process", 0.0) + (
                    time.perf_counter() - started
                )
            for reject in batch.rejects:
                self.reject(reject)
            metrics.add("sessions_extracted")
            metrics.add("events", batch.event_count)
            metrics.add("bytes_out", batch.nbytes)
            if batch.excluded:
                metrics.add("sessions_excluded")
            for name, table in batch.tables.items():
                if table.num_rows:
                    yield hinted(name, table)

        return process

    def _failed(self, raw: RawRecording, reason: str, message: str) -> None:
        self.metrics.add("sessions_failed")
        self.metrics.error(f"{raw.session_id}: {message}")
        self.reject(
            Reject("extract", reason, message, session_id=raw.session_id, source=raw.origin)
        )

    def report(self) -> RunReport:
        counters = dict(self.metrics.counters)
        failed = counters.get("sessions_failed", 0) + counters.get("errors", 0)
        status = (
            "failed"
            if failed and not counters.get("sessions_extracted")
            else ("partial" if failed or self.rejects else "ok")
        )
        return RunReport(
            run_id=self.run_id,
            command=self.command,
            status=status,
            counters=counters,
            stage_seconds=dict(self.metrics.stage_seconds),
            rejects=list(self.rejects),
            started_at=self.started_at,
            ended_at=datetime.now(UTC),
            source=self.source,
            destination=self.destination,
            errors=list(self.metrics.error_messages),
        )

    def finish(self, loaded_destination: str | None = None) -> RunReport:
        """Write the run row and the rejects to the archive (and the warehouse, if loaded)."""
        report = self.report()
        tables = [
            ("_replayport_runs", _run_row(report)),
            ("_replayport_rejects", _reject_rows(report)),
        ]
        Archive(self.settings).write_tables(tables)
        if loaded_destination:
            load_from_archive(
                self.settings,
                loaded_destination,
                tables=("_replayport_runs", "_replayport_rejects"),
            )
        return report


def _run_row(report: RunReport) -> pa.Table:
    c = report.counters
    return single_row_table(
        "_replayport_runs",
        {
            "run_id": report.run_id,
            "command": report.command,
            "source": report.source,
            "destination": report.destination,
            "status": report.status,
            "started_at": report.started_at,
            "ended_at": report.ended_at,
            **{
                name: int(c.get(name, 0))
                for name in (
                    "sessions_listed",
                    "sessions_extracted",
                    "sessions_skipped",
                    "sessions_failed",
                    "sessions_excluded",
                    "sessions_deleted",
                    "sessions_reprocessed",
                    "events",
                    "rejects",
                    "bytes_in",
                    "bytes_out",
                    "api_calls",
                    "api_429s",
                    "api_retries",
                    "errors",
                    "values_too_large",
                )
            },
            "error_summary": orjson.dumps(report.errors[:20]).decode() if report.errors else None,
            "stage_seconds": orjson.dumps(
                {k: round(v, 3) for k, v in report.stage_seconds.items()}
            ).decode(),
            "replayport_version": __version__,
        },
    )


class _RejectRow(NamedTuple):
    seq: int
    session_id: str | None
    stage: str
    reason: str
    message: str
    location: str
    source: str | None


def _reject_rows(report: RunReport) -> pa.Table:
    rows = [
        _RejectRow(i, r.session_id, r.stage, r.reason, r.message, r.where, r.source)
        for i, r in enumerate(report.rejects)
    ]
    return build_table(
        "_replayport_rejects", rows, {"run_id": report.run_id, "created_at": report.ended_at}
    )


def extract_files(
    run: Run,
    path: Path,
    hash_key: str | None = None,
    policy: PrivacyPolicy | None = None,
) -> None:
    """Archive every recording found under `path`, a chunk of recordings per archive commit."""
    ctx = run.processing_context(hash_key, policy)
    archive = Archive(run.settings)
    groups = discover(path)
    erased = archive.deleted_session_ids()
    process_all = run.processor(ctx)

    def process(raw: RawRecording) -> Iterator[Any]:
        # an erased or expired recording stays gone even when its file is read again
        if raw.session_id in erased:
            run.metrics.add("sessions_skipped")
            return iter(())
        return process_all(raw)

    # recordings archived before may now yield fewer rows; only those can leave stale ones
    archived = archive.session_ids() if archive.has_table("sessions") else set()
    written: list[str] = []

    def process_and_note(raw: RawRecording) -> Iterator[Any]:
        produced = False
        for item in process(raw):
            produced = True
            yield item
        # a recording that failed this time keeps its archived rows
        if produced:
            written.append(raw.session_id)

    pipeline = archive.pipeline()
    with run.metrics.stage("extract"):
        for start in range(0, len(groups), CHUNK_SESSIONS):
            chunk = groups[start : start + CHUNK_SESSIONS]
            written.clear()
            archive.write(
                replay_files(chunk, process_and_note, metrics=run.metrics, on_reject=run.reject),
                pipeline=pipeline,
            )
            reprocessed = [s for s in written if s in archived]
            archive.drop_superseded_rows(reprocessed, run.run_id)
            # the warehouse load only cleans up after runs that count some (see load.py)
            run.metrics.add("sessions_reprocessed", len(reprocessed))


def load(run: Run, destination: str) -> None:
    """Merge the archive into `destination`."""
    with run.metrics.stage("load"):
        load_from_archive(run.settings, destination, metrics=run.metrics, run_id=run.run_id)


def extract(
    run: Run,
    source: str,
    path: Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    hash_key: str | None = None,
    policy: PrivacyPolicy | None = None,
) -> None:
    """Extract from `source` (`files` or `posthog`) into the archive."""
    if source == "files":
        if path is None:
            raise ConfigError("--source files needs --path")
        extract_files(run, path, hash_key=hash_key, policy=policy)
    elif source == "posthog":
        from replayport.sources.posthog_replay.extract import extract_posthog

        result = extract_posthog(run, since=since, until=until, hash_key=hash_key, policy=policy)
        Archive(run.settings).record_deletions(result.deleted, "deleted_upstream", run.run_id)
    else:
        raise ConfigError(f"unknown source `{source}`; choose posthog or files")


def recent_runs(settings: Settings, limit: int = 10) -> list[dict[str, Any]]:
    """The last `limit` runs recorded in the archive, newest first."""
    runs = Archive(settings).read("_replayport_runs")
    rows = runs.to_pylist()
    rows.sort(key=lambda r: r.get("started_at") or datetime.min.replace(tzinfo=UTC), reverse=True)
    return rows[:limit]


@dataclass
class DemoResult:
    report: RunReport
    settings: Settings
    inputs: Path
    key_generated: bool
    summary: dict[str, Any]
    headlines: list[Any] = field(default_factory=list)
    """Answers from the dbt marts (`transform.Headline`); empty when dbt did not run."""


def load_payments(run: Run, source: str, hash_key: str | None = None, **options: Any) -> Any:
    """Hash payments from `source` (`stripe`, `file`, `table`) into the archive.

    `options` go to `sources.payments.archive_payments` (path, table, mapping, ...).
    """
    from replayport.sources.payments import archive_payments

    hasher = IdentifierHasher(resolve_hash_key(hash_key))
    with run.metrics.stage("payments"):
        result = archive_payments(run.settings, source, hasher, run_id=run.run_id, **options)
    for counter in ("api_calls", "api_429s", "api_retries"):
        run.metrics.add(counter, getattr(result, counter))
    return result


def transform(run: Run, destination: str, progress: Callable[[str], None] | None = None) -> Any:
    """`dbt build` on `destination`; a failure is recorded on the run (status partial)."""
    from replayport.transform import transform as dbt_build

    with run.metrics.stage("transform"):
        try:
            return dbt_build(run.settings, target=destination, progress=progress)
        except ReplayportError as exc:
            run.metrics.error(str(exc))
            return None


def demo(settings: Settings, say: Callable[[str], None] = print) -> DemoResult:
    """Run the whole flow on the bundled sample recordings and payments into `<workdir>`:
    archive → DuckDB → dbt, then read two or three answers from the marts."""
    from replayport.config import demo_hash_key
    from replayport.demo import write_demo_inputs
    from replayport.transform import has_dbt_project, headline_answers, progress_printer

    key, generated = demo_hash_key(settings.workdir)
    if generated:
        say(
            f"generated a demo hash key in {settings.workdir / 'demo-hash-key'} (mode 0600); "
            "real runs need REPLAYPORT__HASH_KEY"
        )
    inputs = settings.workdir / "demo-input"
    manifest = write_demo_inputs(inputs)
    run = Run(settings, "demo", source="files", destination="duckdb")
    extract_files(run, manifest.recordings_dir, hash_key=key)
    load_payments(run, "file", hash_key=key, path=manifest.payments)
    load(run, "duckdb")
    summary = warehouse_summary(settings)
    if has_dbt_project():
        transform(run, "duckdb", progress=progress_printer(say))
    report = run.finish("duckdb")
    _demo_export(settings, say)
    return DemoResult(report, settings, inputs, generated, summary, headline_answers(settings))


def _demo_export(settings: Settings, say: Callable[[str], None]) -> None:
    """Export one session (one with errors when there is one) as a portable HTML replay."""
    from replayport.portable import export_session, select_sessions

    archive = Archive(settings)
    chosen = select_sessions(archive, has_errors=True) or select_sessions(archive)
    if not chosen:
        return
    try:
        result = export_session(settings, chosen[0], "html", settings.exports_dir)
    except ReplayportError as exc:  # e.g. the player is not installed: the demo still counts
        say(f"portable replay skipped: {exc}")
        return
    say(f"portable replay (opens offline in any browser): {result.path}")


def warehouse_summary(settings: Settings) -> dict[str, Any]:
    """Headline numbers from the DuckDB warehouse."""
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        row = con.execute(
            """
            select count(*), sum(click_count), sum(console_error_count), sum(rage_click_count),
                   sum(dead_click_count), sum(error_click_count), count(distinct distinct_id_hash),
                   sum(page_view_count), sum(event_count)
            from posthog_replay.sessions
            """
        ).fetchone()
    names = (
        "sessions",
        "clicks",
        "console_errors",
        "rage_clicks",
        "dead_clicks",
        "error_clicks",
        "users",
        "page_views",
        "events",
    )
    return {name: int(value or 0) for name, value in zip(names, row or (), strict=False)}
