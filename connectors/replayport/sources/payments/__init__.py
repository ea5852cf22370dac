"""Payments → hashed `payment_identities`, so dbt can join what users paid to what they saw.

Three inputs, one output table, one hasher (the key of the sessions):

- `stripe`: Stripe's API, charges or payment intents, incremental on `created` (`stripe.py`);
- `file`: Stripe list JSON / JSON lines, CSV or Parquet with a column mapping (`files.py`);
- `table`: a table already in the warehouse, e.g. Fivetran's `stripe.charge` (`tables.py`).

`archive_payments` writes the rows to the archive (upsert on `payment_id`); the warehouse is then
loaded from the archive like every other contract table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.extract import DltSource

from replayport.archive.store import Archive
from replayport.config import Settings
from replayport.errors import ConfigError
from replayport.privacy.hashing import IdentifierHasher
from replayport.sources.payments.files import payment_file_tables
from replayport.sources.payments.identities import TABLE, ColumnMapping, PaymentRow
from replayport.sources.payments.stripe import (
    STRIPE_API,
    StripeAPIError,
    StripeClient,
    stripe_payments,
)
from replayport.sources.payments.tables import FIVETRAN_CHARGE, warehouse_table_tables

__all__ = [
    "FIVETRAN_CHARGE",
    "PAYMENT_SOURCES",
    "ColumnMapping",
    "PaymentRow",
    "PaymentsResult",
    "StripeAPIError",
    "StripeClient",
    "archive_payments",
    "payments_resource",
    "stripe_payments",
]

PAYMENT_SOURCES = ("stripe", "file", "table")


@dataclass(frozen=True)
class PaymentsResult:
    """What `archive_payments` wrote."""

    source: str
    rows: int
    api_calls: int = 0
    api_429s: int = 0
    api_retries: int = 0
    erased_skipped: int = 0
    """Payments of emails erased by `forget --email` before they were made, not archived."""


def payments_resource(tables: Callable[[], Iterator[pa.Table]], name: str) -> Any:
    """A dlt resource upserting the Arrow tables of `tables()` into `payment_identities`."""

    @dlt.resource(
        name=name,
        table_name=TABLE,
        primary_key="payment_id",
        write_disposition={"disposition": "merge", "strategy": "upsert"},
        table_format="delta",
    )
    def payments() -> Iterator[pa.Table]:
        yield from tables()

    return payments


def archive_payments(
    settings: Settings,
    source: str,
    hasher: IdentifierHasher,
    *,
    path: Path | None = None,
    table: str | None = None,
    destination: str = "duckdb",
    mapping: ColumnMapping | Sequence[str] | None = None,
    run_id: str | None = None,
    stripe_client: StripeClient | None = None,
    stripe_objects: str | None = None,
) -> PaymentsResult:
    """Extract payments from `source`, hash them and upsert them into the archive.

    Args:
        settings: Workdir and archive location.
        source: `stripe`, `file` or `table`.
        hasher: Hasher with the sessions' key.
        path: The file (`file`).
        table: `schema.table` in `destination` (`table`).
        destination: Warehouse holding `table`.
        mapping: Column mapping for CSV/Parquet files and warehouse tables, or `FIELD=COLUMN`
            overrides of the default one (Stripe names for files, Fivetran's for tables).
        run_id: Stamped on the rows.
        stripe_client: Injected for tests (`stripe`).
        stripe_objects: `charges` or `payment_intents` (`stripe`; default from config).

    Returns:
        Rows written and, for Stripe, API call counters.

    Raises:
        ConfigError: Missing or contradictory arguments.
    """
    counted: list[int] = [0]
    skipped: list[int] = [0]
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        base = FIVETRAN_CHARGE if source == "table" else ColumnMapping()
        mapping = ColumnMapping.from_pairs(mapping, base=base)

    if source == "file":
        if path is None:
            raise ConfigError("payments --source file needs --path")
        data: Any = payments_resource(
            lambda: payment_file_tables(path, hasher, mapping, run_id), "payments_file"
        )
    elif source == "table":
        if not table:
            raise ConfigError("payments --source table needs --table SCHEMA.TABLE")
        # read (and hash) before the archive pipeline runs: dlt cannot run one pipeline while
        # another pipeline's SQL client is open inside its extract step. Hashed rows are
        # compact (~200 bytes), so even millions of payments fit in memory.
        hashed = list(
            warehouse_table_tables(
                settings, destination, table, hasher, mapping or FIVETRAN_CHARGE, run_id
            )
        )
        data = payments_resource(lambda: iter(hashed), "payments_table")
    elif source == "stripe":
        stripe_client = stripe_client or _stripe_client()
        extra: dict[str, Any] = {"objects": stripe_objects} if stripe_objects else {}
        data = stripe_payments(
            hasher=hasher, api_key="-", run_id=run_id, client=stripe_client, **extra
        )
    else:
        choices = ", ".join(PAYMENT_SOURCES)
        raise ConfigError(f"unknown payments source `{source}`; choose {choices}")
    archive = Archive(settings)
    erased = archive.erased_emails()
    for resource in data.resources.values() if isinstance(data, DltSource) else [data]:
        if erased:
            resource.add_map(_without_erased(erased, skipped))
        resource.add_map(_count_rows(counted))
    archive.write(data)
    client = stripe_client if source == "stripe" else None
    return PaymentsResult(
        source=source,
        rows=counted[0],
        api_calls=client.calls if client else 0,
        api_429s=client.rate_limited if client else 0,
        api_retries=client.retries if client else 0,
        erased_skipped=skipped[0],
    )


def _stripe_client() -> StripeClient:
    """A client from dlt config: `SOURCES__STRIPE__API_KEY`, `SOURCES__STRIPE__BASE_URL`."""
    key: Any = dlt.secrets.get("sources.stripe.api_key")
    if not key:
        raise ConfigError("no Stripe key: set SOURCES__STRIPE__API_KEY (a restricted read key)")
    base_url: Any = dlt.config.get("sources.stripe.base_url") or STRIPE_API
    return StripeClient(str(key), str(base_url))


def _without_erased(erased: dict[str, datetime], skipped: list[int]) -> Callable[[Any], Any]:
    """Drops the payments an erasure removed: made by an erased email no later than the request.

    Sources re-read them (Stripe's re-read window, a file imported again); without this they
    would come back after `forget --email`.
    """

    def drop(table: pa.Table) -> pa.Table:
        keep = [
            not (email_hash in erased and (created is None or created <= erased[email_hash]))
            for email_hash, created in zip(
                table.column("email_hash").to_pylist(),
                table.column("created_at").to_pylist(),
                strict=True,
            )
        ]
        if all(keep):
            return table
        skipped[0] += len(keep) - sum(keep)
        return table.filter(pa.array(keep, pa.bool_()))

    return drop


def _count_rows(counted: list[int]) -> Callable[[Any], Any]:
    def count(item: Any) -> Any:
        counted[0] += getattr(item, "num_rows", 1)
        return item

    return count
