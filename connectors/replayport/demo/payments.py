"""Fake Stripe charges for the demo users, consistent with their demo sessions.

Every session that reached /account (the booking form was submitted) is followed within minutes
by a deposit charge. Users who pay again (`DemoUser.pays_again`, rarely those who hit the /help
console errors) get a visit fee within 30 days of their first deposit, sometimes a later
follow-up. A few deposits are preceded by a declined attempt, a few error-hit deposits are
refunded, the first two visit fees are partly refunded (a fifth, as a goodwill discount) and one
late follow-up is still pending. Charges carry the user's demo email, so the payments source
hashes them to the same `email_hash` as the sessions.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from replayport.demo.samples import (
    DEFAULT_ANCHOR,
    DEFAULT_SEED,
    DEFAULT_SESSIONS,
    DEFAULT_USERS,
    DemoRecording,
    DemoUser,
    generate_demo_recordings,
)

__all__ = [
    "PAYMENTS_FILENAME",
    "RECORDINGS_DIRNAME",
    "REPEAT_WINDOW_DAYS",
    "DemoManifest",
    "generate_demo_payments",
    "write_demo_inputs",
]

PAYMENTS_FILENAME = "payments.json"
RECORDINGS_DIRNAME = "recordings"
"""Subdirectory for the export files, so the files source can be pointed at recordings only
(it decodes every file it finds, and `payments.json` is not a recording)."""
REPEAT_WINDOW_DAYS = 30
"""The churn question's horizon: does the user pay again within this many days?"""

_DAY = 86_400
_DEPOSITS = (2500, 3500, 5000)
"""Appointment deposit amounts in cents."""

_DECLINE = {
    "failure_code": "card_declined",
    "failure_message": "Your card was declined.",
    "outcome": {
        "network_status": "declined_by_network",
        "reason": "generic_decline",
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    },
}
_AUTHORIZED = {
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "seller_message": "Payment complete.",
    "type": "authorized",
}


@dataclass(frozen=True)
class DemoManifest:
    """What `write_demo_inputs` wrote.

    Attributes:
        directory: The directory holding the files.
        recordings_dir: `<directory>/recordings`, holding only the export files.
        recordings: Export files, one per session, in session start order.
        payments: The Stripe-list JSON file.
        session_count: Number of sessions (= export files).
        user_count: Number of distinct demo users.
        payment_count: Number of charges.
        event_count: Snapshots across all export files.
        bytes_written: Total size of the files written.
        outcomes: Sessions per outcome.
    """

    directory: Path
    recordings_dir: Path
    recordings: tuple[Path, ...]
    payments: Path
    session_count: int
    user_count: int
    payment_count: int
    event_count: int
    bytes_written: int
    outcomes: dict[str, int] = field(default_factory=dict)


