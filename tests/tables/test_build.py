"""Row lists become tables that match the contract exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import pyarrow as pa
import pytest

from replayport.tables.build import build_table, single_row_table
from replayport.tables.schemas import PRIMARY_KEYS, SCHEMAS


class ClickRow(NamedTuple):
    seq: int
    ts: int
    x: float | None
    interaction: str


def test_rows_and_constants_fill_the_contract_schema() -> None:
    rows = [
        ClickRow(3, 1_795_341_712_151, 10.0, "click"),
        ClickRow(9, 1_795_341_712_999, None, "touch"),
    ]
    at = datetime(2026, 11, 22, tzinfo=UTC)
    table = build_table("clicks", rows, {"session_id": "s", "run_id": "r", "extracted_at": at})
    assert table.schema == SCHEMAS["clicks"]
    assert table.column("seq").to_pylist() == [3, 9]
    assert table.column("ts")[0].as_py() == datetime(2026, 11, 22, 10, 1, 52, 151000, tzinfo=UTC)
    assert table.column("x").to_pylist() == [10.0, None]
    assert table.column("session_id").to_pylist() == ["s", "s"]
    assert table.column("is_rage").null_count == 2


def test_columns_outside_the_contract_are_refused() -> None:
    class Bad(NamedTuple):
        seq: int
        secret_value: str

    with pytest.raises(ValueError, match="outside the contract"):
        build_table("clicks", [Bad(1, "x")], {"session_id": "s"})


def test_empty_rows_give_an_empty_table_with_the_schema() -> None:
    assert build_table("console_logs", []).schema == SCHEMAS["console_logs"]


def test_every_primary_key_column_is_non_nullable() -> None:
    for table, keys in PRIMARY_KEYS.items():
        for key in keys:
            assert not SCHEMAS[table].field(key).nullable, (table, key)


def test_single_row_table_keeps_types() -> None:
    table = single_row_table("sessions", {"session_id": "s", "excluded": True, "click_count": 3})
    assert table.num_rows == 1
    assert table.schema.field("click_count").type == pa.int64()
    assert table.column("excluded").to_pylist() == [True]
