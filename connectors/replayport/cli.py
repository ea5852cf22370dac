"""`replayport` command line: parses, calls the library, renders. Nothing else lives here.

Exit codes: 0 ok; 1 data or run failure (partial failures reported); 2 usage or configuration.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

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
    typer.Option(help="Backfill: recordings that started on/after this date (UTC).", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
]
UntilOpt = Annotated[
    datetime | None,
    typer.Option(help="Backfill: recordings that started before this date (UTC).", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
]
PathOpt = Annotated[
    Path | None,
    typer.Option("--path", help="--source files: a file or a directory of exports/snapshot bodies."),
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
    runner.load(run, destination.value)
    _finish(run, destination.value)


@app.command()
def demo() -> None:
    """The whole flow on the bundled sample recordings: archive → DuckDB (→ dbt → export)."""
    result = runner.demo(state.settings, say=err.print)
    render.demo_summary(out, result)
    raise typer.Exit(result.report.exit_code)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    limit: Annotated[int, typer.Option(help="How many recent runs to show.")] = 10,
) -> None:
    """Recent runs and their metrics; exits 1 when the last run failed."""
    runs = runner.recent_runs(state.settings, limit)
    render.status(out, runs, as_json=as_json)
    if runs and runs[0].get("status") == "failed":
        raise typer.Exit(1)


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


