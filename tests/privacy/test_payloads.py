"""Custom events and plugin payloads."""

from __future__ import annotations

import json
from typing import Any

from replayport.privacy import PrivacyPolicy, mask_session
from replayport.privacy.payloads import is_personal_key, is_secret_key
from replayport.rrweb.types import SessionEvent


def _mask(*events: dict[str, Any], policy: PrivacyPolicy | None = None) -> list[dict[str, Any]]:
    items = [SessionEvent(i, "w", {**e, "timestamp": i + 1}) for i, e in enumerate(events)]
    return [item.event for item in mask_session(items, policy or PrivacyPolicy()).events]


def _network(*requests: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": 6,
        "data": {
            "plugin": "rrweb/network@1",
            "payload": {"requests": list(requests), "isInitial": True},
        },
    }


def test_custom_event_payloads() -> None:
    (pageview, config, other) = _mask(
        {
            "type": 5,
            "data": {"tag": "$pageview", "payload": {"href": "https://h.test/a?e=a%40b.org"}},
        },
        {
            "type": 5,
            "data": {
                "tag": "$posthog_config",
                "payload": {
                    "config": {
                        "token": "phc_project",
                        "api_host": "https://h.test",
                        "name": "posthog",
                        "bootstrap": {"distinctID": "pat_42"},
                        "secure_cookie": False,
                        "cookie_expiration": 365,
                        "persistence": "localStorage+cookie",
                        "request_headers": {"Authorization": "Bearer abcdefgh1"},
                    }
                },
            },
        },
        {
            "type": 5,
            "data": {
                "tag": "checkout",
                "payload": {
                    "note": "call +1 206 555 0188",
                    "items": [{"sku": "A-1", "qty": 2}],
                    "user": {"email": "a@b.org", "age": 40},
                },
            },
        },
    )
    assert pageview["data"]["payload"] == {"href": "https://h.test/a?e=[redacted]"}
    assert config["data"]["payload"]["config"] == {
        "token": "[secret]",
        "api_host": "https://h.test",
        "name": "[redacted]",
        "bootstrap": {"distinctID": "[redacted]"},
        "secure_cookie": False,
        "cookie_expiration": 365,
        "persistence": "localStorage+cookie",
        "request_headers": {"Authorization": "[secret]"},
    }
    assert other["data"] == {
        "tag": "checkout",
        "payload": {
            "note": "call [phone]",
            "items": [{"sku": "A-1", "qty": 2}],
            "user": {"email": "[redacted]", "age": 40},
        },
    }


def test_console_payloads() -> None:
    (event,) = _mask(
        {
            "type": 6,
            "data": {
                "plugin": "rrweb/console@1",
                "payload": {
                    "level": "error",
                    "trace": [
                        "f (https://h.test/app.js?v=1:1:2)",
                        "g@https://h.test/u/a@b.org:3:4",
                    ],
                    "payload": [
                        '"failed for a@b.org, jwt=eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.sig"',
                        '{"name":"Marisol","password":"x","count":3,'
                        '"nested":{"phone":"+1 206 555 0188"}}',
                        '"plain text"',
                        "[1,2,3]",
                        "{not json",
                    ],
                },
            },
        }
    )
    payload = event["data"]["payload"]
    assert payload["level"] == "error"
    assert payload["trace"] == [
        "f (https://h.test/app.js?v=[redacted]:1:2)",
        "g@https://h.test/u/[email]:3:4",
    ]
    assert payload["payload"][0] == '"failed for [email], jwt=[secret]"'
    assert json.loads(payload["payload"][1]) == {
        "name": "[redacted]",
        "password": "[secret]",
        "count": 3,
        "nested": {"phone": "[redacted]"},
    }
    assert payload["payload"][2:] == ['"plain text"', "[1,2,3]", "{not json"]


