"""A small stand-in for Stripe's list API on a free loopback port.

Follows Stripe's documented behaviour (https://docs.stripe.com/api): `GET /v1/charges` and
`GET /v1/payment_intents` return `{"object": "list", "url", "has_more", "data"}` newest first;
`limit` (1–100, default 10), `starting_after` / `ending_before` cursors (unknown ids are a 400
`resource_missing`), `created` as an exact value or `created[gt|gte|lt|lte]`,
`expand[]=data.customer`; secret keys as `Authorization: Bearer sk_…` or HTTP basic username
(401 `invalid_request_error` otherwise, `api_key_invalid` for a wrong key); 429 `rate_limit`
errors injectable per request. Every request is logged for the tests.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["DEFAULT_KEY", "StripeEmulator", "payment_intent_for"]

DEFAULT_KEY = "sk_test_emulator_4eC39HqLyjWDarjtT1zdp7dc"


def payment_intent_for(charge: dict[str, Any]) -> dict[str, Any]:
    """The PaymentIntent that would own `charge` (Stripe's documented fields)."""
    succeeded = charge["status"] == "succeeded"
    return {
        "id": "pi_" + charge["id"][3:],
        "object": "payment_intent",
        "amount": charge["amount"],
        "amount_received": charge["amount"] if succeeded else 0,
        "currency": charge["currency"],
        "customer": charge.get("customer"),
        "created": charge["created"],
        "latest_charge": charge["id"],
        "receipt_email": charge.get("receipt_email"),
        "status": {"succeeded": "succeeded", "pending": "processing"}.get(
            charge["status"], "requires_payment_method"
        ),
        "livemode": False,
        "metadata": {},
    }


@dataclass
class LoggedRequest:
    path: str
    params: dict[str, str]
    status: int


@dataclass
class StripeEmulator:
    """Serve `charges` (Stripe Charge objects) until `stop()`; use as a context manager."""

    charges: list[dict[str, Any]]
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_key: str = DEFAULT_KEY
    log: list[LoggedRequest] = field(default_factory=list)
    faults: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    """(status, headers) answered to the next requests, in order, before serving normally."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                status, headers, body = emulator._answer(self)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Request-Id", "req_emulator")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StripeEmulator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        for _ in range(times):
            self.faults.append((status, headers or {}))

    # -- request handling -------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(handler.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        status, headers, body = self._route(handler, url.path, params)
        with self._lock:
            self.log.append(LoggedRequest(url.path, params, status))
        return status, headers, json.dumps(body).encode()

    def _route(
        self, handler: BaseHTTPRequestHandler, path: str, params: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        key = _presented_key(handler.headers.get("Authorization", ""))
        if not key:
            return (
                401,
                {},
                _error(
                    "You did not provide an API key. You need to provide your API key in the "
                    "Authorization header, using Bearer auth.",
                ),
            )
        if key != self.api_key:
            masked = key[:8] + "*" * 12 + key[-4:]
            return 401, {}, _error(f"Invalid API Key provided: {masked}", code="api_key_invalid")
        with self._lock:
            fault = self.faults.popleft() if self.faults else None
        if fault is not None:
            status, headers = fault
            if status == 429:
                return (
                    429,
                    headers,
                    _error(
                        "Too many requests hit the API too quickly. We recommend an exponential "
                        "backoff of your requests.",
                        code="rate_limit",
                    ),
                )
            return status, headers, {"error": {"type": "api_error", "message": "emulated"}}
        if path == "/v1/charges":
            objects = [self._expand(c, params) for c in self.charges]
        elif path == "/v1/payment_intents":
            objects = [self._expand(payment_intent_for(c), params) for c in self.charges]
        else:
            return 404, {}, _error(f"Unrecognized request URL (GET: {path}).")
        return _list(path, objects, params)

    def _expand(self, obj: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        if params.get("expand[]") == "data.customer" and isinstance(obj.get("customer"), str):
            customer_id = obj["customer"]
            customer = self.customers.get(
                customer_id, {"id": customer_id, "object": "customer", "email": None}
            )
            return {**obj, "customer": customer}
        return obj


def _presented_key(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().split(":", 1)[0] or None
        except ValueError:
            return None
    return None


def _error(message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}


def _list(
    path: str, objects: list[dict[str, Any]], params: dict[str, str]
) -> tuple[int, dict[str, str], dict[str, Any]]:
    try:
        limit = int(params.get("limit", "10"))
    except ValueError:
        return (
            400,
            {},
            _error("Invalid integer: limit", code="parameter_invalid_integer", param="limit"),
        )
    if not 1 <= limit <= 100:
        return (
            400,
            {},
            _error(
                "This value must be greater than or equal to 1 and less than or equal to 100.",
                code="parameter_invalid_integer",
                param="limit",
            ),
        )
    for op, test in (
        ("gt", lambda c, v: c > v),
        ("gte", lambda c, v: c >= v),
        ("lt", lambda c, v: c < v),
        ("lte", lambda c, v: c <= v),
    ):
        if f"created[{op}]" in params:
            bound = int(params[f"created[{op}]"])
            objects = [o for o in objects if test(o["created"], bound)]
    if "created" in params:
        objects = [o for o in objects if o["created"] == int(params["created"])]
    # newest first, ties by id (Stripe's order is stable for equal timestamps)
    objects = sorted(objects, key=lambda o: (-o["created"], o["id"]))
    ids = [o["id"] for o in objects]
    if "starting_after" in params:
        cursor = params["starting_after"]
        if cursor not in ids:
            return (
                400,
                {},
                _error(
                    f"No such object: '{cursor}'", code="resource_missing", param="starting_after"
                ),
            )
        objects = objects[ids.index(cursor) + 1 :]
    elif "ending_before" in params:
        cursor = params["ending_before"]
        if cursor not in ids:
            return (
                400,
                {},
                _error(
                    f"No such object: '{cursor}'", code="resource_missing", param="ending_before"
                ),
            )
        objects = objects[: ids.index(cursor)][-limit:]
    page = objects[:limit]
    return (
        200,
        {},
        {
            "object": "list",
            "url": path,
            "has_more": len(objects) > limit,
            "data": page,
        },
    )
