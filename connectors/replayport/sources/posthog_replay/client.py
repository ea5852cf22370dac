"""HTTP access to PostHog's private API: auth, host checks, rate budget and retries.

Every request waits for the shared `RateLimiter`, then is retried with `tenacity`: a 429 honours
`Retry-After` (and pauses every caller through the limiter), 5xx answers, timeouts and
connection errors back off exponentially with jitter; attempts are bounded. Errors that
retrying cannot fix map onto replayport's error tree. The API key lives only in the session's
`Authorization` header: never in URLs, messages, logs or `repr`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from replayport.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PostHogAPIError,
    RateLimitedError,
    RecordingDeletedError,
    TransientError,
)
from replayport.metrics import RunMetrics
from replayport.sources.posthog_replay.ratelimit import RateLimiter, resolve_budget
from replayport.sources.posthog_replay.settings import (
    API_PREFIXES,
    BACKOFF_INITIAL_SECONDS,
    BACKOFF_JITTER_SECONDS,
    BACKOFF_MAX_SECONDS,
    LOOPBACK_HOSTNAMES,
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
)

__all__ = ["ApiResponse", "PostHogClient", "validate_host"]

logger = logging.getLogger(__name__)

TParams = Mapping[str, str | int | float | bool | None]
_PROJECT_ID = re.compile(r"^[0-9]{1,20}$")
_DETAIL_MAX = 200


@dataclass(frozen=True)
class ApiResponse:
    """One successful answer and what it cost."""

    status: int
    body: bytes = field(repr=False)
    content_type: str
    path: str
    """API path without host or query, e.g. `/api/projects/1/session_recordings/`."""
    attempts: int
    """HTTP requests made for this answer (1 + retries)."""

    def json(self) -> Any:
        return orjson.loads(self.body)


def validate_host(host: str) -> str:
    """Returns `host` normalised to `scheme://netloc[/path]` without a trailing slash.

    Raises:
        ConfigError: not http(s), credentials in the URL, or plain `http://` to a
            non-loopback host (the API key would travel in clear text).
    """
    if not host or not isinstance(host, str):
        raise ConfigError("sources.posthog_replay.host is not set (e.g. https://us.posthog.com)")
    parts = urlsplit(host.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(
            "sources.posthog_replay.host must be an https:// URL such as https://us.posthog.com"
        )
    if parts.username or parts.password:
        raise ConfigError("sources.posthog_replay.host must not contain credentials")
    if parts.query or parts.fragment:
        raise ConfigError("sources.posthog_replay.host must not contain a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            "refusing plain http:// for a non-loopback PostHog host: the API key would be "
            "sent unencrypted; use https://"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() in LOOPBACK_HOSTNAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class _Secret:
    """Holds a secret so that it never shows up in `repr`, f-strings or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