def generate_demo_payments(
    recordings: Sequence[DemoRecording], seed: int = DEFAULT_SEED
) -> list[dict[str, Any]]:
    """Stripe-shaped Charge objects for the users of `recordings`, deterministically.

    Args:
        recordings: Demo sessions from `generate_demo_recordings`.
        seed: Seed for amounts, delays and ids.

    Returns:
        Charges newest first (the order Stripe's list endpoint returns them).
    """
    rng = random.Random(f"replayport-demo-payments/{seed}")
    by_user: dict[int, list[DemoRecording]] = {}
    for recording in sorted(recordings, key=lambda r: (r.start, r.session_id)):
        by_user.setdefault(recording.user.index, []).append(recording)

    # (user, created, amount, description, role); role picks statuses below.
    planned: list[tuple[DemoUser, int, int, str, str]] = []
    for sessions in (by_user[index] for index in sorted(by_user)):
        user = sessions[0].user
        deposits = [
            (user, _unix(r.booked_at) + rng.randint(20, 240), rng.choice(_DEPOSITS), r)
            for r in sessions
            if r.booked_at is not None
        ]
        for _, created, amount, recording in deposits:
            role = "deposit_after_errors" if recording.outcome == "full" else "deposit"
            planned.append((user, created, amount, "Appointment deposit", role))
        if deposits and user.pays_again:
            first = deposits[0][1]
            visit = first + rng.randint(4 * _DAY, (REPEAT_WINDOW_DAYS - 4) * _DAY)
            planned.append((user, visit, rng.randrange(6000, 18001, 500), "Visit fee", "repeat"))
            if rng.random() < 0.5:
                later = visit + rng.randint(14 * _DAY, 45 * _DAY)
                amount = rng.randrange(4000, 12001, 500)
                planned.append((user, later, amount, "Follow-up visit", "follow_up"))

    # A few declines, refunds and one pending charge, chosen by quota so every seed has them.
    deposit_ids = [i for i, p in enumerate(planned) if p[4].startswith("deposit")]
    declined = set(rng.sample(deposit_ids, min(len(deposit_ids), max(1, len(deposit_ids) // 8))))
    # Refunds go to deposits made on error-hit visits, preferably of users who never paid again
    # (they asked for their money back and left).
    after_errors = [i for i, p in enumerate(planned) if p[4] == "deposit_after_errors"]
    after_errors.sort(key=lambda i: planned[i][0].pays_again)
    refunded = set(after_errors[: min(len(after_errors), 2)])
    follow_ups = [i for i, p in enumerate(planned) if p[4] == "follow_up"]
    pending = {max(follow_ups, key=lambda i: planned[i][1])} if follow_ups else set()
    # Partial refunds by rule, not by the generator, so every other charge stays as it was.
    visits = sorted(
        (i for i, p in enumerate(planned) if p[4] == "repeat"), key=lambda i: planned[i][1]
    )
    partly_refunded = {i: planned[i][2] // 5 // 100 * 100 for i in visits[:2]}

    charges: list[dict[str, Any]] = []
    for i, (user, created, amount, description, _) in enumerate(planned):
        status = "pending" if i in pending else "succeeded"
        if i in declined:
            # The patient's first card was declined; the retry a minute or two later went through.
            charges.append(_charge(seed, user, created, amount, description, "failed", 0))
            created += rng.randint(60, 150)
        refund = amount if i in refunded else partly_refunded.get(i, 0)
        charges.append(_charge(seed, user, created, amount, description, status, refund))
    charges.sort(key=lambda charge: (-charge["created"], charge["id"]))
    return charges


def write_demo_inputs(
    directory: Path,
    *,
    seed: int = DEFAULT_SEED,
    users: int = DEFAULT_USERS,
    sessions: int = DEFAULT_SESSIONS,
    anchor: datetime = DEFAULT_ANCHOR,
) -> DemoManifest:
    """Write the demo inputs: `<directory>/recordings/export-<session_id>.ph-recording.json`
    (one PostHog export file per session) and `<directory>/payments.json` (a Stripe charge list).

    Files are replaced atomically; other files are left alone, so use a directory dedicated to
    the demo inputs.

    Args:
        directory: Target directory (created if missing).
        seed: See `generate_demo_recordings`.
        users: See `generate_demo_recordings`.
        sessions: See `generate_demo_recordings`.
        anchor: See `generate_demo_recordings`.

    Returns:
        The paths and counts written.
    """
    directory = Path(directory)
    recordings_dir = directory / RECORDINGS_DIRNAME
    recordings_dir.mkdir(parents=True, exist_ok=True)
    recordings = generate_demo_recordings(seed, users, sessions, anchor)
    charges = generate_demo_payments(recordings, seed=seed)

    paths: list[Path] = []
    written = 0
    for recording in recordings:
        path = recordings_dir / recording.filename
        written += _write_atomic(path, recording.export_bytes)
        paths.append(path)
    listing = {"object": "list", "data": charges, "has_more": False, "url": "/v1/charges"}
    payments = directory / PAYMENTS_FILENAME
    written += _write_atomic(payments, orjson.dumps(listing, option=orjson.OPT_INDENT_2))

    outcomes: dict[str, int] = {}
    for recording in recordings:
        outcomes[recording.outcome] = outcomes.get(recording.outcome, 0) + 1
    return DemoManifest(
        directory=directory,
        recordings_dir=recordings_dir,
        recordings=tuple(paths),
        payments=payments,
        session_count=len(recordings),
        user_count=len({r.user.index for r in recordings}),
        payment_count=len(charges),
        event_count=sum(r.event_count for r in recordings),
        bytes_written=written,
        outcomes=outcomes,
    )


def _charge(
    seed: int,
    user: DemoUser,
    created: int,
    amount: int,
    description: str,
    status: str,
    amount_refunded: int,
) -> dict[str, Any]:
    """One Charge object with the fields Stripe documents (the subset a payments source reads,
    plus the usual companions). `refunded` is set once the whole amount is refunded."""
    succeeded = status == "succeeded"
    charge_id = "ch_" + _token(seed, "charge", user.index, created, status, length=24)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": amount_refunded,
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": user.email,
            "name": user.name,
            "phone": None,
        },
        "captured": succeeded,
        "created": created,
        "currency": "usd",
        "customer": "cus_" + _token(seed, "customer", user.index, length=14),
        "description": description,
        "failure_code": _DECLINE["failure_code"] if status == "failed" else None,
        "failure_message": _DECLINE["failure_message"] if status == "failed" else None,
        "livemode": False,
        "metadata": {},
        "outcome": _DECLINE["outcome"] if status == "failed" else _AUTHORIZED,
        "paid": succeeded,
        "receipt_email": user.email,
        "refunded": amount_refunded == amount,
        "status": status,
    }


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _token(seed: int, *parts: object, length: int) -> str:
    """A Stripe-looking base62 id suffix fixed by the seed and parts."""
    text = "\x1f".join(str(part) for part in ("replayport-demo-payments", seed, *parts))
    number = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _write_atomic(path: Path, content: bytes) -> int:
    """Write via a temporary sibling and rename, so a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return len(content)
