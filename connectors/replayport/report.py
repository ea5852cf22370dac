"""Rendering results for people (rich) and machines (JSON); no logic beyond presentation."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from replayport.audit import AuditReport
    from replayport.config import Settings
    from replayport.runner import DemoResult, RunReport

__all__ = [
    "audit",
    "demo_summary",
    "erasure",
    "export_batch",
    "export_result",
    "run_summary",
    "status",
    "status_alert",
    "transform_summary",
]

if TYPE_CHECKING:
    from collections.abc import Callable

    from replayport.portable import BatchResult, ExportResult


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def export_result(out: Console, result: ExportResult, missing_limit: int = 20) -> None:
    """One export: where it went, how big, and every asset that could not be inlined."""
    a = result.assets
    out.print(
        f"[green]exported[/green] {result.session_id} ({result.format}) → {result.path}  "
        f"{_size(result.bytes)}, {result.events:,} events, {result.windows} window(s)"
    )
    if result.format == "posthog":
        return
    out.print(
        f"assets: {len(a.inlined)} inlined, {len(a.missing)} not inlined, {a.dropped} dropped"
    )
    for url, reason in sorted(a.missing.items())[:missing_limit]:
        out.print(f"  [yellow]not inlined[/yellow] {url} — {reason}")
    if len(a.missing) > missing_limit:
        out.print(f"  … and {len(a.missing) - missing_limit} more (listed in the file)")


class export_progress:  # noqa: N801 - used like a function: `with export_progress(err) as p`
    """A progress callback for batch exports: a rich bar on a terminal, else plain lines.

    Shows counts only, never session ids (the progress convention of `replayport.progress`).
    """

    def __init__(self, err: Console) -> None:
        self._err = err
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[int, int, str], None]:
        if not self._err.is_terminal:
            return lambda done, total, _sid: self._err.print(f"progress exports={done}/{total}")
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._bar = Progress(
            "[bold]exporting",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._err,
        )
        self._bar.start()
        self._task = self._bar.add_task("export", total=None)
        return lambda done, total, _sid: self._bar.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def export_batch(out: Console, err: Console, batch: BatchResult) -> None:
    """Many exports: one line each, the totals, and the failures."""
    for result in batch.results:
        export_result(out, result, missing_limit=3)
    total = sum(r.bytes for r in batch.results)
    out.print(f"{len(batch.results)} replay(s) written, {_size(total)} in total")
    for session_id, reason in batch.failures.items():
        err.print(f"[red]failed[/red] {session_id}: {reason}")


def run_summary(out: Console, err: Console, report: RunReport, settings: Settings) -> None:
    c = report.counters
    table = Table(
        title=f"run {report.run_id} ({report.command}) — {report.status}", show_header=False
    )
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, key in (
        ("recordings found", "sessions_listed"),
        ("recordings archived", "sessions_extracted"),
        ("recordings skipped (already archived)", "sessions_skipped"),
        ("recordings failed", "sessions_failed"),
        ("recordings on excluded routes only", "sessions_excluded"),
        ("recordings deleted upstream", "sessions_deleted"),
        ("recordings re-processed (their old rows replaced)", "sessions_reprocessed"),
        ("events", "events"),
        ("rejected pieces", "rejects"),
        ("values too large for the warehouse (kept in archive)", "values_too_large"),
        ("API calls", "api_calls"),
        ("API 429s / retries", None),
    ):
        if key is None:
            value = f"{c.get('api_429s', 0)} / {c.get('api_retries', 0)}"
        else:
            value = f"{c.get(key, 0):,}"
        table.add_row(label, value)
    out.print(table)
    out.print(f"archive: {settings.archive_url}")
    if report.destination == "duckdb":
        out.print(f"warehouse: {settings.duckdb_path} (schema posthog_replay)")
    if report.rejects:
        reasons = Counter(f"{r.stage}/{r.reason}" for r in report.rejects)
        listed = ", ".join(f"{reason} ×{n}" for reason, n in reasons.most_common())
        err.print(
            f"[yellow]{len(report.rejects)} piece(s) could not be processed[/yellow] ({listed}); "
            f"details in _replayport_rejects where run_id = '{report.run_id}'"
        )
    for message in report.errors[:5]:
        err.print(f"[red]error:[/red] {message}")


def demo_summary(out: Console, result: DemoResult) -> None:
    s = result.summary
    table = Table(title="replayport demo — what landed in DuckDB", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, key in (
        ("sessions", "sessions"),
        ("users (hashed)", "users"),
        ("page views", "page_views"),
        ("clicks", "clicks"),
        ("console errors", "console_errors"),
        ("rage clicks", "rage_clicks"),
        ("dead clicks", "dead_clicks"),
        ("error clicks", "error_clicks"),
        ("rrweb events (masked)", "events"),
    ):
        table.add_row(label, f"{s.get(key, 0):,}")
    out.print(table)
    settings = result.settings
    out.print(f"sample inputs:  {result.inputs}")
    out.print(f"archive (Delta): {settings.archive_url}")
    out.print(f"warehouse:       {settings.duckdb_path}  (schema posthog_replay)")
    headlines = getattr(result, "headlines", None) or []
    if headlines:
        out.print(
            "marts (dbt):     schema posthog_replay_marts — fct_sessions, fct_session_payments, ..."
        )
        out.print("[bold]what the marts say[/bold]")
        for headline in headlines:
            out.print(f"  {headline.question}\n    → {headline.answer}", highlight=False)
        out.print(
            "try: duckdb "
            f'{settings.duckdb_path} "select * from posthog_replay_marts.fct_console_errors_churn"'
        )
    else:
        out.print(
            "try: duckdb "
            f'{settings.duckdb_path} "select start_url, click_count, rage_click_count '
            'from posthog_replay.sessions order by rage_click_count desc limit 5"'
        )


def transform_summary(out: Console, err: Console, report: RunReport, result: Any) -> None:
    """`replayport transform`: dbt's node counts, or why it failed."""
    if result is not None:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(result.counts.items()))
        out.print(
            f"dbt {result.command} on {result.target}: {sum(result.counts.values())} nodes "
            f"({counts}) in {result.seconds:.1f} s"
        )
        out.print(f"dbt artifacts: {result.target_path}")
    for message in report.errors[:5]:
        err.print(f"[red]error:[/red] {message}")


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def status(out: Console, runs: list[dict[str, Any]], as_json: bool = False) -> None:
    if as_json:
        payload = [{k: _jsonable(v) for k, v in run.items()} for run in runs]
        out.print_json(orjson.dumps(payload).decode())
        return
    if not runs:
        out.print("no runs recorded yet")
        return
    table = Table(title="recent runs")
    for column in (
        "run",
        "command",
        "status",
        "started",
        "seconds",
        "archived",
        "failed",
        "rejects",
        "API calls",
        "429s",
    ):
        table.add_column(column)
    for run in runs:
        started, ended = run.get("started_at"), run.get("ended_at")
        seconds = f"{(ended - started).total_seconds():.1f}" if started and ended else ""
        color = {"ok": "green", "partial": "yellow", "failed": "red"}.get(
            run.get("status") or "", ""
        )
        table.add_row(
            str(run.get("run_id")),
            str(run.get("command")),
            f"[{color}]{run.get('status')}[/{color}]" if color else str(run.get("status")),
            started.strftime("%Y-%m-%d %H:%M:%S") if started else "",
            seconds,
            str(run.get("sessions_extracted") or 0),
            str(run.get("sessions_failed") or 0),
            str(run.get("rejects") or 0),
            str(run.get("api_calls") or 0),
            str(run.get("api_429s") or 0),
        )
    out.print(table)


