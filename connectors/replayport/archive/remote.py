"""Object-store options for reading and deleting in a remote (S3-compatible, GCS, Azure) archive.

The archive is written by dlt's filesystem destination; deltalake (reads, deletes, vacuum) must
see the same credentials. They are resolved exactly as dlt resolves them for that destination
(`DESTINATION__FILESYSTEM__CREDENTIALS__…`, `[destination.filesystem.credentials]`, instance
profiles …) and turned into object-store options by dlt's own helper.
"""

from __future__ import annotations

import dlt

__all__ = ["storage_options_for"]


def storage_options_for(url: str) -> dict[str, str]:
    """deltalake `storage_options` for `url`, from dlt's filesystem destination configuration."""
    from dlt.common.libs.deltalake import deltalake_storage_options

    destination = dlt.destinations.filesystem(bucket_url=url)
    config = destination.configuration(destination.spec(), accept_partial=True)
    options = deltalake_storage_options(config.credentials, config.deltalake_storage_options)
    if url.startswith(("s3://", "s3a://")):
        keys = {key.lower() for key in options}
        # most S3-compatible stores (and S3 without a locking provider) lack the atomic rename
        # delta-rs wants; dlt's own Delta writer makes the same choice
        if "aws_s3_allow_unsafe_rename" not in keys:
            options["aws_s3_allow_unsafe_rename"] = "true"
    return {key: str(value) for key, value in options.items()}
