"""`dbt.<macro>()` cross-database macros as sqlfluff sees them (DuckDB/PostgreSQL renderings)."""

from __future__ import annotations


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"datediff('{datepart}', {first_date}, {second_date})"


def type_string() -> str:
    return "varchar"


def type_numeric() -> str:
    return "numeric(28, 6)"


def type_float() -> str:
    return "float"


def type_int() -> str:
    return "integer"


def type_bigint() -> str:
    return "bigint"


def type_boolean() -> str:
    return "boolean"


def type_timestamp() -> str:
    return "timestamp"
