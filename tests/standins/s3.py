"""An S3-compatible endpoint: moto's server on a free 127.0.0.1 port, one bucket."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.standins.servers import ServerProcess, free_port

__all__ = ["S3_KEYS", "moto_server"]

S3_KEYS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "us-east-1",
}


@contextmanager
def moto_server(scratch: Path, bucket: str = "replayport-archive") -> Iterator[str]:
    """Yields the endpoint URL; `bucket` exists."""
    import boto3

    port = free_port()
    binary = Path(sys.executable).with_name("moto_server")
    server = ServerProcess(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)], port, scratch / "moto.log"
    ).start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, **S3_KEYS).create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.stop()