class PostHogClient:
    """A rate-limited, retrying client for one PostHog project.

    Args:
        host: e.g. `https://us.posthog.com`; `http://` only for loopback hosts.
        project_id: the numeric project (team) id.
        api_key: a personal API key with `session_recording:read`.
        api_prefix: `projects` (default) or `environments`; both route to the same API.
        limiter: the shared rate limiter; by default one for the free tier.
        metrics: run counters (`api_calls`, `api_429s`, `api_retries`).
        timeout: `(connect, read)` seconds per request.
        max_attempts: attempts per call, the first one included.
        backoff_initial: first 5xx back-off in seconds (doubles per attempt).
        backoff_max: cap of one back-off.
        backoff_jitter: up to this many random seconds added to each back-off.
        sleep: how to wait between attempts (tests pass a fake).

    Raises:
        ConfigError: invalid host, project id or prefix, or no API key.
    """

    def __init__(
        self,
        host: str,
        project_id: str | int,
        api_key: str,
        *,
        api_prefix: str = "projects",
        limiter: RateLimiter | None = None,
        metrics: RunMetrics | None = None,
        timeout: float | tuple[float, float] = REQUEST_TIMEOUT_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_initial: float = BACKOFF_INITIAL_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
        backoff_jitter: float = BACKOFF_JITTER_SECONDS,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.host = validate_host(host)
        project = str(project_id).strip()
        if not _PROJECT_ID.match(project):
            raise ConfigError("sources.posthog_replay.project_id must be a numeric project id")
        if api_prefix not in API_PREFIXES:
            raise ConfigError(
                f"api_prefix must be one of {', '.join(API_PREFIXES)}, not {api_prefix!r}"
            )
        if not api_key or not str(api_key).strip():
            raise ConfigError("sources.posthog_replay.api_key (a personal API key) is not set")
        self.project_id = project
        self.api_prefix = api_prefix
        self.base_path = f"/api/{api_prefix}/{project}/"
        self.limiter = limiter or RateLimiter.for_budget(resolve_budget("free"))
        self.metrics = metrics if metrics is not None else RunMetrics()
        self._timeout = timeout
        self._max_attempts = max(1, max_attempts)
        self._backoff = wait_exponential_jitter(
            initial=backoff_initial, max=backoff_max, jitter=backoff_jitter
        )
        self._sleep = sleep
        self._key = _Secret(str(api_key).strip())
        self._session = session or requests.Session()
        self._session.headers["Authorization"] = f"Bearer {self._key.reveal()}"
        self._session.headers["Accept"] = "application/json, application/jsonl, */*"

    def __repr__(self) -> str:
        return f"PostHogClient(host={self.host!r}, base_path={self.base_path!r})"

    def __enter__(self) -> PostHogClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def path(self, relative: str) -> str:
        """The API path (no host, no query) of `relative`, e.g. `session_recordings/`."""
        return self.base_path + relative.lstrip("/")

    def get(
        self, relative: str, params: TParams | None = None, *, max_attempts: int | None = None
    ) -> ApiResponse:
        """GETs `relative` under the project's base path, within budget and with retries.

        Args:
            relative: path under the project, e.g. `session_recordings/`.
            params: query parameters (None values are left out).
            max_attempts: overrides the client's attempts for this call.

        Raises:
            AuthenticationError: 401/403.
            NotFoundError: 404.
            RecordingDeletedError: 410.
            PostHogAPIError: any other 4xx.
            TransientError: 429/5xx/timeouts still failing after the last attempt.
        """
        path = self.path(relative)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        attempts = 0

        def send() -> ApiResponse:
            nonlocal attempts
            attempts += 1
            return self._send(path, clean, attempts)

        kwargs: dict[str, Any] = {}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        retrying = Retrying(
            stop=stop_after_attempt(max(1, max_attempts or self._max_attempts)),
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            before_sleep=self._before_sleep,
            reraise=True,
            **kwargs,
        )
        return retrying(send)

    def _send(self, path: str, params: dict[str, Any], attempt: int) -> ApiResponse:
        self.limiter.acquire()
        self.metrics.add("api_calls")
        try:
            response = self._session.get(self.host + path, params=params, timeout=self._timeout)
        except requests.Timeout:
            raise TransientError(f"timeout calling {path}") from None
        except requests.ConnectionError:
            raise TransientError(f"connection error calling {path}") from None
        except requests.RequestException as exc:
            raise TransientError(f"{type(exc).__name__} calling {path}") from None
        status = response.status_code
        if status < 300:
            return ApiResponse(
                status=status,
                body=response.content,
                content_type=response.headers.get("Content-Type", ""),
                path=path,
                attempts=attempt,
            )
        raise self._error_for(response, path)

    def _error_for(self, response: requests.Response, path: str) -> Exception:
        status = response.status_code
        detail = _detail(response)
        if status == 429:
            self.metrics.add("api_429s")
            retry_after = _retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                # everybody sharing the budget waits, not only this caller
                self.limiter.pause(retry_after)
            return RateLimitedError(f"HTTP 429 from {path}", retry_after=retry_after)
        if status >= 500:
            return TransientError(f"HTTP {status} from {path}{detail}")
        if status in (401, 403):
            return AuthenticationError(
                f"PostHog refused the API key (HTTP {status}) for {path}: check "
                "sources.posthog_replay.api_key, its session_recording:read scope and the "
                "project id",
                status=status,
            )
        if status == 404:
            return NotFoundError(f"HTTP 404 from {path}{detail}", status=status)
        if status == 410:
            return RecordingDeletedError(f"HTTP 410 from {path}{detail}", status=status)
        return PostHogAPIError(f"HTTP {status} from {path}{detail}", status=status)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            # the limiter is paused until Retry-After has passed; acquire() does the waiting
            return 0.0
        return float(self._backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if not isinstance(exc, RateLimitedError):
            self.metrics.add("api_retries")
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "PostHog call failed (%s); attempt %d of %d, next in %.1fs",
            exc,
            state.attempt_number + 1,
            self._max_attempts,
            wait,
        )


def _retry_after(value: str | None) -> float | None:
    """Parses a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _detail(response: requests.Response) -> str:
    """PostHog's short error text, if any (`detail`, `message` or `error`), for messages."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    text = payload.get("detail") or payload.get("message") or payload.get("error")
    if not isinstance(text, str) or not text:
        return ""
    return ": " + text[:_DETAIL_MAX]
