"""A PostgreSQL server on 127.0.0.1: the one on :5432 when it runs, else a throwaway cluster.

The throwaway cluster (`initdb` + `pg_ctl`, trust auth, in a temp dir, on a free port) is what
CI gets when no server runs. Each test session creates fresh databases and drops them after.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2

from tests.standins.servers import HOST, free_port, port_open

__all__ = ["PostgresServer", "postgres_server"]


class PostgresServer:
    def __init__(self, port: int, user: str = "postgres") -> None:
        self.port = port
        self.user = user

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{HOST}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg2.extensions.connection:
        conn = psycopg2.connect(host=HOST, port=self.port, user=self.user, dbname=database)
        conn.autocommit = True
        return conn

    def create_database(self, prefix: str = "replayport_test") -> str:
        name = f"{prefix}_{secrets.token_hex(4)}"
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return name

    def execute(self, database: str, sql: str) -> None:
        conn = self.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def drop_database(self, name: str) -> None:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()


@contextmanager
def postgres_server(scratch: Path) -> Iterator[PostgresServer]:
    """The running server on :5432, or a fresh cluster in `scratch` stopped afterwards."""
    if port_open(5432):
        yield PostgresServer(5432)
        return
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise RuntimeError("no PostgreSQL: install `postgresql` (scripts/setup.sh does)")
        initdb, pg_ctl = str(found[-1]), str(found[-1].with_name("pg_ctl"))
    data = scratch / "pgdata"
    port = free_port()
    # PostgreSQL refuses to run as root: run it as the `postgres` system user then
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(scratch, user="postgres")
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses={HOST} -p {port} -c unix_socket_directories={scratch}"
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(scratch / "pg.log"), "-w", "start"]
    subprocess.run([*as_user, *start], check=True, capture_output=True)
    try:
        yield PostgresServer(port)
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True
        )
