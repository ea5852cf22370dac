"""`replayport` command line: parses, calls the library, renders. Nothing else lives here.

Exit codes: 0 ok; 1 data or run failure (partial failures reported); 2 usage or configuration.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

import click  # noqa: E402
import typer  # noqa: E402
from rich.console import Console  # noqa: E402

from replayport import __version__, runner  # noqa: E402
from replayport import report as render  # noqa: E402
from replayport.config import Settings  # noqa: E402
from replayport.errors import ConfigError, ReplayportError  # noqa: E402

__all__ = ["app", "main"]

app = typer.Typer(
    name="replayport",
    help="Portable PostHog session replays: extract, scrub, archive, load, model, export.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


class SourceName(str, Enum):
    posthog = "posthog"
    files = "files"


class DestinationName(str, Enum):
    duckdb = "duckdb"
    postgres = "postgres"
    snowflake = "snowflake"
    bigquery = "bigquery"
    redshift = "redshift"


class _State:
    settings: Settings
    debug: bool = False


state = _State()

SourceOpt = Annotated[SourceName, typer.Option("--source", help="Where recordings come from.")]
DestinationOpt = Annotated[
    DestinationName, typer.Option("--destination", help="Warehouse to load (from the archive).")
]
SinceOpt = Annotated[
    datetime | None,
    typer.Option(
        help="Backfill: recordings that started on/after this date (UTC).",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
    ),
]
UntilOpt = Annotated[
    datetime | None,
    typer.Option(
        help="Backfill: recordings that started before this date (UTC).",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
    ),
]
PathOpt = Annotated[
    Path | None,
    typer.Option(
        "--path", help="--source files: a file or a directory of exports/snapshot bodies."
    ),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"replayport {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir",
            envvar="REPLAYPORT_WORKDIR",
            help="Holds the archive (archive/) and the DuckDB warehouse (replayport.duckdb).",
            show_default="./replayport-data",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    state.settings = Settings.resolve(workdir)
    state.debug = debug


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _check_source_args(source: SourceName, path: Path | None) -> None:
    if source is SourceName.files and path is None:
        raise ConfigError("--source files needs --path (a file or a directory)")
    if source is SourceName.posthog and path is not None:
        raise ConfigError("--path only applies to --source files")


@app.command()
def extract(
    source: SourceOpt = SourceName.posthog,
    since: SinceOpt = None,
    until: UntilOpt = None,
    path: PathOpt = None,
) -> None:
    """Extract recordings, scrub them and write the archive (no warehouse)."""
    _check_source_args(source, path)
    run = runner.Run(state.settings, "extract", source=source.value)
    runner.extract(run, source.value, path=path, since=_utc(since), until=_utc(until))
    _finish(run)


@app.command()
def load(destination: DestinationOpt = DestinationName.duckdb) -> None:
    """Load the archive into a warehouse (merge on the contract's primary keys)."""
    run = runner.Run(state.settings, "load", destination=destination.value)
    runner.load(run, destination.value)
    _finish(run, destination.value)


@app.command("run")
def run_command(
    source: SourceOpt = SourceName.posthog,
    destination: DestinationOpt = DestinationName.duckdb,
    since: SinceOpt = None,
    until: UntilOpt = None,
    path: PathOpt = None,
) -> None:
    """Extract + load (+ transform when the dbt project is available)."""
    _check_source_args(source, path)
    run = runner.Run(state.settings, "run", source=source.value, destination=destination.value)
    runner.extract(run, source.value, path=path, since=_utc(since), until=_utc(until))
    from replayport.retention import prune_if_configured

    prune_if_configured(state.settings, run.run_id, run.metrics, say=err.print)
    runner.load(run, destination.value)
    from replayport.transform import has_dbt_project, progress_printer

    if has_dbt_project(destination.value):
        runner.transform(run, destination.value, progress=progress_printer(err.print))
    _finish(run, destination.value)


@app.command()
def transform(destination: DestinationOpt = DestinationName.duckdb) -> None:
    """Build the dbt models and run their tests (`dbt build`) in a warehouse."""
    from replayport.transform import progress_printer

    run = runner.Run(state.settings, "transform", destination=destination.value)
    result = runner.transform(run, destination.value, progress=progress_printer(err.print))
    report = run.finish()
    render.transform_summary(out, err, report, result)
    raise typer.Exit(report.exit_code)


class PaymentSourceName(str, Enum):
    stripe = "stripe"
    file = "file"
    table = "table"


@app.command()
def payments(
    source: Annotated[
        PaymentSourceName,
        typer.Option("--source", help="Stripe's API, a file, or a warehouse table."),
    ] = PaymentSourceName.stripe,
    path: Annotated[
        Path | None,
        typer.Option("--path", help="--source file: Stripe JSON/JSONL, CSV or Parquet."),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option("--table", help="--source table: SCHEMA.TABLE, e.g. stripe.charge."),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="FIELD=COLUMN, repeatable (e.g. --map amount_unit=major)."),
    ] = None,
    destination: DestinationOpt = DestinationName.duckdb,
) -> None:
    """Hash payments into `payment_identities` (archive → warehouse), ready to join sessions."""
    run = runner.Run(
        state.settings, "payments", source=f"payments:{source.value}", destination=destination.value
    )
    result = runner.load_payments(
        run, source.value, path=path, table=table, mapping=mapping, destination=destination.value
    )
    err.print(f"{result.rows:,} payment(s) hashed and archived")
    if result.erased_skipped:
        err.print(f"{result.erased_skipped:,} payment(s) of erased emails left out")
    runner.load(run, destination.value)
    _finish(run, destination.value)


