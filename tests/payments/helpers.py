"""Stripe-shaped test charges and a workdir-bound archive reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from replayport.archive.store import Archive
from replayport.config import Settings

HASH_KEY = "payments-test-hash-key-0123456789"
T0 = 1_760_000_000
"""2025-10-09: a fixed `created` origin."""


def charge(
    index: int,
    created: int,
    *,
    email: str | None = None,
    amount: int = 2500,
    currency: str = "usd",
    status: str = "succeeded",
    refunded: bool = False,
    customer: str | None = None,
    amount_refunded: int | None = None,
) -> dict[str, Any]:
    """A Charge object with the fields Stripe documents (the ones the source reads).

    `amount_refunded` (cents) defaults to the whole amount when `refunded`, else 0; Stripe sets
    `refunded` once the whole amount is refunded.
    """
    email = email if email is not None else f"Patient{index}@Example.test "
    if amount_refunded is None:
        amount_refunded = amount if refunded else 0
    return {
        "id": f"ch_test{index:06d}",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if status == "succeeded" else 0,
        "amount_refunded": amount_refunded,
        "billing_details": {"email": email, "name": f"Patient {index}", "phone": None},
        "captured": status == "succeeded",
        "created": created,
        "currency": currency,
        "customer": customer or f"cus_test{index:04d}",
        "livemode": False,
        "paid": status == "succeeded",
        "receipt_email": None,
        "refunded": refunded,
        "status": status,
    }


def charges(count: int, start: int = T0, step: int = 3600) -> list[dict[str, Any]]:
    return [charge(i, start + i * step) for i in range(count)]


def archived_payments(workdir: Path) -> pa.Table:
    return Archive(Settings.resolve(workdir)).read("payment_identities")


def warehouse_charge_table(workdir: Path, columns: str, rows: str) -> None:
    """A `stripe.charge` table (`columns`: its DDL column list, `rows`: VALUES tuples) in the
    workdir's DuckDB, as a Fivetran-style connector would have loaded it."""
    workdir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(workdir / "replayport.duckdb")) as con:
        con.execute("create schema stripe")
        con.execute(f"create table stripe.charge ({columns})")
        con.execute(f"insert into stripe.charge values {rows}")
