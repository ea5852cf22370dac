"""BigQuery through bqemulator: launcher (own venv) and the client endpoint shim for dlt.

bqemulator needs DuckDB's spatial extension, which cannot be downloaded here: it comes from the
`duckdb-extension-spatial` wheel and is linked into a HOME inside the repo
(`tests/standins/.home`, git-ignored), never outside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.standins.servers import REPO, ServerProcess, free_port

__all__ = ["BQ_PROJECT", "bigquery_env", "bqemulator_server", "patch_bigquery_client"]

BQ_VENV = REPO / ".venv-bqemulator"
BQ_PROJECT = "replayport-test"
HOME = Path(__file__).parent / ".home"


def _link_spatial_extension() -> None:
    wheels = sorted(
        BQ_VENV.glob(
            "lib/python3*/site-packages/duckdb_extension_spatial/extensions/v*/spatial.duckdb_extension"
        )
    )
    if not wheels:
        pytest.skip("no duckdb-extension-spatial in .venv-bqemulator: run scripts/standins.sh")
    source = wheels[-1]
    version = source.parent.name
    target = HOME / ".duckdb" / "extensions" / version / "linux_amd64" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(source)


@contextmanager
def bqemulator_server(scratch: Path) -> Iterator[str]:
    """An in-memory bqemulator on free ports; yields its REST endpoint."""
    if not (BQ_VENV / "bin" / "bqemulator").exists():
        pytest.skip("no .venv-bqemulator: run scripts/standins.sh")
    _link_spatial_extension()
    rest, grpc = free_port(), free_port()
    server = ServerProcess(
        [
            str(BQ_VENV / "bin" / "bqemulator"),
            "start",
            "--rest-host",
            "127.0.0.1",
            "--rest-port",
            str(rest),
            "--grpc-host",
            "127.0.0.1",
            "--grpc-port",
            str(grpc),
            "--project",
            BQ_PROJECT,
            "--ephemeral",
            "--log-level",
            "warning",
        ],
        rest,
        scratch / "bqemulator.log",
        env={"HOME": str(HOME)},
    ).start()
    try:
        yield f"http://127.0.0.1:{rest}"
    finally:
        server.stop()


def bigquery_env() -> dict[str, str]:
    """dlt credentials that pass config resolution; the shim never uses them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return {
        "DESTINATION__BIGQUERY__CREDENTIALS__PROJECT_ID": BQ_PROJECT,
        "DESTINATION__BIGQUERY__CREDENTIALS__PRIVATE_KEY": key,
        "DESTINATION__BIGQUERY__CREDENTIALS__CLIENT_EMAIL": (
            f"fake@{BQ_PROJECT}.iam.gserviceaccount.com"
        ),
        "DESTINATION__BIGQUERY__LOCATION": "US",
        # the emulator does not gunzip load files
        "NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION": "true",
    }


def patch_bigquery_client(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    """dlt has no endpoint option: its `bigquery.Client` talks to the emulator, anonymously."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    original = bigquery.Client

    class EmulatorClient(original):  # type: ignore[misc, valid-type]
        def __init__(
            self, project: str | None = None, credentials: Any = None, **kwargs: Any
        ) -> None:
            kwargs["client_options"] = ClientOptions(api_endpoint=endpoint)
            super().__init__(project=project, credentials=AnonymousCredentials(), **kwargs)

    import dlt.destinations.impl.bigquery.sql_client as sql_client

    monkeypatch.setattr(sql_client.bigquery, "Client", EmulatorClient)
    for name, value in bigquery_env().items():
        monkeypatch.setenv(name, value)
    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", BQ_PROJECT)
