"""Object-store options for reading a remote (S3-compatible) archive with deltalake.

dlt resolves the filesystem destination's credentials (`DESTINATION__FILESYSTEM__CREDENTIALS__…`
or `[destination.filesystem.credentials]`); deltalake wants them as object-store options.
"""

from __future__ import annotations

from typing import Any

import dlt

__all__ = ["storage_options_for"]

_AWS_KEYS = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
    "region_name": "AWS_REGION",
    "endpoint_url": "AWS_ENDPOINT_URL",
}


def storage_options_for(url: str) -> dict[str, str]:
    """deltalake `storage_options` for `url`, from dlt's filesystem credentials."""
    options: dict[str, str] = {}
    if url.startswith(("s3://", "s3a://")):
        credentials: Any = dlt.secrets.get("destination.filesystem.credentials") or {}
        if hasattr(credentials, "items"):
            for key, option in _AWS_KEYS.items():
                value = credentials.get(key)
                if value:
                    options[option] = str(value)
        endpoint = options.get("AWS_ENDPOINT_URL", "")
        if endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
        # local S3 stand-ins and most S3-compatible stores lack conditional puts
        options.setdefault("AWS_S3_ALLOW_UNSAFE_RENAME", "true")
    return options
