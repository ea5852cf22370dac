"""Rendering results for people (rich) and machines (JSON); no logic beyond presentation."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from replayport.config import Settings
    from replayport.runner import DemoResult, RunReport

__all__ = ["demo_summary", "run_summary", "status"]


def run_summary(out: Console, err: Console, report: RunReport, settings: Settings) -> None:
    c = report.counters
    table = Table(title=f"run {report.run_id} ({report.command}) — {report.status}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, key in (
        ("recordings found", "sessions_listed"),
        ("recordings archived", "sessions_extracted"),
        ("recordings skipped (already archived)", "sessions_skipped"),
        ("recordings failed", "sessions_failed"),
        ("recordings on excluded routes only", "sessions_excluded"),
        ("recordings deleted upstream", "sessions_deleted"),
        ("events", "events"),
        ("rejected pieces", "rejects"),
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
    out.print(
        "try: duckdb "
        f"{settings.duckdb_path} \"select start_url, click_count, rage_click_count "
        "from posthog_replay.sessions order by rage_click_count desc limit 5\""
    )


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
    for column in ("run", "command", "status", "started", "seconds", "archived", "failed", "rejects", "API calls", "429s"):
        table.add_column(column)
    for run in runs:
        started, ended = run.get("started_at"), run.get("ended_at")
        seconds = f"{(ended - started).total_seconds():.1f}" if started and ended else ""
        color = {"ok": "green", "partial": "yellow", "failed": "red"}.get(run.get("status") or "", "")
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
