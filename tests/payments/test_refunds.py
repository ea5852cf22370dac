"""Refunds: `amount_refunded` from Stripe, files and tables; bad values; archives from before it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from replayport.archive.store import Archive, contract_view
from replayport.config import Settings
from replayport.errors import InputError
from replayport.privacy.hashing import IdentifierHasher
from replayport.sources.payments import ColumnMapping, StripeClient, archive_payments
from replayport.sources.payments.identities import row_from_mapping, row_from_stripe
from replayport.tables.schemas import PAYMENT_IDENTITIES
from replayport.warehouse.load import load_from_archive
from tests.payments.helpers import (
    HASH_KEY,
    T0,
    archived_payments,
    charge,
    warehouse_charge_table,
)
from tests.payments.stripe_emulator import DEFAULT_KEY, StripeEmulator

HASHER = IdentifierHasher(HASH_KEY)


def _rows(workdir: Path) -> dict[str, dict[str, Any]]:
    return {r["payment_id"]: r for r in archived_payments(workdir).to_pylist()}


def _stripe(tmp_path: Path, data: list[dict[str, Any]], objects: str = "charges") -> None:
    with StripeEmulator(data) as emulator:
        client = StripeClient(DEFAULT_KEY, emulator.base_url, sleep=lambda _seconds: None)
        archive_payments(
            Settings.resolve(tmp_path / "w"),
            "stripe",
            HASHER,
            stripe_client=client,
            stripe_objects=objects,
        )


def test_stripe_partial_refund_keeps_the_status_and_records_the_refund(tmp_path: Path) -> None:
    _stripe(
        tmp_path,
        [
            charge(1, T0, amount=5000, amount_refunded=1250),
            charge(2, T0 + 10, amount=5000, refunded=True),
            charge(3, T0 + 20, amount=5000),
            charge(4, T0 + 30, amount=900, currency="jpy", amount_refunded=300),
        ],
    )
    rows = _rows(tmp_path / "w")
    partial, full, none, yen = (rows[f"ch_test00000{i}"] for i in range(1, 5))
    assert (partial["status"], partial["amount"], partial["amount_refunded"]) == (
        "succeeded",
        Decimal("50.00"),
        Decimal("12.50"),
    )
    assert (full["status"], full["amount_refunded"]) == ("refunded", Decimal("50.00"))
    assert none["amount_refunded"] == Decimal("0.00")
    assert yen["amount_refunded"] == Decimal("300.00")  # zero-decimal currency, like `amount`


def test_payment_intents_carry_no_refund_amount(tmp_path: Path) -> None:
    _stripe(tmp_path, [charge(1, T0, amount_refunded=500)], objects="payment_intents")
    [row] = archived_payments(tmp_path / "w").to_pylist()
    assert row["amount_refunded"] is None  # unknown, not 0
    assert row["status"] == "succeeded"


def test_stripe_objects_without_the_field_refunded_nothing() -> None:
    obj = charge(1, T0)
    del obj["amount_refunded"]
    assert row_from_stripe(obj, HASHER).amount_refunded == Decimal("0.00")


def test_a_refund_of_the_whole_amount_is_a_full_refund_without_the_flag() -> None:
    obj = charge(1, T0, amount=2500, amount_refunded=2500)
    obj["refunded"] = False  # an export that lacks the flag
    row = row_from_stripe(obj, HASHER)
    assert (row.status, row.amount_refunded) == ("refunded", Decimal("25.00"))
    # a free (0) payment with nothing refunded stays what it was
    assert row_from_stripe(charge(2, T0, amount=0), HASHER).status == "succeeded"
    # only succeeded payments become `refunded`
    failed = row_from_stripe(charge(3, T0, status="failed", amount_refunded=2500), HASHER)
    assert failed.status == "failed"


@pytest.mark.parametrize("column", ["amount_refunded", "refunded_amount", "Refund_Amount"])
def test_file_refund_column_candidates(tmp_path: Path, column: str) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        f"id,amount,{column},currency,status,created\n"
        "py_1,40.00,10.00,usd,succeeded,2025-10-01T12:00:00Z\n"
        "py_2,40.00,,usd,succeeded,2025-10-01T13:00:00Z\n"
        "py_3,40.00,40,usd,succeeded,2025-10-01T14:00:00Z\n"
    )
    settings = Settings.resolve(tmp_path / "w")
    archive_payments(settings, "file", HASHER, path=path, mapping=["amount_unit=major"])
    rows = _rows(tmp_path / "w")
    assert (rows["py_1"]["status"], rows["py_1"]["amount_refunded"]) == (
        "succeeded",
        Decimal("10.00"),
    )
    assert rows["py_2"]["amount_refunded"] is None  # empty cell: not stated
    # the whole amount refunded, no `refunded` column: a full refund all the same
    assert (rows["py_3"]["status"], rows["py_3"]["amount_refunded"]) == (
        "refunded",
        Decimal("40.00"),
    )


def test_file_refund_column_mapped_by_name_in_minor_units(tmp_path: Path) -> None:
    path = tmp_path / "charges.parquet"
    pq.write_table(
        pa.table(
            {
                "ref": ["c1", "c2"],
                "cents": [1999, 5000],
                "Refunded (cents)": [500, None],
                "currency": ["eur", "eur"],
                "status": ["succeeded", "succeeded"],
                "created": [T0, T0 + 1],
            }
        ),
        path,
    )
    mapping = ["payment_id=ref", "amount=cents", "amount_refunded=Refunded (cents)"]
    archive_payments(Settings.resolve(tmp_path / "w"), "file", HASHER, path=path, mapping=mapping)
    rows = _rows(tmp_path / "w")
    assert rows["c1"]["amount"] == Decimal("19.99")
    assert rows["c1"]["amount_refunded"] == Decimal("5.00")
    assert rows["c2"]["amount_refunded"] is None


def test_files_without_a_refund_column_leave_it_null(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,amount,currency,status,created,refunded\np1,500,usd,succeeded,1,true\n")
    archive_payments(Settings.resolve(tmp_path / "w"), "file", HASHER, path=path)
    [row] = archived_payments(tmp_path / "w").to_pylist()
    assert (row["status"], row["amount_refunded"]) == ("refunded", None)


@pytest.mark.parametrize(
    ("refund", "message"),
    [
        ("-500", "is negative"),
        ("2600", "exceeds the amount 25.00"),
        ("12,50", "not a number"),
        ("NaN", "not a number"),
    ],
)
def test_impossible_refunds_reject_the_input(refund: str, message: str) -> None:
    row = {"id": "ch_bad", "amount": "2500", "amount_refunded": refund, "created": "1"}
    with pytest.raises(InputError) as info:
        row_from_mapping(row, ColumnMapping(), HASHER)
    assert message in str(info.value)
    obj = charge(1, T0, amount=2500)
    obj["amount_refunded"] = refund
    with pytest.raises(InputError, match=message):
        row_from_stripe(obj, HASHER)


def test_an_impossible_refund_in_a_file_stops_the_import_and_names_the_payment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,amount,refund_amount,created\npy_ok,100,0,1\npy_odd,100,250,2\n")
    with pytest.raises(Exception) as info:
        archive_payments(Settings.resolve(tmp_path / "w"), "file", HASHER, path=path)
    assert "py_odd" in str(info.value) and "exceeds" in str(info.value)
    assert not Archive(Settings.resolve(tmp_path / "w")).has_table("payment_identities")


def test_fivetran_charge_table_refunds(tmp_path: Path) -> None:
    workdir = tmp_path / "w"
    warehouse_charge_table(
        workdir,
        "id varchar, amount bigint, amount_refunded bigint, currency varchar, status varchar, "
        "created timestamp, refunded boolean",
        "('ch_p', 4200, 1000, 'usd', 'succeeded', '2025-10-01 10:00:00', false), "
        "('ch_f', 990, 990, 'usd', 'succeeded', '2025-10-02 10:00:00', true)",
    )
    archive_payments(
        Settings.resolve(workdir), "table", HASHER, table="stripe.charge", destination="duckdb"
    )
    rows = _rows(workdir)
    assert (rows["ch_p"]["status"], rows["ch_p"]["amount_refunded"]) == (
        "succeeded",
        Decimal("10.00"),
    )
    assert (rows["ch_f"]["status"], rows["ch_f"]["amount_refunded"]) == (
        "refunded",
        Decimal("9.90"),
    )


def _old_schema_row(payment_id: str, amount: str) -> pa.Table:
    """A `payment_identities` row as replayport wrote it before `amount_refunded` existed."""
    old = pa.schema([f for f in PAYMENT_IDENTITIES if f.name != "amount_refunded"])
    row = {
        "payment_id": payment_id,
        "amount": Decimal(amount),
        "currency": "usd",
        "status": "succeeded",
        "created_at": datetime(2025, 10, 1, tzinfo=UTC),
        "extracted_at": datetime.now(UTC),
    }
    return pa.Table.from_pylist([row], schema=old)


def test_archives_written_before_the_refund_column_still_load(tmp_path: Path) -> None:
    """An archive from before `amount_refunded` loads (the column reads null), and the next
    payments import adds the column to archive and warehouse."""
    settings = Settings.resolve(tmp_path / "w")
    archive = Archive(settings)
    archive.write_tables([("payment_identities", _old_schema_row("ch_old", "10.00"))])
    assert (
        "amount_refunded" not in archive.delta_table("payment_identities").schema().to_arrow().names
    )
    load_from_archive(settings, "duckdb")
    query = "select payment_id, amount_refunded from posthog_replay.payment_identities order by 1"
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute(query).fetchall() == [("ch_old", None)]

    path = tmp_path / "charges.json"
    path.write_text(json.dumps([charge(1, T0, amount=3000, amount_refunded=700)]))
    archive_payments(settings, "file", HASHER, path=path)
    stored = archive.delta_table("payment_identities").schema().to_arrow()
    assert stored.names == PAYMENT_IDENTITIES.names  # Delta appended it where the contract has it
    load_from_archive(settings, "duckdb")
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute(query).fetchall() == [
            ("ch_old", None),
            ("ch_test000001", Decimal("7.00")),
        ]


def test_contract_view_adds_missing_columns_and_orders_them(tmp_path: Path) -> None:
    table = _old_schema_row("ch_1", "5.00")
    reordered = table.select([*table.column_names[3:], *table.column_names[:3]])
    pq.write_table(reordered, tmp_path / "part.parquet")
    view = contract_view("payment_identities", ds.dataset(tmp_path / "part.parquet"))
    assert view.schema.names == PAYMENT_IDENTITIES.names
    [row] = view.to_table().cast(PAYMENT_IDENTITIES).to_pylist()
    assert (row["payment_id"], row["amount"], row["amount_refunded"]) == (
        "ch_1",
        Decimal("5.00"),
        None,
    )
    # columns outside the contract: left as written
    pq.write_table(reordered.append_column("extra", pa.array([1])), tmp_path / "other.parquet")
    other = ds.dataset(tmp_path / "other.parquet")
    assert contract_view("payment_identities", other).schema == other.schema


def test_uncaptured_charges_are_not_revenue_and_partial_captures_count_what_was_captured(
    tmp_path: Path,
) -> None:
    """Stripe reports an authorised, uncaptured charge as `succeeded` with `captured: false`;
    capturing part of it refunds the rest, so `amount_refunded` already holds the difference."""
    uncaptured = {**charge(1, T0, amount=5000), "captured": False, "amount_captured": 0}
    partly = {
        **charge(2, T0 + 10, amount=5000),
        "amount_captured": 3000,
        "amount_refunded": 2000,
    }
    _stripe(tmp_path, [uncaptured, partly])
    rows = _rows(tmp_path / "w")
    assert rows["ch_test000001"]["status"] == "requires_capture"
    kept = rows["ch_test000002"]
    assert (kept["status"], kept["amount"] - kept["amount_refunded"]) == (
        "succeeded",
        Decimal("30.00"),
    )

    exported = row_from_mapping(
        {"id": "ch_csv", "Amount": "50.00", "Captured": "FALSE", "Status": "succeeded"},
        ColumnMapping(amount_unit="major"),
        HASHER,
    )
    assert exported.status == "requires_capture"