def audit(out: Console, result: AuditReport, as_json: bool = False) -> None:
    groups = result.summary()
    if as_json:
        payload = {
            "ok": result.ok,
            "findings": len(result.findings),
            "by_rule": dict(result.counts()),
            "strings_scanned": result.strings_scanned,
            "places_scanned": len(result.places_scanned),
            "groups": groups,
        }
        out.print_json(orjson.dumps(payload).decode())
        return
    if result.ok:
        out.print(
            f"[green]no personal data found[/green] in {result.strings_scanned:,} strings "
            f"across {len(set(result.places_scanned))} places"
        )
        return
    table = Table(title=f"[red]{len(result.findings)} finding(s)[/red]")
    for column in ("where", "rule", "count", "example (redacted)"):
        table.add_column(column)
    for group in groups:
        sample = group["samples"][0]
        table.add_row(
            group["where"],
            group["rule"],
            str(group["count"]),
            f"{sample['row']}: {sample['context']}",
        )
    out.print(table)


if TYPE_CHECKING:
    from replayport.archive.erasures import EraseRecord

__all__ += ["erasure", "status_alert"]


def erasure(out: Console, record: EraseRecord | None, as_json: bool = False) -> None:
    """What `forget`/`prune` removed, per place and table (counts only, never values)."""
    if record is None:
        if as_json:
            out.print_json(orjson.dumps({"sessions_matched": 0, "ok": True}).decode())
        else:
            out.print("nothing to expire")
        return
    if as_json:
        payload = {
            "erasure_id": record.erasure_id,
            "run_id": record.run_id,
            "kind": record.kind,
            "subject_type": record.subject_type,
            "subject_hash": record.subject_hash,
            "sessions_matched": len(record.session_ids),
            "removed": record.removed,
            "export_files": record.export_files,
            "failures": record.failures,
            "ok": record.ok,
        }
        out.print_json(orjson.dumps(payload).decode())
        return
    if not record.session_ids and not record.archive_rows:
        out.print(
            f"[yellow]no sessions matched[/yellow] that {record.subject_type.replace('_', ' ')}; "
            f"erase record {record.erasure_id} written (nothing was held)"
        )
        return
    verb = "forgot" if record.kind == "forget" else "expired"
    title = f"{verb} {len(record.session_ids)} session(s) — erase record {record.erasure_id}"
    table = Table(title=title)
    for column in ("place", "table", "rows removed"):
        table.add_column(column)
    for place, tables in record.removed.items():
        if not tables:
            table.add_row(place, "—", "0")
        for name, rows in sorted(tables.items()):
            table.add_row(place, name, f"{rows:,}")
    table.add_row("exports", "files", f"{record.export_files:,}")
    out.print(table)
    out.print("archive: rows deleted, old Delta versions vacuumed, log history purged")
    for place in record.failures:
        out.print(
            f"[red]not reached:[/red] {place}; its next `replayport load` applies the deletion"
        )


def status_alert(err: Console, alert: str | None) -> None:
    """The reason `status` exits non-zero, on stderr (stdout stays machine-readable)."""
    if alert:
        err.print(f"[bold red]alert:[/bold red] {alert}")