def test_network_defaults_drop_headers_and_bodies() -> None:
    request = {
        "name": "https://h.test/api/patients?q=theo.brightwater%40example.org",
        "entryType": "resource",
        "initiatorType": "fetch",
        "startTime": 1.5,
        "duration": 3.2,
        "transferSize": 730,
        "responseStatus": 200,
        "method": "POST",
        "status": 200,
        "requestHeaders": {
            "Content-Type": "application/json",
            "Authorization": "redacted",
            "X-Custom": "a@b.org",
        },
        "responseHeaders": {
            "content-length": "430",
            "X-Patient-Email": "a@b.org",
            "set-cookie": "sid=1",
        },
        "requestBody": '{"email":"a@b.org"}',
        "responseBody": "ok",
        "isInitial": False,
        "serverTiming": [{"name": "db", "duration": 3, "description": "for a@b.org"}],
    }
    (event,) = _mask(_network(dict(request)))
    (masked,) = event["data"]["payload"]["requests"]
    assert masked["name"] == "https://h.test/api/patients?q=[redacted]"
    assert masked["requestHeaders"] == {"Content-Type": "application/json"}
    assert masked["responseHeaders"] == {"content-length": "430"}
    assert masked["requestBody"] is None and masked["responseBody"] is None
    assert masked["serverTiming"] == [{"name": "db", "duration": 3, "description": "for [email]"}]
    for key in (
        "entryType",
        "initiatorType",
        "startTime",
        "duration",
        "transferSize",
        "responseStatus",
        "method",
        "status",
        "isInitial",
    ):
        assert masked[key] == request[key]
    assert event["data"]["payload"]["isInitial"] is True


def test_network_bodies_kept_on_request_are_scrubbed() -> None:
    policy = PrivacyPolicy(capture_network_bodies=True)
    (event,) = _mask(
        _network(
            {
                "name": "https://h.test/api/appointments",
                "requestBody": json.dumps(
                    {
                        "name": "Marisol Q",
                        "email": "a@b.org",
                        "slot": "2027-01-14",
                        "card": "5555555555554444",
                        "session_token": "abc",
                    }
                ),
                "responseBody": "user=marisol&password=hunter2&plan=silver",
            },
            {
                "name": "https://h.test/x",
                "requestBody": "free text from a@b.org",
                "responseBody": "",
            },
        ),
        policy=policy,
    )
    first, second = event["data"]["payload"]["requests"]
    assert json.loads(first["requestBody"]) == {
        "name": "[redacted]",
        "email": "[redacted]",
        "slot": "2027-01-14",
        "card": "[card]",
        "session_token": "[secret]",
    }
    assert first["responseBody"] == "user=marisol&password=[secret]&plan=silver"
    assert second["requestBody"] == "free text from [email]"
    assert second["responseBody"] == ""


def test_unknown_plugins_and_legacy_network_are_scrubbed_everywhere() -> None:
    (legacy, other) = _mask(
        {
            "type": 6,
            "data": {
                "plugin": "posthog/network@1",
                "payload": {
                    "0": "resource",
                    "2": "https://h.test/a?token=abc",
                    "3": 12.5,
                    "40": 1700000000000,
                },
            },
        },
        {
            "type": 6,
            "data": {
                "plugin": "acme/thing@2",
                "payload": {
                    "deep": [{"msg": "ip 10.0.0.7 user a@b.org", "ok": True}],
                    "apiKey": "zzz",
                },
            },
        },
    )
    assert legacy["data"]["payload"] == {
        "0": "resource",
        "2": "https://h.test/a?token=[redacted]",
        "3": 12.5,
        "40": 1700000000000,
    }
    assert other["data"]["payload"] == {
        "deep": [{"msg": "ip [ip] user [email]", "ok": True}],
        "apiKey": "[secret]",
    }


def test_key_rules() -> None:
    for key in (
        "password",
        "client_secret",
        "x-api-key",
        "apiKey",
        "session_token",
        "Authorization",
        "csrf_token",
        "cookie",
        "otp",
    ):
        assert is_secret_key(key), key
    for key in (
        "email",
        "$email",
        "name",
        "first_name",
        "phone",
        "user_id",
        "distinct_id",
        "distinctID",
        "dob",
        "address_line1",
        "zip",
        "ip",
    ):
        assert is_personal_key(key), key
    for key in (
        "tagName",
        "persistence_name",
        "token_count",
        "max_tokens",
        "author",
        "status",
        "id",
        "session_idle_timeout_seconds",
        "cookie_expiration",
    ):
        assert not is_secret_key(key) and not is_personal_key(key), key
