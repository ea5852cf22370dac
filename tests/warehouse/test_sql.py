"""`sql/postgres/*.sql` against a real PostgreSQL loaded by replayport: roles, grants, the
restricted views, and the deletion/retention statements.

Not run: the Snowflake, BigQuery and Redshift variants (no stand-in runs their grant systems:
fakesnow and bqemulator ignore roles/IAM; Redshift RBAC differs from PostgreSQL). They are parsed
in their own dialects and checked against the contract's tables and columns in
`test_sql_files.py`.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import psycopg2
import pytest

from replayport.config import Settings
from replayport.warehouse.load import load_from_archive
from tests.standins.postgres import PostgresServer
from tests.warehouse.conftest import CorpusArchives

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

SQL = Path(__file__).resolve().parents[2] / "sql" / "postgres"


def _psql(server: PostgresServer, database: str, file: Path, **variables: str) -> None:
    args = [
        "psql",
        "-v",
        "ON_ERROR_STOP=1",
        "-q",
        "-h",
        "127.0.0.1",
        "-p",
        str(server.port),
        "-U",
        server.user,
        "-d",
        database,
        "-f",
        str(file),
    ]
    for name, value in variables.items():
        args[1:1] = ["-v", f"{name}={value}"]
    subprocess.run(args, check=True, capture_output=True)


def test_roles_grants_views_and_deletion(
    postgres: PostgresServer,
    corpus_archives: CorpusArchives,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = postgres.create_database()
    try:
        dsn = postgres.dsn(database).replace("postgres@", "postgres:unused@")
        monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
        settings = Settings.resolve(corpus_archives.workdir(tmp_path / "work"))
        load_from_archive(settings, "postgres")
        _psql(postgres, database, SQL / "setup.sql")
        _psql(postgres, database, SQL / "restricted_views.sql")
        _psql(postgres, database, SQL / "setup.sql")  # idempotent

        analyst = f"analyst_{secrets.token_hex(3)}"
        postgres.execute(database, f"CREATE ROLE {analyst} LOGIN IN ROLE replayport_analyst")
        try:
            conn = psycopg2.connect(
                host="127.0.0.1", port=postgres.port, user=analyst, dbname=database
            )
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM posthog_replay_marts.replay_events")
                assert cur.fetchone()[0] > 1000
                cur.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'posthog_replay_marts' AND table_name = 'replay_events'"
                )
                assert "data" not in {row[0] for row in cur.fetchall()}
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute("SELECT data FROM posthog_replay.replay_events LIMIT 1")
            conn.close()
        finally:
            postgres.execute(database, f"DROP OWNED BY {analyst}; DROP ROLE {analyst}")

        conn = postgres.connect(database)
        with conn.cursor() as cur:
            cur.execute(
                "SELECT session_id FROM posthog_replay.sessions ORDER BY session_id LIMIT 1"
            )
            session_id = cur.fetchone()[0]
            _psql(postgres, database, SQL / "deletion.sql", session_id=session_id)
            cur.execute(
                "SELECT count(*) FROM posthog_replay.replay_events WHERE session_id = %s",
                (session_id,),
            )
            assert cur.fetchone()[0] == 0
            cur.execute("SELECT count(*) FROM posthog_replay.sessions")
            assert cur.fetchone()[0] == 1
            _psql(postgres, database, SQL / "retention.sql", cutoff="2999-01-01T00:00:00Z")
            cur.execute("SELECT count(*) FROM posthog_replay.sessions")
            assert cur.fetchone()[0] == 0
            cur.execute("SELECT count(*) FROM posthog_replay.replay_events")
            assert cur.fetchone()[0] == 0
        conn.close()
    finally:
        postgres.drop_database(database)
