"""Snowflake through the fakesnow server: launcher and the client-side dlt overrides.

Client side needs two dlt capability overrides (no SQL rewriting): fakesnow runs one statement
per `execute`, and loads only parquet (dlt writes its state table as jsonl by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.standins.servers import REPO, ServerProcess, free_port

__all__ = ["FAKESNOW_PYTHON", "fakesnow_server", "patch_snowflake_capabilities", "snowflake_dsn"]

FAKESNOW_PYTHON = REPO / ".venv-fakesnow" / "bin" / "python"


@contextmanager
def fakesnow_server(scratch: Path) -> Iterator[int]:
    """A shimmed fakesnow server (in-memory) on a free port; yields the port."""
    if not FAKESNOW_PYTHON.exists():
        pytest.skip("no .venv-fakesnow: run scripts/standins.sh")
    port = free_port()
    server = ServerProcess(
        [
            str(FAKESNOW_PYTHON),
            str(Path(__file__).parent / "fakesnow_side" / "fakesnow_server.py"),
            str(port),
        ],
        port,
        scratch / "fakesnow.log",
    ).start()
    try:
        yield port
    finally:
        server.stop()


def snowflake_dsn(port: int, database: str = "replayport") -> str:
    return (
        f"snowflake://fake:snow@fakesnow/{database}?warehouse=wh&role=r&host=127.0.0.1"
        f"&port={port}&protocol=http&network_timeout=15"
    )


def patch_snowflake_capabilities(monkeypatch: pytest.MonkeyPatch) -> None:
    """fakesnow: one statement per execute, parquet only."""
    from dlt.destinations.impl.snowflake.factory import snowflake

    original = snowflake._raw_capabilities

    def capabilities(self: Any) -> Any:
        caps = original(self)
        caps.supports_multiple_statements = False
        caps.preferred_loader_file_format = "parquet"
        return caps

    monkeypatch.setattr(snowflake, "_raw_capabilities", capabilities)
