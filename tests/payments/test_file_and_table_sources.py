"""Payments from files (Stripe JSON, CSV, Parquet) and from a table already in the warehouse."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from replayport.config import Settings
from replayport.errors import InputError
from replayport.privacy.hashing import IdentifierHasher
from replayport.sources.payments import ColumnMapping, archive_payments
from replayport.sources.payments.identities import minor_to_major, parse_timestamp
from tests.payments.helpers import (
    HASH_KEY,
    T0,
    archived_payments,
    charges,
    warehouse_charge_table,
)

HASHER = IdentifierHasher(HASH_KEY)


def _rows(workdir: Path) -> dict[str, dict]:
    return {r["payment_id"]: r for r in archived_payments(workdir).to_pylist()}


def test_stripe_list_json_file(tmp_path: Path) -> None:
    path = tmp_path / "payments.json"
    listing = {"object": "list", "data": charges(3), "has_more": False, "url": "/v1/charges"}
    path.write_text(json.dumps(listing))
    result = archive_payments(Settings.resolve(tmp_path / "w"), "file", HASHER, path=path)
    assert result.rows == 3
    rows = _rows(tmp_path / "w")
    assert rows["ch_test000000"]["email_hash"] == HASHER.hash_email("patient0@example.test")
    assert rows["ch_test000000"]["source"] == "file:json"


def test_csv_with_a_column_mapping_and_major_units(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Payment ID,Customer Email,Customer,Amount,Currency,Status,Created (UTC)\n"
        "py_001,Ada@Example.test,0042,12.50,EUR,Paid,2025-10-01 12:00:00\n"
        "py_002,,0043,1000,JPY,Paid,2025-10-02T08:00:00Z\n"
    )
    mapping = [
        "payment_id=Payment ID",
        "email=Customer Email",
        "customer_id=Customer",
        "amount=Amount",
        "currency=Currency",
        "status=Status",
        "created_at=Created (UTC)",
        "amount_unit=major",
    ]
    archive_payments(Settings.resolve(tmp_path / "w"), "file", HASHER, path=path, mapping=mapping)
    rows = _rows(tmp_path / "w")
    assert rows["py_001"]["amount"] == Decimal("12.50")
    assert rows["py_001"]["currency"] == "eur"
    assert rows["py_001"]["email_hash"] == HASHER.hash_email("ada@example.test")
    # customer ids are text: the leading zeros survive
    assert rows["py_001"]["customer_id_hash"] == HASHER.hash_id("0042")
    assert rows["py_002"]["email_hash"] is None
    assert rows["py_002"]["created_at"].isoformat() == "2025-10-02T08:00:00+00:00"


def test_parquet_with_nested_billing_details(tmp_path: Path) -> None:
    path = tmp_path / "charges.parquet"
    data = charges(4)
    table = pa.Table.from_pylist(
        [
            {
                k: c[k]
                for k in (
                    "id",
                    "amount",
                    "currency",
                    "status",
                    "created",
                    "customer",
                    "refunded",
                    "billing_details",
                )
            }
            for c in data
        ]
    )
    pq.write_table(table, path)
    archive_payments(Settings.resolve(tmp_path / "w"), "file", HASHER, path=path)
    rows = _rows(tmp_path / "w")
    assert len(rows) == 4
    assert rows["ch_test000001"]["email_hash"] == HASHER.hash_email("patient1@example.test")
    assert rows["ch_test000001"]["amount"] == Decimal("25.00")


def test_missing_required_column_names_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ref,total\nx,1\n")
    with pytest.raises(Exception) as info:
        archive_payments(Settings.resolve(tmp_path / "w"), "file", HASHER, path=path)
    assert "payment_id" in str(info.value) and "--map" in str(info.value)


def test_fivetran_charge_table_in_the_warehouse(tmp_path: Path) -> None:
    """Fivetran's stripe.charge layout: cents, flattened billing email, `customer_id`."""
    workdir = tmp_path / "w"
    warehouse_charge_table(
        workdir,
        """
        id varchar, amount bigint, currency varchar, status varchar,
        created timestamp, customer_id varchar, receipt_email varchar,
        billing_detail_email varchar, refunded boolean, _fivetran_synced timestamp
        """,
        """
        ('ch_f1', 4200, 'usd', 'succeeded', '2025-10-01 10:00:00', 'cus_1', null,
         'Bo@Example.test', false, now()),
        ('ch_f2', 990, 'usd', 'succeeded', '2025-10-02 10:00:00', 'cus_2',
         'cy@example.test', null, true, now())
        """,
    )
    result = archive_payments(
        Settings.resolve(workdir), "table", HASHER, table="stripe.charge", destination="duckdb"
    )
    assert result.rows == 2
    rows = _rows(workdir)
    assert rows["ch_f1"]["email_hash"] == HASHER.hash_email("bo@example.test")
    assert rows["ch_f1"]["customer_id_hash"] == HASHER.hash_id("cus_1")
    assert rows["ch_f1"]["amount"] == Decimal("42.00")
    assert rows["ch_f2"]["email_hash"] == HASHER.hash_email("cy@example.test")
    assert rows["ch_f2"]["status"] == "refunded"
    assert rows["ch_f2"]["source"] == "table:stripe.charge"


def test_table_names_are_identifiers_only(tmp_path: Path) -> None:
    with pytest.raises(Exception) as info:
        archive_payments(
            Settings.resolve(tmp_path / "w"), "table", HASHER, table="stripe.charge; drop x"
        )
    assert "identifier" in str(info.value)


def test_amount_and_time_normalisation() -> None:
    assert minor_to_major(1999, "usd") == Decimal("19.99")
    assert minor_to_major(500, "JPY") == Decimal("500.00")  # zero-decimal currency
    assert minor_to_major(None, "usd") is None
    assert parse_timestamp(T0).timestamp() == T0
    assert parse_timestamp("2025-10-01T00:00:00+02:00").isoformat() == "2025-09-30T22:00:00+00:00"
    with pytest.raises(InputError):
        minor_to_major("12,50", "eur")
    with pytest.raises(InputError):
        ColumnMapping.from_pairs(["nope=x"])
