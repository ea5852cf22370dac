"""Stripe's API → `payment_identities`: charges or payment intents, incremental on `created`.

Follows Stripe's documented list API: `GET /v1/charges` (or `/v1/payment_intents`) with
`limit` ≤ 100, `created[gte]` and `starting_after=<last id>` until `has_more` is false; newest
first. Authentication is the secret key as a Bearer token. 429 (`rate_limit`) and 5xx are
retried with exponential backoff (Stripe sends no `Retry-After`; it is honoured if present), as
are connection errors; 401/403 are configuration errors. See tests/payments/stripe_emulator.py.

Charges and PaymentIntents describe the same money (a succeeded PaymentIntent owns a Charge):
load one of them, not both, or revenue is counted twice. Charges is the default because it
also covers payments made before PaymentIntents existed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
import requests

from replayport.errors import ConfigError, ReplayportError, TransientError
from replayport.privacy.hashing import IdentifierHasher
from replayport.sources.payments.identities import TABLE, batched_tables, row_from_stripe

__all__ = ["STRIPE_API", "STRIPE_OBJECTS", "StripeAPIError", "StripeClient", "stripe_payments"]

STRIPE_API = "https://api.stripe.com"
STRIPE_OBJECTS = {"charges": "/v1/charges", "payment_intents": "/v1/payment_intents"}
PAGE_LIMIT = 100
"""Stripe's maximum page size."""
DEFAULT_LOOKBACK_DAYS = 30
"""Each run re-reads payments created in the last N days before its cursor: charges change after
creation (pending → succeeded, refunds); the upsert on `payment_id` makes the overlap harmless."""


class StripeAPIError(ReplayportError):
    """Stripe answered with an error that retrying will not fix."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StripeClient:
    """A minimal Stripe list client: auth, pagination, retries. Never logs the key.

    Args:
        api_key: Secret (`sk_…`) or restricted (`rk_…`) key with read access.
        base_url: `https://api.stripe.com` or an emulator.
        max_retries: Attempts after the first one for 429, 5xx and connection errors.
        backoff: Seconds before the first retry; doubles each time (capped at 30 s).
        sleep: Injected for tests.
        timeout: Per-request timeout in seconds.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = STRIPE_API,
        max_retries: int = 5,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
    ) -> None:
        if not api_key:
            raise ConfigError("no Stripe key: set SOURCES__STRIPE__API_KEY")
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {api_key}"
        self._session.headers["Stripe-Version"] = "2024-06-20"
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self.sleep = sleep
        self.timeout = timeout
        self.calls = 0
        self.retries = 0
        self.rate_limited = 0

    def __repr__(self) -> str:
        return f"StripeClient(base_url={self.base_url!r})"

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET `path` with retries; returns the decoded JSON body."""
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            self.calls += 1
            try:
                response = self._session.get(
                    self.base_url + path, params=params, timeout=self.timeout
                )
            except requests.RequestException as exc:
                if attempt == self.max_retries:
                    raise TransientError(f"Stripe unreachable: {type(exc).__name__}") from None
            else:
                status = response.status_code
                if status == 200:
                    return dict(response.json())
                if status in (401, 403):
                    raise ConfigError(
                        f"Stripe refused the API key ({status}); check SOURCES__STRIPE__API_KEY"
                    )
                retryable = status == 429 or status >= 500
                if response.headers.get("Stripe-Should-Retry") == "false":
                    retryable = False
                if not retryable:
                    raise StripeAPIError(
                        f"Stripe answered {status} for {path}: {_error_message(response)}", status
                    )
                if status == 429:
                    self.rate_limited += 1
                if attempt == self.max_retries:
                    raise TransientError(f"Stripe still answers {status} after retries")
                retry_after = response.headers.get("Retry-After")
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    delay = max(delay, float(retry_after))
            self.retries += 1
            self.sleep(delay)
            delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def list_all(
        self, path: str, params: dict[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint (`starting_after` pagination), newest first."""
        query: dict[str, Any] = {"limit": PAGE_LIMIT, **(params or {})}
        while True:
            page = self.get(path, query)
            data = list(page.get("data") or [])
            if data:
                yield data
            if not page.get("has_more") or not data:
                return
            query["starting_after"] = data[-1]["id"]


def _error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return "non-JSON error body"
    return str(error.get("type") or "") + (f" ({error.get('code')})" if error.get("code") else "")


@dlt.source(name="stripe", section="stripe")
def stripe_payments(
    hasher: IdentifierHasher,
    api_key: str = dlt.secrets.value,
    base_url: str = STRIPE_API,
    objects: str = "charges",
    initial_created: int | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    run_id: str | None = None,
    client: StripeClient | None = None,
) -> Any:
    """Stripe payments as hashed `payment_identities` Arrow tables.

    Configuration follows dlt: `SOURCES__STRIPE__API_KEY` (secret), `SOURCES__STRIPE__BASE_URL`,
    `SOURCES__STRIPE__OBJECTS` (`charges` or `payment_intents`), `SOURCES__STRIPE__INITIAL_CREATED`
    (unix seconds: where a first run starts), `SOURCES__STRIPE__LOOKBACK_DAYS`.

    Args:
        hasher: The identifier hasher of the run (same key as the sessions).
        api_key: Stripe secret or restricted key.
        base_url: API base URL.
        objects: `charges` (default) or `payment_intents`; never both (same money twice).
        initial_created: Unix seconds; only payments created at/after it on the first run.
        lookback_days: How far before the last cursor each run re-reads (status changes).
        run_id: Stamped on the rows.
        client: Injected for tests; built from the other arguments otherwise.
    """
    if objects not in STRIPE_OBJECTS:
        raise ConfigError(f"stripe objects must be one of {', '.join(STRIPE_OBJECTS)}")
    api = client or StripeClient(api_key, base_url)
    initial = datetime.fromtimestamp(initial_created, tz=UTC) if initial_created else None

    @dlt.resource(
        name=f"stripe_{objects}",
        table_name=TABLE,
        primary_key="payment_id",
        write_disposition={"disposition": "merge", "strategy": "upsert"},
        table_format="delta",
    )
    def payments(
        created_at: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            "created_at",
            initial_value=initial,
            lag=lookback_days * 86_400,
            # no boundary de-duplication: the upsert on payment_id already dedupes
            primary_key=(),
        ),
    ) -> Iterator[Any]:
        params: dict[str, Any] = {}
        if created_at.start_value is not None:
            params["created[gte]"] = int(created_at.start_value.timestamp())
        for page in api.list_all(STRIPE_OBJECTS[objects], params):
            rows = (row_from_stripe(obj, hasher) for obj in page)
            yield from batched_tables(rows, hasher, f"stripe:{objects}", run_id)

    return payments
