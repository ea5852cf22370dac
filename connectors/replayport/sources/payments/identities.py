"""Payments → hashed `payment_identities` rows (Arrow), the one place payment PII is handled.

Every input (Stripe objects, file rows, warehouse rows) ends up as a `PaymentRow`: identifiers
hashed with the same `IdentifierHasher` (and key) as PostHog identifiers, amounts (`amount`,
`amount_refunded`) in major currency units as `Decimal`, timestamps UTC. Raw emails and customer
ids never leave this module and never reach disk: the Arrow tables built here are the first thing
dlt sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, NamedTuple

import pyarrow as pa

from replayport.errors import InputError
from replayport.privacy.hashing import IdentifierHasher
from replayport.tables.build import build_table

__all__ = [
    "TABLE",
    "ZERO_DECIMAL_CURRENCIES",
    "ColumnMapping",
    "PaymentRow",
    "batched_tables",
    "minor_to_major",
    "parse_timestamp",
    "row_from_mapping",
    "row_from_stripe",
]

TABLE = "payment_identities"

ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
"""Currencies whose Stripe amounts are already in major units (Stripe's documented list)."""

_CENT = Decimal("0.01")


class PaymentRow(NamedTuple):
    """One `payment_identities` row before it becomes Arrow (identifiers already hashed)."""

    payment_id: str
    email_hash: str | None
    customer_id_hash: str | None
    amount: Decimal | None
    currency: str | None
    status: str | None
    created_at: datetime | None
    amount_refunded: Decimal | None


def minor_to_major(amount: Any, currency: str | None) -> Decimal | None:
    """Stripe's integer minor units (cents) → major units, rounded to the contract's 2 places."""
    if amount is None or amount == "":
        return None
    minor = (currency or "").lower() not in ZERO_DECIMAL_CURRENCIES
    return _cents(amount, 100 if minor else 1)


def _major(amount: Any) -> Decimal | None:
    if amount is None or amount == "":
        return None
    return _cents(amount, 1)


def _cents(amount: Any, divisor: int) -> Decimal:
    """`amount / divisor` rounded to 2 places; NaN, infinities and text are no amounts."""
    try:
        value = (Decimal(str(amount)) / divisor).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InputError(f"payment amount is not a number: {str(amount)[:20]!r}")
    return value


def parse_timestamp(value: Any) -> datetime | None:
    """Unix seconds (Stripe's `created`), ISO-8601 text or a datetime → aware UTC datetime.

    Naive datetimes and ISO strings without an offset are taken as UTC (what Stripe, Fivetran
    and Airbyte write).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(float(value), tz=UTC)
    else:
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            moment = datetime.fromtimestamp(int(text), tz=UTC)
        else:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise InputError(f"payment timestamp not understood: {text[:40]!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _refunded_amount(
    amount: Decimal | None, refunded: Decimal | None, payment_id: str
) -> Decimal | None:
    """`refunded` checked against `amount`: a refund is never negative nor larger than what was
    paid. Such a value is a broken export, not a payment: the input is rejected, like an amount
    that is not a number (clamping it would silently change revenue).
    """
    if refunded is None:
        return None
    if refunded < 0:
        raise InputError(
            f"payment {payment_id[:40]!r}: refunded amount {refunded} is negative "
            "(refunds are positive amounts)"
        )
    if amount is not None and refunded > amount:
        raise InputError(
            f"payment {payment_id[:40]!r}: refunded amount {refunded} exceeds the amount {amount}"
        )
    return refunded


def _status(
    status: Any,
    refunded: bool,
    amount: Decimal | None,
    amount_refunded: Decimal | None,
    captured: bool | None = None,
) -> str | None:
    """The input's status, except that a fully refunded payment reads `refunded` and an
    authorised but not captured charge reads `requires_capture`.

    Fully refunded: the `refunded` flag is set, or the refunded amount is the whole (non-zero)
    amount. Partial refunds stay `succeeded`; their `amount_refunded` is subtracted from
    revenue downstream (dbt's `net_amount`). A charge captured in part needs nothing more:
    Stripe refunds the uncaptured rest, so it is in `amount_refunded`. A charge not captured
    (yet) is Stripe `succeeded` with no money moved: the name Stripe gives that state on
    PaymentIntents keeps it out of revenue until capture.
    """
    full = refunded or (
        amount is not None
        and amount > 0
        and amount_refunded is not None
        and amount_refunded == amount
    )
    if full and status == "succeeded":
        return "refunded"
    if captured is False and status == "succeeded":
        return "requires_capture"
    return str(status) if status is not None else None


def row_from_stripe(obj: Mapping[str, Any], hasher: IdentifierHasher) -> PaymentRow:
    """A Stripe Charge or PaymentIntent object → `PaymentRow`.

    Email: `billing_details.email`, then `receipt_email`, then an expanded `customer.email`.
    PaymentIntents count what was received (`amount_received`) once they succeeded.
    Refunds: a Charge's `amount_refunded` (0 when absent, Stripe's default); a PaymentIntent
    carries no refund amount, so its `amount_refunded` stays null (unknown).

    Raises:
        InputError: No `id`, an amount that is not a number, or a refunded amount that is
            negative or larger than the amount.
    """
    customer = obj.get("customer")
    customer_email = None
    if isinstance(customer, Mapping):  # `expand[]=data.customer`
        customer_email = customer.get("email")
        customer = customer.get("id")
    billing = obj.get("billing_details") or {}
    email = billing.get("email") or obj.get("receipt_email") or customer_email
    currency = (obj.get("currency") or "").lower() or None
    amount = obj.get("amount")
    if obj.get("object") == "payment_intent" and obj.get("status") == "succeeded":
        amount = obj.get("amount_received", amount)
    payment_id = obj.get("id")
    if not payment_id:
        raise InputError("a Stripe object without an `id`")
    major = minor_to_major(amount, currency)
    refunded = None
    if obj.get("object") != "payment_intent":
        raw_refunded = obj.get("amount_refunded")
        refunded = minor_to_major(0 if raw_refunded in (None, "") else raw_refunded, currency)
    refunded = _refunded_amount(major, refunded, str(payment_id))
    return PaymentRow(
        payment_id=str(payment_id),
        email_hash=hasher.hash_email(email),
        customer_id_hash=hasher.hash_id(customer),
        amount=major,
        currency=currency,
        status=_status(
            obj.get("status"), bool(obj.get("refunded")), major, refunded, _captured(obj)
        ),
        created_at=parse_timestamp(obj.get("created")),
        amount_refunded=refunded,
    )


@dataclass(frozen=True)
class ColumnMapping:
    """Which input column holds each `payment_identities` field (files and warehouse tables).

    Defaults follow Stripe's own field names, which is also what Fivetran's and Airbyte's Stripe
    connectors use for most columns (Fivetran: `customer_id`; set it with `customer_id=...`).

    Attributes:
        payment_id: Unique payment id (required).
        email: Payer email; several columns separated by commas are coalesced in order.
        customer_id: Customer id.
        amount: Amount, in minor units (cents) unless `amount_unit="major"`.
        currency: ISO currency code.
        status: Payment status (`succeeded`, `pending`, `failed`, ...).
        created_at: Creation time (unix seconds or ISO-8601).
        refunded: Optional boolean column; true turns `succeeded` into `refunded`.
        captured: Optional boolean column; false (authorised, not captured) turns `succeeded`
            into `requires_capture`, which is not revenue.
        amount_refunded: Optional refunded amount (same unit as `amount`; Stripe, Fivetran and
            Airbyte call it `amount_refunded`). Null when absent; a refund of the whole amount
            turns `succeeded` into `refunded`, a negative one or one above the amount is an error.
        amount_unit: `minor` (Stripe, Fivetran, Airbyte) or `major` (e.g. 12.50), for `amount`
            and `amount_refunded` alike.
    """

    payment_id: str = "id"
    email: str = "billing_details_email,receipt_email,email"
    customer_id: str = "customer"
    amount: str = "amount"
    currency: str = "currency"
    status: str = "status"
    created_at: str = "created"
    refunded: str = "refunded"
    captured: str = "captured"
    amount_refunded: str = "amount_refunded,refunded_amount,refund_amount"
    amount_unit: str = "minor"

    @classmethod
    def from_pairs(cls, pairs: Iterable[str], base: ColumnMapping | None = None) -> ColumnMapping:
        """Apply `field=column` overrides (the CLI's `--map`) to `base` (default mapping)."""
        values = dict((base or cls()).__dict__)
        for pair in pairs:
            name, sep, column = pair.partition("=")
            name = name.strip()
            if not sep or name not in values:
                fields = ", ".join(values)
                raise InputError(
                    f"--map expects FIELD=COLUMN with FIELD one of {fields}; got {pair!r}"
                )
            values[name] = column.strip()
        if values["amount_unit"] not in ("minor", "major"):
            raise InputError("amount_unit must be `minor` or `major`")
        return cls(**values)

    def candidates(self, field: str) -> list[str]:
        return [c.strip() for c in getattr(self, field).split(",") if c.strip()]

    def columns_needed(self, available: Iterable[str]) -> list[str]:
        """The input columns this mapping reads that exist in `available` (case-insensitive)."""
        lower = {name.lower(): name for name in available}
        needed: list[str] = []
        for field in (
            "payment_id",
            "email",
            "customer_id",
            "amount",
            "currency",
            "status",
            "created_at",
            "refunded",
            "captured",
            "amount_refunded",
        ):
            for candidate in self.candidates(field):
                if candidate.lower() in lower and lower[candidate.lower()] not in needed:
                    needed.append(lower[candidate.lower()])
        missing = [
            f
            for f in ("payment_id", "amount", "created_at")
            if not any(c.lower() in lower for c in self.candidates(f))
        ]
        if missing:
            raise InputError(
                "payments input lacks required column(s) for "
                + ", ".join(f"{f} (looked for {getattr(self, f)})" for f in missing)
                + "; map them with --map FIELD=COLUMN"
            )
        return needed


def _pick(row: Mapping[str, Any], columns: list[str]) -> Any:
    lower = {str(k).lower(): v for k, v in row.items()}
    for column in columns:
        value = lower.get(column.lower())
        if value is not None and value != "":
            return value
    return None


def _captured(obj: Mapping[str, Any]) -> bool | None:
    """A Charge's `captured` flag; None for PaymentIntents (their status says it) or when absent."""
    if obj.get("object") == "payment_intent" or obj.get("captured") is None:
        return None
    return bool(obj.get("captured"))


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "t", "1", "yes")
    return bool(value)


def _money(
    row: Mapping[str, Any], mapping: ColumnMapping, field: str, currency: str | None
) -> Decimal | None:
    """The amount in `field`'s column, in major units (`mapping.amount_unit` says the input's)."""
    raw = _pick(row, mapping.candidates(field))
    return minor_to_major(raw, currency) if mapping.amount_unit == "minor" else _major(raw)


def row_from_mapping(
    row: Mapping[str, Any], mapping: ColumnMapping, hasher: IdentifierHasher
) -> PaymentRow:
    """One input row (file or warehouse) → `PaymentRow`, through `mapping`.

    Raises:
        InputError: No payment id, an amount that is not a number, or a refunded amount that
            is negative or larger than the amount.
    """
    payment_id = _pick(row, mapping.candidates("payment_id"))
    if payment_id is None:
        raise InputError("a payment row without a payment id")
    currency = _pick(row, mapping.candidates("currency"))
    currency = str(currency).lower() if currency is not None else None
    amount = _money(row, mapping, "amount", currency)
    amount_refunded = _refunded_amount(
        amount, _money(row, mapping, "amount_refunded", currency), str(payment_id)
    )
    status = _pick(row, mapping.candidates("status"))
    refunded = _pick(row, mapping.candidates("refunded"))
    captured = _pick(row, mapping.candidates("captured"))
    return PaymentRow(
        payment_id=str(payment_id),
        email_hash=hasher.hash_email(_pick(row, mapping.candidates("email"))),
        customer_id_hash=hasher.hash_id(_pick(row, mapping.candidates("customer_id"))),
        amount=amount,
        currency=currency,
        status=_status(
            status,
            _truthy(refunded) if refunded else False,
            amount,
            amount_refunded,
            None if captured is None else _truthy(captured),
        ),
        created_at=parse_timestamp(_pick(row, mapping.candidates("created_at"))),
        amount_refunded=amount_refunded,
    )


def to_table(
    rows: list[PaymentRow], hasher: IdentifierHasher, source: str, run_id: str | None
) -> pa.Table:
    """`PaymentRow`s → a contract `payment_identities` Arrow table."""
    return build_table(
        TABLE,
        rows,
        {
            "hash_key_id": hasher.key_id,
            "source": source,
            "run_id": run_id,
            "extracted_at": datetime.now(UTC),
        },
    )


def batched_tables(
    rows: Iterable[PaymentRow],
    hasher: IdentifierHasher,
    source: str,
    run_id: str | None,
    batch_rows: int = 10_000,
) -> Iterator[pa.Table]:
    """Group `rows` into Arrow tables of at most `batch_rows` rows (memory stays bounded)."""
    batch: list[PaymentRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_rows:
            yield to_table(batch, hasher, source, run_id)
            batch = []
    if batch:
        yield to_table(batch, hasher, source, run_id)
