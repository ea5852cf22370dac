"""Settings resolution, following dlt's conventions.

Precedence: explicit argument > environment variable > `.dlt/secrets.toml` / `.dlt/config.toml`
> default. replayport's own keys live under the `replayport` section
(`REPLAYPORT__HASH_KEY`, `[replayport.privacy] excluded_routes = [...]`,
`[replayport.frustration] rage_click_count = 3`); PostHog's under `sources.posthog_replay`;
destination credentials where dlt expects them.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import orjson

from replayport.errors import ConfigError, HashKeyMissingError

__all__ = [
    "DEFAULT_WORKDIR",
    "apply_runtime_defaults",
    "Settings",
    "demo_hash_key",
    "resolve_hash_key",
    "section_values",
]

DEFAULT_WORKDIR = Path("replayport-data")
_DEMO_KEY_FILE = "demo-hash-key"


@dataclass(frozen=True)
class Settings:
    """Where replayport keeps its files, resolved once per command."""

    workdir: Path = DEFAULT_WORKDIR
    archive_url: str = ""
    """`<workdir>/archive` unless `REPLAYPORT__ARCHIVE_URL` (e.g. `s3://bucket/prefix`) is set."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def resolve(cls, workdir: Path | str | None = None, archive_url: str | None = None) -> Settings:
        workdir_path = Path(
            workdir or os.environ.get("REPLAYPORT_WORKDIR") or DEFAULT_WORKDIR
        ).expanduser()
        url = archive_url or _config_value("replayport.archive_url") or ""
        if not url:
            url = str((workdir_path / "archive").resolve())
        return cls(workdir=workdir_path.resolve(), archive_url=str(url))

    @property
    def duckdb_path(self) -> Path:
        return self.workdir / "replayport.duckdb"

    @property
    def pipelines_dir(self) -> Path:
        """dlt's working state (extract files, pipeline state) lives with the workdir."""
        return self.workdir / ".pipelines"

    @property
    def exports_dir(self) -> Path:
        return self.workdir / "exports"


_RUNTIME_DEFAULTS = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    # dlt buffers up to 5000 items (rows, for Arrow items) per table before writing; one item
    # is a whole session's table (archive) or a bounded batch (warehouse load), so the default
    # would hold every session of a chunk in memory
    "DATA_WRITER__BUFFER_MAX_ITEMS": "8",
}


def apply_runtime_defaults() -> None:
    """Defaults for dlt, dbt and pyarrow that replayport relies on; the user's settings win."""
    for name, value in _RUNTIME_DEFAULTS.items():
        os.environ.setdefault(name, value)
    _use_releasing_arrow_pool()


def _use_releasing_arrow_pool() -> None:
    """Arrow buffers from jemalloc rather than pyarrow's default mimalloc, unless the user chose
    a pool with pyarrow's own `ARROW_DEFAULT_MEMORY_POOL` (`jemalloc`, `mimalloc`, `system`).

    With mimalloc, freed Arrow memory stayed resident and a long run's memory crept up chunk
    after chunk (every dlt step runs in fresh worker threads); measured, a 640-session `run`
    peaked 150 MB higher than with jemalloc, which returns freed pages to the OS over time.
    Where the wheel has no jemalloc, pyarrow's default stays.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # built without jemalloc (e.g. some non-Linux wheels)
        return
    pa.set_memory_pool(pool)


def typed_config(key: str, expected: type[Any]) -> Any:
    """A dlt config value coerced to `expected` by dlt (None when unset).

    Raises:
        ConfigError: the value cannot be read as `expected`.
    """
    from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException

    try:
        return dlt.config.get(key, expected)
    except ConfigValueCannotBeCoercedException:
        raise ConfigError(f"{key} must be a {expected.__name__}") from None


def _config_value(key: str) -> Any:
    value: Any = dlt.config.get(key)
    if value is None:
        value = dlt.secrets.get(key)
    return value


def section_values(section: str, names: list[str]) -> dict[str, Any]:
    """Values set for `replayport.<section>.<name>` anywhere dlt looks, JSON strings decoded.

    Environment variables arrive as strings (`REPLAYPORT__PRIVACY__EXCLUDED_ROUTES='["/admin*"]'`),
    toml values already typed; both end up as Python values here.
    """
    values: dict[str, Any] = {}
    for name in names:
        value: Any = dlt.config.get(f"replayport.{section}.{name}")
        if value is None:
            continue
        if isinstance(value, str):
            stripped = value.strip()
            if stripped[:1] in ("[", "{") or stripped in ("true", "false") or _is_number(stripped):
                try:
                    value = orjson.loads(stripped)
                except orjson.JSONDecodeError as exc:
                    raise ConfigError(
                        f"replayport.{section}.{name}: not valid JSON ({exc.msg})"
                    ) from None
        values[name] = value
    return values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def dataclass_config(section: str, cls: type[Any]) -> dict[str, Any]:
    """Config values for every field of dataclass `cls` under `replayport.<section>`."""
    return section_values(section, [f.name for f in dataclasses.fields(cls)])


def resolve_hash_key(explicit: str | None = None) -> str:
    """The identifier hash key: argument, `REPLAYPORT__HASH_KEY`, or `[replayport] hash_key`.

    Raises:
        HashKeyMissingError: when none is configured (only the demo may generate one).
    """
    key = explicit or dlt.secrets.get("replayport.hash_key")
    if not key:
        raise HashKeyMissingError()
    key = str(key)
    if len(key) < 16:
        raise ConfigError("the hash key is too short: use at least 16 characters (32+ recommended)")
    return key


def demo_hash_key(workdir: Path) -> tuple[str, bool]:
    """The demo's own key, generated once into `<workdir>/demo-hash-key` with 0600 permissions.

    Returns:
        The key and whether it was generated just now.
    """
    path = workdir / _DEMO_KEY_FILE
    if path.exists():
        return path.read_text().strip(), False
    workdir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key, True