@app.command()
def demo() -> None:
    """The whole flow on the bundled sample recordings: archive → DuckDB → dbt (→ export)."""
    result = runner.demo(state.settings, say=err.print)
    render.demo_summary(out, result)
    raise typer.Exit(result.report.exit_code)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    limit: Annotated[int, typer.Option(help="How many recent runs to show.")] = 10,
    max_error_rate: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Alert (exit 1) when the last run's share of failed recordings exceeds this.",
        ),
    ] = 0.05,
) -> None:
    """Recent runs and their metrics; exits 1 when the last run failed or failed too often."""
    from replayport.archive.runs import run_alert

    runs = runner.recent_runs(state.settings, limit)
    render.status(out, runs, as_json=as_json)
    alert = run_alert(runs[0] if runs else None, max_error_rate)
    render.status_alert(err, alert)
    if alert:
        raise typer.Exit(1)


@app.command()
def forget(
    distinct_id: Annotated[
        str | None,
        typer.Option("--distinct-id", help="PostHog distinct id (hashed before matching)."),
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Email address (hashed before matching).")
    ] = None,
    session_id: Annotated[
        str | None, typer.Option("--session-id", help="One recording's id.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Erase a person's (or one session's) recordings from archive, warehouses and exports."""
    from replayport import retention

    subject = retention.Subject.from_options(distinct_id, email, session_id)
    run = runner.Run(state.settings, "forget")
    record = retention.forget(state.settings, subject, run.run_id, metrics=run.metrics)
    for place in record.failures:
        run.metrics.error(f"forget: could not reach {place}")
    run.finish()
    render.erasure(out, record, as_json=as_json)
    raise typer.Exit(0 if record.ok else 1)


@app.command()
def prune(
    days: Annotated[
        int | None,
        typer.Option(min=1, help="Retention in days (default: the retention_days setting)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Expire sessions older than the retention period everywhere (as `forget` does)."""
    from replayport import retention

    run = runner.Run(state.settings, "prune")
    record = retention.prune(state.settings, run.run_id, days=days, metrics=run.metrics)
    for place in record.failures if record else ():
        run.metrics.error(f"prune: could not reach {place}")
    run.finish()
    render.erasure(out, record, as_json=as_json)
    raise typer.Exit(0 if record is None or record.ok else 1)


@app.command()
def audit(
    canaries: Annotated[
        Path | None,
        typer.Option(
            help=(
                "Known values to look for, one per line "
                "(also URL-encoded, lower-case, digits-only, packed)."
            )
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    sample: Annotated[
        int | None, typer.Option(help="Scan at most N random rows per table (default: all).", min=1)
    ] = None,
) -> None:
    """Scan archive, warehouse and exports for personal data; exits 1 on any finding."""
    from replayport.audit import run_audit

    if canaries is not None and not canaries.is_file():
        raise ConfigError(f"--canaries: no such file: {canaries}")
    result = run_audit(state.settings, canaries, sample)
    render.audit(out, result, as_json=as_json)
    raise typer.Exit(0 if result.ok else 1)


class ExportFormatName(str, Enum):
    html = "html"
    zip = "zip"
    posthog = "posthog"


@app.command()
def export(
    session_id: Annotated[
        str | None, typer.Argument(help="The session to export (or use --all / a filter).")
    ] = None,
    fmt: Annotated[ExportFormatName, typer.Option("--format", help="html, zip or posthog.")] = (
        ExportFormatName.html
    ),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File for one session, directory for many (default: <workdir>/exports).",
        ),
    ] = None,
    all_sessions: Annotated[
        bool, typer.Option("--all", help="Export every archived session.")
    ] = False,
    since: SinceOpt = None,
    until: UntilOpt = None,
    has_errors: Annotated[
        bool,
        typer.Option("--has-errors", help="Only sessions with console errors or error clicks."),
    ] = False,
    asset_host: Annotated[
        list[str] | None,
        typer.Option("--asset-host", help="Also fetch assets from HOST (repeatable; * = any)."),
    ] = None,
    no_assets: Annotated[bool, typer.Option("--no-assets", help="Fetch no assets.")] = False,
    plain_json: Annotated[
        bool, typer.Option("--plain-json", help="HTML: embed events as readable JSON, not gzip.")
    ] = False,
) -> None:
    """Export archived sessions as portable replays (HTML, ZIP or PostHog file)."""
    import dataclasses

    from replayport import portable

    many = all_sessions or since is not None or until is not None or has_errors
    if many == (session_id is not None):
        raise ConfigError("give a SESSION_ID, or --all / --since / --until / --has-errors")
    policy = portable.asset_policy()
    policy = dataclasses.replace(
        policy,
        asset_hosts=policy.asset_hosts + tuple(asset_host or ()),
        fetch_assets=policy.fetch_assets and not no_assets,
    )
    options = portable.ExportOptions(assets=policy, compress=not plain_json)
    if session_id is not None:
        result = portable.export_session(state.settings, session_id, fmt.value, output, options)
        render.export_result(out, result)
        raise typer.Exit(0)
    with render.export_progress(err) as progress:
        batch = portable.export_many(
            state.settings,
            output or state.settings.exports_dir,
            fmt.value,
            since=_utc(since),
            until=_utc(until),
            has_errors=has_errors,
            options=options,
            on_progress=progress,
        )
    render.export_batch(out, err, batch)
    raise typer.Exit(1 if batch.failures else 0)


def _finish(run: runner.Run, destination: str | None = None) -> None:
    report = run.finish(loaded_destination=destination)
    render.run_summary(out, err, report, state.settings)
    raise typer.Exit(report.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps errors to exit codes, never a traceback by default."""
    try:
        code = app(args=argv, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("[red]aborted[/red]")
        sys.exit(130)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(2)
    except ReplayportError as exc:
        if state.debug:
            raise
        err.print(f"[bold red]error:[/bold red] {exc}")
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no raw traceback for users
        if state.debug:
            raise
        err.print(
            f"[bold red]internal error:[/bold red] {type(exc).__name__}. "
            "Re-run with --debug for the traceback and please report it."
        )
        sys.exit(1)
    # without standalone mode click returns the code of a typer.Exit instead of raising it
    sys.exit(code if isinstance(code, int) else 0)
