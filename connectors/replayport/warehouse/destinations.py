"""One dlt destination per warehouse name: the file format and value limit that warehouse needs.

| name | loader file format | value limit (bytes per string value) |
|---|---|---|
| duckdb | parquet | none |
| postgres | csv (COPY; every contract column is a scalar) | 1 GiB − 1 (`text` maximum) |
| snowflake | parquet (PUT to the table stage + COPY) | 16 MiB (VARCHAR maximum) |
| bigquery | parquet (dlt writes its own state table as jsonl) | 10 MiB (<< 100 MB row limit) |
| redshift | parquet via S3 staging if `staging_url` is set, else insert_values | 65,535 |

Credentials resolve the dlt way (`DESTINATION__POSTGRES__CREDENTIALS`, `[destination.snowflake
.credentials]`, …). replayport's own knobs live under `[replayport.warehouse]`:
`max_value_bytes` (override the limit for every destination) and `staging_url` (an `s3://` URL
Redshift stages its files in; credentials from `[destination.filesystem.credentials]`).

DuckDB runs inside the replayport process, so its memory is replayport's: left alone its buffer
pool may grow to 80% of RAM while a load stages and merges the archive's rows. replayport caps
it (`[replayport.warehouse] duckdb_memory_limit`, default `DUCKDB_MEMORY_LIMIT`; `none` restores
DuckDB's own default) and DuckDB spills what does not fit to its temp directory,
`<workdir>/replayport.duckdb.tmp` by default (`duckdb_temp_directory`); `duckdb_threads`
(default `DUCKDB_THREADS`; `none` for DuckDB's one per core) goes with it. Raise both together
for big first loads on a big machine. Settings given the dlt way in
`[destination.duckdb.credentials] global_config` win over these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from replayport.config import Settings, section_values, typed_config
from replayport.errors import ConfigError

__all__ = [
    "DESTINATIONS",
    "DUCKDB_MEMORY_LIMIT",
    "DUCKDB_THREADS",
    "MAX_VALUE_BYTES",
    "DestinationSetup",
    "destination_setup",
    "duckdb_settings",
]

DESTINATIONS = ("duckdb", "postgres", "snowflake", "bigquery", "redshift")

MAX_VALUE_BYTES: dict[str, int | None] = {
    "duckdb": None,
    "postgres": 1024**3 - 1,
    "snowflake": 16 * 1024**2,
    "bigquery": 10 * 1024**2,
    "redshift": 65_535,
}
"""The largest UTF-8 string value each warehouse holds; larger values stay in the archive only."""

DUCKDB_MEMORY_LIMIT = "128MB"
"""DuckDB's `memory_limit` for loads unless configured: its buffer pool spills past this, so a
load's memory does not grow with the archive. Any DuckDB size (`"1GB"`, `"70%"`)."""
DUCKDB_THREADS = 1
"""DuckDB's `threads` for loads unless configured. What DuckDB allocates outside its buffer pool
(which `memory_limit` does not cover) grows with its threads, and a small limit shared by many
threads leaves each too little; the load's SQL is light (measured: no slower on one thread than
on two)."""
_DUCKDB_OPTIONS = ("duckdb_memory_limit", "duckdb_threads", "duckdb_temp_directory")

_FILE_FORMATS: dict[str, str | None] = {
    "duckdb": "parquet",
    "postgres": "csv",
    "snowflake": "parquet",
    "bigquery": "parquet",
    "redshift": "insert_values",
}


@dataclass(frozen=True)
class DestinationSetup:
    """How to load one warehouse."""

    name: str
    destination: Any
    """A dlt destination factory; credentials resolve the dlt way."""
    loader_file_format: str | None
    """None lets dlt choose its default for the destination."""
    staging: Any = None
    """A dlt filesystem destination to stage files in (Redshift on S3), or None."""
    max_value_bytes: int | None = None
    """Largest string value (UTF-8 bytes) the warehouse holds; None means unlimited."""


def destination_setup(settings: Settings, name: str) -> DestinationSetup:
    """The dlt destination for warehouse `name`; DuckDB lives at `<workdir>/replayport.duckdb`.

    Raises:
        ConfigError: unknown name or invalid `[replayport.warehouse]` settings.
    """
    if name not in DESTINATIONS:
        raise ConfigError(f"unknown destination `{name}`; choose one of {', '.join(DESTINATIONS)}")
    options = section_values("warehouse", ["max_value_bytes", "staging_url", *_DUCKDB_OPTIONS])
    limit = _limit(name, options.get("max_value_bytes"))
    file_format = _FILE_FORMATS[name]
    staging = None
    if name == "duckdb":
        settings.workdir.mkdir(parents=True, exist_ok=True)
        credentials = DuckDbCredentials(
            str(settings.duckdb_path), global_config=duckdb_settings(options)
        )
        destination: Any = dlt.destinations.duckdb(credentials=credentials)
    else:
        destination = getattr(dlt.destinations, name)()
    staging_url = options.get("staging_url")
    if name == "redshift" and staging_url:
        if not str(staging_url).startswith(("s3://", "s3a://")):
            raise ConfigError("replayport.warehouse.staging_url must be an s3:// URL for Redshift")
        # Redshift loads fastest with COPY from S3; dlt stages parquet there and forwards
        # the filesystem credentials (or `staging_iam_role`) to COPY.
        staging = dlt.destinations.filesystem(bucket_url=str(staging_url))
        file_format = "parquet"
    return DestinationSetup(name, destination, file_format, staging, limit)


def duckdb_settings(options: dict[str, Any] | None = None) -> dict[str, Any]:
    """DuckDB settings for a load: replayport's caps, then dlt's `global_config` on top.

    Args:
        options: `[replayport.warehouse]` values (read from the configuration when None).

    Raises:
        ConfigError: a setting of the wrong type.
    """
    if options is None:
        options = section_values("warehouse", list(_DUCKDB_OPTIONS))
    config: dict[str, Any] = {}
    limit = options.get("duckdb_memory_limit", DUCKDB_MEMORY_LIMIT)
    if limit is not None and str(limit).strip().lower() not in ("", "none"):
        config["memory_limit"] = str(limit).strip()
    threads = options.get("duckdb_threads", DUCKDB_THREADS)
    if threads is not None and str(threads).strip().lower() not in ("", "none"):
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigError(
                "replayport.warehouse.duckdb_threads must be a positive whole number or none"
            )
        config["threads"] = threads
    temp_directory = options.get("duckdb_temp_directory")
    if temp_directory:
        config["temp_directory"] = str(temp_directory)
    return {**config, **_dlt_global_config()}


def _dlt_global_config() -> dict[str, Any]:
    """`[destination.duckdb.credentials] global_config`, dlt's own key, if set."""
    return dict(typed_config("destination.duckdb.credentials.global_config", dict) or {})


def _limit(name: str, override: Any) -> int | None:
    if override is None or override == "":
        return MAX_VALUE_BYTES[name]
    try:
        value = int(override)
    except (TypeError, ValueError):
        raise ConfigError("replayport.warehouse.max_value_bytes must be a whole number") from None
    if value < 1:
        raise ConfigError("replayport.warehouse.max_value_bytes must be positive")
    default = MAX_VALUE_BYTES[name]
    # an override may only tighten the warehouse's own limit, never exceed it
    return value if default is None else min(value, default)
