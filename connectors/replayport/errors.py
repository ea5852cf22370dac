"""Every exception replayport raises on purpose.

```
ReplayportError                      root; the CLI maps it to an exit code
├── ConfigError                      missing/invalid setting, bad CLI usage        → exit 2
│   └── HashKeyMissingError          REPLAYPORT__HASH_KEY not set outside the demo
├── InputError                       a whole input could not be used (no such path, not a recording)
├── DecodeError                      one piece of a recording could not be decoded (→ a reject row)
├── PostHogAPIError                  the API answered with an error we cannot recover from
│   ├── AuthenticationError          401/403
│   ├── NotFoundError                404 (unknown recording, block out of range)
│   ├── RecordingDeletedError        410 recording_deleted
│   └── RecordingIncompleteError     blocks still missing after retries
├── TransientError (marker)          worth retrying: 429, 5xx, timeouts
│   └── RateLimitedError
├── ArchiveError                     reading/writing the owned archive failed
└── WarehouseError                   loading or querying a destination failed
```

Messages never contain secrets or personal data: they name the setting, the file and the
position, not the value.
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "AuthenticationError",
    "ConfigError",
    "DecodeError",
    "HashKeyMissingError",
    "InputError",
    "NotFoundError",
    "PostHogAPIError",
    "RateLimitedError",
    "RecordingDeletedError",
    "RecordingIncompleteError",
    "ReplayportError",
    "TransientError",
    "WarehouseError",
]


class ReplayportError(Exception):
    """Base class of every error replayport raises deliberately."""

    exit_code: int = 1


class ConfigError(ReplayportError):
    """A setting is missing or invalid, or the command line is wrong."""

    exit_code = 2


class HashKeyMissingError(ConfigError):
    """No identifier hash key is configured."""

    def __init__(self) -> None:
        super().__init__(
            "no hash key: set REPLAYPORT__HASH_KEY (or [replayport] hash_key in "
            ".dlt/secrets.toml); only `replayport demo` generates one"
        )


class InputError(ReplayportError):
    """An input as a whole cannot be used (missing path, unsupported file)."""


class DecodeError(ReplayportError):
    """One piece of a recording cannot be decoded.

    Carries a short machine-readable `reason` (e.g. `truncated_json`, `corrupt_gzip`) and a
    `where` (e.g. `line 17`, `block 3`) so that the piece becomes a `_replayport_rejects` row.
    """

    def __init__(self, reason: str, message: str, where: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.where = where


class TransientError(ReplayportError):
    """Marker: the operation may succeed if retried later."""


class RateLimitedError(TransientError):
    """PostHog answered 429; `retry_after` is in seconds when the server said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PostHogAPIError(ReplayportError):
    """PostHog answered with an error that retrying will not fix."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(PostHogAPIError):
    """The API key was refused (401/403)."""

    exit_code = 2


class NotFoundError(PostHogAPIError):
    """PostHog answered 404 (unknown recording, block index out of range)."""


class RecordingDeletedError(PostHogAPIError):
    """PostHog reports the recording as permanently deleted (410)."""


class RecordingIncompleteError(PostHogAPIError):
    """Some snapshot blocks are still missing after the retries."""


class ArchiveError(ReplayportError):
    """Reading or writing the owned archive failed."""


class WarehouseError(ReplayportError):
    """Loading into or querying a destination failed."""
