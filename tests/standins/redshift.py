"""dlt's Redshift SQL on plain PostgreSQL (logic only): a client rewrite and two DB objects.

Covers dlt's Redshift DDL and delete-insert merge shape. Cannot cover: COPY from S3, real
VARCHAR(MAX)/SUPER semantics, DISTKEY/SORTKEY, svv_* views, redshift_connector.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

__all__ = ["PG_SETUP_SQL", "patch_redshift_on_postgres"]

PG_SETUP_SQL = """
DO $$ BEGIN CREATE DOMAIN super AS jsonb; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE OR REPLACE FUNCTION json_parse(text) RETURNS jsonb LANGUAGE sql IMMUTABLE
  AS $f$ SELECT $1::jsonb $f$;
"""
_VARCHAR_MAX = re.compile(r"varchar\(max\)", re.I)


def patch_redshift_on_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rewrite `varchar(max)` (PostgreSQL cannot parse it) in every Redshift query."""
    from dlt.destinations.impl.postgres.sql_client import Psycopg2SqlClient
    from dlt.destinations.impl.redshift.redshift import RedshiftSqlClient

    original = Psycopg2SqlClient.execute_query

    @contextmanager
    def execute_query(self: Any, query: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        if isinstance(query, str):
            query = _VARCHAR_MAX.sub("varchar", query)
        with original(self, query, *args, **kwargs) as cursor:
            yield cursor

    monkeypatch.setattr(RedshiftSqlClient, "execute_query", execute_query)
