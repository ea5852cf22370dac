"""The Stripe source against the local emulator: pagination, incremental runs, errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from replayport.config import Settings
from replayport.errors import ConfigError, TransientError
from replayport.privacy.hashing import IdentifierHasher
from replayport.sources.payments import StripeAPIError, StripeClient, archive_payments
from tests.payments.helpers import HASH_KEY, T0, archived_payments, charge, charges
from tests.payments.stripe_emulator import DEFAULT_KEY, StripeEmulator


def _client(emulator: StripeEmulator, **kwargs: object) -> StripeClient:
    kwargs.setdefault("sleep", lambda _seconds: None)
    key = str(kwargs.pop("api_key", DEFAULT_KEY))
    return StripeClient(key, emulator.base_url, **kwargs)  # type: ignore[arg-type]


def _archive(tmp_path: Path, client: StripeClient, objects: str = "charges") -> int:
    result = archive_payments(
        Settings.resolve(tmp_path / "work"),
        "stripe",
        IdentifierHasher(HASH_KEY),
        stripe_client=client,
        stripe_objects=objects,
        run_id="r1",
    )
    return result.rows


def test_pages_through_every_charge_with_starting_after(tmp_path: Path) -> None:
    with StripeEmulator(charges(250)) as emulator:
        rows = _archive(tmp_path, _client(emulator))
    assert rows == 250
    pages = [r for r in emulator.log if r.path == "/v1/charges"]
    assert [r.params.get("limit") for r in pages] == ["100"] * 3
    assert "starting_after" not in pages[0].params
    # each page continues after the last id of the previous one (newest first)
    assert pages[1].params["starting_after"] == "ch_test000150"
    assert pages[2].params["starting_after"] == "ch_test000050"
    table = archived_payments(tmp_path / "work")
    assert table.num_rows == 250
    assert len(set(table.column("payment_id").to_pylist())) == 250


def test_rows_are_hashed_with_the_session_hasher(tmp_path: Path) -> None:
    hasher = IdentifierHasher(HASH_KEY)
    with StripeEmulator([charge(1, T0, amount=12345, email=" Ada@Example.TEST")]) as emulator:
        _archive(tmp_path, _client(emulator))
    row = archived_payments(tmp_path / "work").to_pylist()[0]
    assert row["email_hash"] == hasher.hash_email("ada@example.test")
    assert row["customer_id_hash"] == hasher.hash_id("cus_test0001")
    assert row["amount"] == Decimal("123.45")
    assert row["currency"] == "usd"
    assert row["hash_key_id"] == hasher.key_id
    assert row["source"] == "stripe:charges"
    # nothing raw reaches the archive
    text = str(row)
    assert "Ada" not in text and "cus_test0001" not in text and "@" not in text


def test_second_run_is_incremental_and_picks_up_changes(tmp_path: Path) -> None:
    data = charges(5, start=T0, step=40 * 86_400)  # 40 days apart
    with StripeEmulator(data) as emulator:
        assert _archive(tmp_path, _client(emulator)) == 5
        first_requests = len(emulator.log)
        # a new charge arrives, and the newest old one is refunded
        data.append(charge(99, T0 + 200 * 86_400))
        data[4]["refunded"] = True
        _archive(tmp_path, _client(emulator))
        second = emulator.log[first_requests:]
    gte = int(second[0].params["created[gte]"])
    # the cursor (newest `created`) minus the 30-day lookback
    assert gte == data[4]["created"] - 30 * 86_400
    table = archived_payments(tmp_path / "work")
    by_id = {r["payment_id"]: r for r in table.to_pylist()}
    assert len(by_id) == 6 == table.num_rows  # upsert: no duplicates
    assert by_id["ch_test000004"]["status"] == "refunded"
    assert "ch_test000099" in by_id


def test_payment_intents_count_amount_received(tmp_path: Path) -> None:
    data = [charge(1, T0), charge(2, T0 + 10, status="failed")]
    with StripeEmulator(data) as emulator:
        _archive(tmp_path, _client(emulator), objects="payment_intents")
    rows = {r["payment_id"]: r for r in archived_payments(tmp_path / "work").to_pylist()}
    assert rows["pi_test000001"]["amount"] == Decimal("25.00")
    assert rows["pi_test000001"]["status"] == "succeeded"
    assert rows["pi_test000002"]["status"] == "requires_payment_method"
    assert emulator.log[0].path == "/v1/payment_intents"


def test_429_and_5xx_are_retried_with_backoff(tmp_path: Path) -> None:
    slept: list[float] = []
    with StripeEmulator(charges(3)) as emulator:
        emulator.fail_next(429, times=2)
        emulator.fail_next(500, headers={"Retry-After": "3"})
        client = _client(emulator, sleep=slept.append, backoff=0.5)
        assert _archive(tmp_path, client) == 3
    assert [r.status for r in emulator.log] == [429, 429, 500, 200]
    assert slept == [0.5, 1.0, 3.0]  # exponential, and Retry-After honoured when longer
    assert (client.rate_limited, client.retries, client.calls) == (2, 3, 4)


def test_persistent_429_gives_up_as_transient(tmp_path: Path) -> None:
    with StripeEmulator(charges(1)) as emulator:
        emulator.fail_next(429, times=10)
        with pytest.raises(Exception) as info:
            _archive(tmp_path, _client(emulator, max_retries=2))
    assert (
        isinstance(info.value, TransientError)
        or isinstance(info.value.__cause__, TransientError)
        or "429" in str(info.value)
    )


def test_wrong_key_is_a_configuration_error_without_the_key(tmp_path: Path) -> None:
    bad = "sk_test_wrongwrongwrong1234"
    with StripeEmulator(charges(1)) as emulator:
        client = _client(emulator, api_key=bad)
        with pytest.raises(ConfigError) as info:
            client.get("/v1/charges", {"limit": 1})
    assert "401" in str(info.value)
    assert bad not in str(info.value) and bad not in repr(client)


def test_client_errors_are_not_retried(tmp_path: Path) -> None:
    with StripeEmulator(charges(2)) as emulator:
        client = _client(emulator)
        with pytest.raises(StripeAPIError) as info:
            client.get("/v1/charges", {"limit": 1, "starting_after": "ch_unknown"})
    assert info.value.status == 400
    assert "resource_missing" in str(info.value)
    assert len(emulator.log) == 1


def test_emulator_follows_stripe_list_semantics() -> None:
    with StripeEmulator(charges(5)) as emulator:
        client = _client(emulator)
        page = client.get("/v1/charges", {"limit": 2})
        assert page["object"] == "list" and page["has_more"] is True
        assert [c["id"] for c in page["data"]] == ["ch_test000004", "ch_test000003"]
        older = client.get("/v1/charges", {"limit": 2, "created[lte]": T0 + 3600})
        assert [c["id"] for c in older["data"]] == ["ch_test000001", "ch_test000000"]
        assert older["has_more"] is False
        with pytest.raises(StripeAPIError):
            client.get("/v1/charges", {"limit": 101})
