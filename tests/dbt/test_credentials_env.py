"""dbt reuses the credentials dlt resolves for the same warehouse."""

from __future__ import annotations

import pytest

from replayport.transform import credentials_env


def test_postgres_connection_string_becomes_the_dbt_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "DESTINATION__POSTGRES__CREDENTIALS", "postgresql://loader:p%40ss@db.example:6543/wh"
    )
    monkeypatch.delenv("REPLAYPORT_DBT_HOST", raising=False)
    assert credentials_env("postgres") == {
        "REPLAYPORT_DBT_HOST": "db.example",
        "REPLAYPORT_DBT_PORT": "6543",
        "REPLAYPORT_DBT_USER": "loader",
        "REPLAYPORT_DBT_PASSWORD": "p@ss",
        "REPLAYPORT_DBT_DATABASE": "wh",
    }


def test_explicit_dbt_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://a:b@c:1/d")
    monkeypatch.setenv("REPLAYPORT_DBT_HOST", "elsewhere")
    assert credentials_env("postgres") == {}
    assert credentials_env("duckdb") == {}
