"""The transform stage: run the dbt project through dbt's Python API, with progress.

dbt's profile is driven by environment variables (`dbt_project/profiles.yml`); for DuckDB this
module points it at `<workdir>/replayport.duckdb`. dbt's `target/` and `logs/` go to
`<workdir>/dbt/`, never into the project directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from replayport.config import Settings
from replayport.errors import ConfigError, WarehouseError

__all__ = [
    "DBT_PROJECT_DIR",
    "DEFAULT_SCHEMA",
    "Headline",
    "TransformResult",
    "dbt_project_dir",
    "has_dbt_project",
    "headline_answers",
    "progress_printer",
    "run_dbt",
    "transform",
]

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
"""The dbt project of a source checkout (`REPLAYPORT__DBT_PROJECT_DIR` overrides it)."""
DEFAULT_SCHEMA = "posthog_replay_marts"
"""Schema of the marts (`REPLAYPORT_DBT_SCHEMA`); staging and intermediate get `_staging`,
`_intermediate` suffixes (dbt's default schema naming)."""
_RESULT_EVENTS = {"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"}


@dataclass
class TransformResult:
    """What one dbt invocation did."""

    command: str
    target: str
    success: bool
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    """Node results by status (`success`, `pass`, `fail`, `error`, `warn`, `skipped`)."""
    failures: list[str] = field(default_factory=list)
    """`<node name>: <status>` of every failed/errored node."""
    target_path: Path | None = None


@dataclass(frozen=True)
class Headline:
    """One answer the demo prints: a question and its answer in words."""

    question: str
    answer: str


def dbt_project_dir() -> Path:
    """The dbt project to run: `REPLAYPORT__DBT_PROJECT_DIR` or the checkout's `dbt_project/`."""
    configured = os.environ.get("REPLAYPORT__DBT_PROJECT_DIR")
    path = Path(configured).expanduser() if configured else DBT_PROJECT_DIR
    if not (path / "dbt_project.yml").is_file():
        raise ConfigError(
            f"no dbt project at {path}; set REPLAYPORT__DBT_PROJECT_DIR to the dbt_project folder"
        )
    return path


def has_dbt_project(target: str = "duckdb") -> bool:
    """True when the dbt project, dbt and the adapter for `target` are installed (`run` then
    transforms too)."""
    import importlib.util

    try:
        dbt_project_dir()
        return importlib.util.find_spec(f"dbt.adapters.{target}") is not None
    except (ConfigError, ImportError, ValueError):
        return False


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for dbt's profile rendering, restoring them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_dbt(
    settings: Settings,
    command: str = "build",
    target: str = "duckdb",
    select: Sequence[str] = (),
    dbt_vars: dict[str, Any] | None = None,
    extra_args: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    env: dict[str, str] | None = None,
) -> TransformResult:
    """Invoke `dbt <command>` in-process (dbtRunner) against `target`.

    Args:
        settings: The workdir (DuckDB file, dbt's target/ and logs/).
        command: `build` (models + tests + unit tests), `run`, `test`, `compile`, …
        target: A profile output (`duckdb`, `postgres`, `snowflake`, `bigquery`, `redshift`).
        select: dbt selectors.
        dbt_vars: Project vars (e.g. `{"attribution_window_hours": 48}`).
        extra_args: Passed to dbt as they are.
        progress: Receives one line per finished node (`[3/41] model stg_… success`).
        env: Extra environment variables for the profile (credentials of non-DuckDB targets).

    Returns:
        The outcome; `success` is False when any node failed or dbt itself errored.
    """
    from dbt.cli.main import dbtRunner

    project = dbt_project_dir()
    dbt_dir = settings.workdir / "dbt"
    target_path = dbt_dir / f"target-{target}"
    args = [
        command,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target",
        target,
        "--target-path",
        str(target_path),
        "--log-path",
        str(dbt_dir / "logs"),
        "--no-use-colors",
        "--quiet",
    ]
    for selector in select:
        args += ["--select", selector]
    if dbt_vars:
        args += ["--vars", orjson.dumps(dbt_vars).decode()]
    args += list(extra_args)

    counts: dict[str, int] = {}
    failures: list[str] = []

    def on_event(event: Any) -> None:
        # an exception raised here would fail the dbt node, so nothing may escape
        try:
            name = event.info.name
            if name not in _RESULT_EVENTS:
                return
            data = event.data
            node, status = "?", str(getattr(data, "status", "") or "").lower()
            if data.HasField("node_info"):
                node = data.node_info.node_name
                # adapters word model results differently ("OK", "CREATE VIEW", "SELECT 36");
                # node_status is dbt's own: success, error, skipped, pass, fail, warn
                if data.node_info.node_status not in ("", "None"):
                    status = data.node_info.node_status
            counts[status] = counts.get(status, 0) + 1
            if status in ("error", "fail"):
                failures.append(f"{node}: {status}")
            if progress is not None:
                total = getattr(data, "total", 0) or getattr(data, "num_models", 0) or "?"
                kind = name.removeprefix("Log").removesuffix("Result").lower()
                progress(f"[{data.index}/{total}] {kind} {node} {status}")
        except Exception:  # noqa: BLE001, S110 - progress must never break the build
            pass

    environment = {
        "REPLAYPORT_DUCKDB_PATH": str(settings.duckdb_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(env or {}),
    }
    settings.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _environment(environment):
        try:
            result = dbtRunner(callbacks=[on_event]).invoke(args)
        finally:
            _release_duckdb()
    seconds = time.perf_counter() - started
    if result.exception is not None and not failures:
        failures.append(f"dbt: {type(result.exception).__name__}: {_first_line(result.exception)}")
    return TransformResult(
        command=command,
        target=target,
        success=bool(result.success),
        seconds=seconds,
        counts=counts,
        failures=failures,
        target_path=target_path,
    )


def transform(
    settings: Settings,
    target: str = "duckdb",
    progress: Callable[[str], None] | None = None,
    dbt_vars: dict[str, Any] | None = None,
    select: Sequence[str] = (),
) -> TransformResult:
    """`dbt build` (models, data tests, unit tests) on `target`.

    Raises:
        WarehouseError: dbt could not run or some node failed (the message names them).
    """
    result = run_dbt(
        settings,
        "build",
        target=target,
        select=select,
        dbt_vars=dbt_vars,
        progress=progress,
        env=credentials_env(target),
    )
    if not result.success:
        listed = "; ".join(result.failures[:5]) or "see the dbt log in " + str(
            settings.workdir / "dbt" / "logs"
        )
        raise WarehouseError(f"dbt build on {target} failed: {listed}")
    return result


def credentials_env(target: str) -> dict[str, str]:
    """dbt profile variables derived from dlt's credentials for `target`, so one setting
    (e.g. `DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:pw@host:5432/db`) serves both
    the load and the models. Explicit `REPLAYPORT_DBT_*` variables win."""
    if target not in ("postgres", "redshift") or os.environ.get("REPLAYPORT_DBT_HOST"):
        return {}
    from urllib.parse import unquote, urlsplit

    import dlt

    credentials: Any = dlt.secrets.get(f"destination.{target}.credentials")
    if isinstance(credentials, str):
        parts = urlsplit(credentials)
        values = {
            "REPLAYPORT_DBT_HOST": parts.hostname or "",
            "REPLAYPORT_DBT_PORT": str(parts.port) if parts.port else "",
            "REPLAYPORT_DBT_USER": unquote(parts.username or ""),
            "REPLAYPORT_DBT_PASSWORD": unquote(parts.password or ""),
            "REPLAYPORT_DBT_DATABASE": parts.path.lstrip("/"),
        }
    elif hasattr(credentials, "get"):
        values = {
            "REPLAYPORT_DBT_HOST": str(credentials.get("host") or ""),
            "REPLAYPORT_DBT_PORT": str(credentials.get("port") or ""),
            "REPLAYPORT_DBT_USER": str(credentials.get("username") or ""),
            "REPLAYPORT_DBT_PASSWORD": str(credentials.get("password") or ""),
            "REPLAYPORT_DBT_DATABASE": str(credentials.get("database") or ""),
        }
    else:
        return {}
    return {name: value for name, value in values.items() if value}


def _release_duckdb() -> None:
    """Close the DuckDB connection dbt-duckdb keeps after dbt returns.

    dbt-duckdb caches its environment (and the open database) in a class attribute, so after
    `dbtRunner.invoke` this process could not open the same file read-only ("different
    configuration"), nor could a dlt load write to it. There is no public API for this.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


def progress_printer(
    say: Callable[[str], None], interval_seconds: float = 2.0
) -> Callable[[str], None]:
    """A `progress` callback for people: failures at once, otherwise a line every few seconds
    and the last one (dbt reports ~80 nodes in ~10 s; one line each would drown the output)."""
    last = [0.0]

    def report(line: str) -> None:
        now = time.monotonic()
        position = line.split(" ", 1)[0]  # "[12/83]"
        done, _, total = position.strip("[]").partition("/")
        failed = line.endswith((" error", " fail"))
        if failed or done == total or now - last[0] >= interval_seconds:
            last[0] = now
            say(f"dbt {line}")

    return report


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else ""


def headline_answers(settings: Settings, schema: str | None = None) -> list[Headline]:
    """Two or three answers from the marts in the workdir's DuckDB, in words.

    Returns an empty list when the marts are not there (transform not run).
    """
    import duckdb

    schema = schema or os.environ.get("REPLAYPORT_DBT_SCHEMA") or DEFAULT_SCHEMA
    answers: list[Headline] = []
    if not settings.duckdb_path.exists():
        return answers
    try:
        con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    except duckdb.Error:
        # dbt-duckdb may still hold a read-write connection in this process, and DuckDB
        # refuses a second one with a different configuration
        try:
            con = duckdb.connect(str(settings.duckdb_path))
        except duckdb.Error:
            return answers
    with con:
        try:
            churn = con.execute(
                f"""
                select has_console_errors, paying_user_count, paid_again_count,
                       repeat_window_days
                from {schema}.fct_console_errors_churn
                """
            ).fetchall()
            friction = con.execute(
                f"""
                select page_path, sum(rage_burst_click_count), sum(dead_click_count),
                       sum(error_click_count), sum(frustrated_click_count),
                       sum(frustrated_clicks_by_paying_users)
                from {schema}.fct_page_friction
                group by page_path
                order by sum(frustrated_click_count) desc, page_path
                limit 1
                """
            ).fetchone()
            revenue = con.execute(
                f"""
                select
                    sum(case when is_attributed and session_has_frustrated_clicks
                        then revenue else 0 end),
                    sum(case when is_attributed and not session_has_frustrated_clicks
                        then revenue else 0 end),
                    sum(case when is_attributed then revenue else 0 end),
                    sum(revenue),
                    count(case when payment_status = 'refunded' then 1 end),
                    count(case when payment_status = 'refunded'
                        and session_has_frustrated_clicks then 1 end)
                from {schema}.fct_session_payments
                """
            ).fetchone()
        except duckdb.Error:
            return answers
    cohorts = {bool(row[0]): row for row in churn}
    if cohorts:
        days = next(iter(cohorts.values()))[3]
        parts = []
        for flag, label in ((True, "with console errors"), (False, "without")):
            row = cohorts.get(flag)
            if row and row[1]:
                parts.append(f"{label}: {row[2]}/{row[1]} ({row[2] / row[1]:.0%})")
            else:
                parts.append(f"{label}: no paying users")
        answers.append(
            Headline(
                f"Do users who hit console errors pay again within {days} days?",
                "; ".join(parts),
            )
        )
    if friction and friction[4]:
        path, rage, dead, error, frustrated, paying = friction
        answers.append(
            Headline(
                "Which page frustrates users most?",
                f"{path}: {rage} clicks in rage bursts, {dead} dead and {error} error clicks "
                f"({paying} of the {frustrated} by paying users)",
            )
        )
    if revenue and revenue[3]:
        frustrated_rev, calm_rev, attributed, total = (Decimal(v or 0) for v in revenue[:4])
        refunds, refunds_after_frustration = revenue[4], revenue[5]
        answer = (
            f"{_money(attributed)} of {_money(total)} revenue followed a recorded session: "
            f"{_money(frustrated_rev)} after sessions with rage/dead/error clicks, "
            f"{_money(calm_rev)} after calm ones"
        )
        if refunds:
            answer += (
                f"; {refunds_after_frustration} of {refunds} refunded payments followed "
                "a frustrated session"
            )
        answers.append(Headline("How much revenue follows frustrated sessions?", answer))
    return answers


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"
