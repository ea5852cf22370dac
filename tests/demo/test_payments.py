"""Fake Stripe charges for the demo users and the files `write_demo_inputs` writes."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest

from replayport.demo import (
    PAYMENTS_FILENAME,
    RECORDINGS_DIRNAME,
    DemoRecording,
    generate_demo_payments,
    generate_demo_recordings,
    write_demo_inputs,
)
from replayport.demo.payments import REPEAT_WINDOW_DAYS

STATUSES = {"succeeded", "failed", "pending"}
DAY = 86_400


@pytest.fixture(scope="module")
def recordings() -> list[DemoRecording]:
    return generate_demo_recordings()


@pytest.fixture(scope="module")
def charges(recordings: list[DemoRecording]) -> list[dict[str, Any]]:
    return generate_demo_payments(recordings)


def test_deterministic(recordings: list[DemoRecording], charges: list[dict[str, Any]]) -> None:
    assert orjson.dumps(generate_demo_payments(recordings)) == orjson.dumps(charges)
    assert orjson.dumps(generate_demo_payments(recordings, seed=9)) != orjson.dumps(charges)


def test_stripe_charge_shape(charges: list[dict[str, Any]]) -> None:
    assert charges
    assert len({c["id"] for c in charges}) == len(charges)
    for charge in charges:
        assert charge["id"].startswith("ch_") and len(charge["id"]) == 27
        assert charge["object"] == "charge"
        assert isinstance(charge["amount"], int) and charge["amount"] >= 50
        assert charge["currency"] == "usd"
        assert charge["status"] in STATUSES
        assert charge["paid"] is (charge["status"] == "succeeded")
        assert charge["amount_captured"] == (charge["amount"] if charge["paid"] else 0)
        assert isinstance(charge["created"], int)
        assert charge["customer"].startswith("cus_")
        assert charge["livemode"] is False
        assert charge["metadata"] == {}
        assert charge["receipt_email"] == charge["billing_details"]["email"]
        assert isinstance(charge["description"], str)
        assert 0 <= charge["amount_refunded"] <= charge["amount"]
        assert charge["refunded"] is (charge["amount_refunded"] == charge["amount"])
        if charge["amount_refunded"]:
            assert charge["status"] == "succeeded"
        if charge["status"] == "failed":
            assert charge["failure_code"] == "card_declined"
    created = [c["created"] for c in charges]
    assert created == sorted(created, reverse=True), "Stripe lists newest first"


def test_only_demo_identities(
    recordings: list[DemoRecording], charges: list[dict[str, Any]]
) -> None:
    users = {r.user.email: r.user for r in recordings}
    customers: dict[str, str] = {}
    for charge in charges:
        email = charge["billing_details"]["email"]
        assert email in users
        assert email.endswith("@example.com")
        assert charge["billing_details"]["name"] == users[email].name
        assert customers.setdefault(email, charge["customer"]) == charge["customer"]
    assert len(set(customers.values())) == len(customers)


def test_a_deposit_follows_every_booking(
    recordings: list[DemoRecording], charges: list[dict[str, Any]]
) -> None:
    deposits = defaultdict(list)
    for charge in charges:
        if charge["description"] == "Appointment deposit" and charge["status"] == "succeeded":
            deposits[charge["billing_details"]["email"]].append(charge["created"])
    booked = [r for r in recordings if r.booked]
    assert booked
    for recording in booked:
        assert recording.booked_at is not None
        at = int(recording.booked_at.timestamp())
        assert any(at <= created <= at + 600 for created in deposits[recording.user.email])
    booking_users = {r.user.email for r in booked}
    assert {c["billing_details"]["email"] for c in charges} == booking_users
    assert sum(len(v) for v in deposits.values()) == len(booked)


def test_some_failed_refunded_and_pending(charges: list[dict[str, Any]]) -> None:
    statuses = [c["status"] for c in charges]
    for failed in (c for c in charges if c["status"] == "failed"):
        retries = [
            c
            for c in charges
            if c["customer"] == failed["customer"]
            and c["status"] == "succeeded"
            and 0 < c["created"] - failed["created"] <= 300
        ]
        assert retries, "a declined card is retried successfully"
    assert 1 <= statuses.count("failed") <= len(charges) // 4
    assert statuses.count("pending") == 1
    assert 1 <= sum(c["refunded"] for c in charges) <= 3
    partly = [c for c in charges if c["amount_refunded"] and not c["refunded"]]
    assert len(partly) == 2
    assert all(c["description"] == "Visit fee" for c in partly)


def _repeat_payers(charges: list[dict[str, Any]]) -> dict[str, bool]:
    """Paying users → whether they paid again within 30 days of their first payment."""
    paid = defaultdict(list)
    for charge in charges:
        if charge["status"] == "succeeded":
            paid[charge["billing_details"]["email"]].append(charge["created"])
    window = REPEAT_WINDOW_DAYS * DAY
    return {
        email: any(first < t <= first + window for t in times)
        for email, times in paid.items()
        for first in [min(times)]
    }


@pytest.mark.parametrize("seed", [2026, 1, 42])
def test_churn_signal(seed: int) -> None:
    """Users who hit console errors (`full` sessions) pay again within 30 days less often."""
    recordings = generate_demo_recordings(seed=seed)
    repeat = _repeat_payers(generate_demo_payments(recordings, seed=seed))
    with_errors = {r.user.email for r in recordings if r.outcome == "full"}
    hit = [repeat[email] for email in repeat if email in with_errors]
    clean = [repeat[email] for email in repeat if email not in with_errors]
    assert hit and clean
    rate_hit, rate_clean = sum(hit) / len(hit), sum(clean) / len(clean)
    assert rate_hit + 0.3 <= rate_clean, (rate_hit, rate_clean)
    for recording in recordings:
        if recording.user.email in repeat:
            assert repeat[recording.user.email] == recording.user.pays_again


def test_write_demo_inputs(tmp_path: Path) -> None:
    root = tmp_path / "inputs"
    manifest = write_demo_inputs(root)
    assert manifest.directory == root
    assert manifest.recordings_dir == root / RECORDINGS_DIRNAME
    assert manifest.session_count == 36 == len(manifest.recordings)
    assert manifest.user_count == 12
    assert sum(manifest.outcomes.values()) == 36
    # The recordings directory holds nothing but export files (the files source reads it all).
    assert sorted(manifest.recordings_dir.iterdir()) == sorted(manifest.recordings)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(files) == 37
    assert manifest.bytes_written == sum(f.stat().st_size for f in files)
    events = 0
    for path in manifest.recordings:
        assert path.name.startswith("export-") and path.name.endswith(".ph-recording.json")
        export = orjson.loads(path.read_bytes())
        assert export["version"] == "2023-04-28"
        assert path.name == f"export-{export['data']['id']}.ph-recording.json"
        events += len(export["data"]["snapshots"])
    assert events == manifest.event_count
    assert manifest.payments == root / PAYMENTS_FILENAME
    listing = orjson.loads(manifest.payments.read_bytes())
    assert listing["object"] == "list" and listing["has_more"] is False
    assert len(listing["data"]) == manifest.payment_count > 0

    before = {f: f.read_bytes() for f in files}
    write_demo_inputs(root)
    assert {f: f.read_bytes() for f in root.rglob("*") if f.is_file()} == before
