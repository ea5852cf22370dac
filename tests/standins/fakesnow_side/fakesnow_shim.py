"""Server-side shims for fakesnow 0.12.1 so dlt's Snowflake SQL runs (runs in .venv-fakesnow).

Each patch is something real Snowflake accepts and fakesnow does not:
1. PUT with the stage as a quoted literal (`'@"S"."%T"/"load"'`);
2. COPY INTO with comma-separated FILE_FORMAT options and a quoted MATCH_BY_COLUMN_NAME;
3. `'$pageview'` inside a string literal taken for a session variable.
"""

from __future__ import annotations

import re
from typing import Any

import fakesnow.transforms as _transforms
import fakesnow.transforms.stage as _stage
import fakesnow.variables as _variables
from fakesnow.cursor import FakeSnowflakeCursor
from sqlglot import exp

_original_put = _stage.put_stage


def _put_stage(expression: exp.Expression, *args: Any, **kwargs: Any) -> exp.Expression:
    if isinstance(expression, exp.Put):
        target = expression.args.get("target")
        if (
            isinstance(target, exp.Var)
            and len(target.this) > 1
            and target.this[0] == target.this[-1] == "'"
        ):
            expression.set("target", exp.Var(this=target.this[1:-1]))
    return _original_put(expression, *args, **kwargs)


_stage.put_stage = _put_stage
_transforms.put_stage = _put_stage

_original_execute = FakeSnowflakeCursor.execute
_FILE_FORMAT = re.compile(r"FILE_FORMAT\s*=\s*\(\s*(TYPE\s*=\s*'[A-Z]+')[^)]*\)", re.I)
_MATCH_BY = re.compile(r"MATCH_BY_COLUMN_NAME\s*=\s*'([A-Z_]+)'", re.I)


def _execute(self: FakeSnowflakeCursor, command: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(command, str) and command.lstrip().upper().startswith("COPY INTO"):
        command = _FILE_FORMAT.sub(r"FILE_FORMAT = (\1)", command)
        command = _MATCH_BY.sub(r"MATCH_BY_COLUMN_NAME=\1", command)
    return _original_execute(self, command, *args, **kwargs)


FakeSnowflakeCursor.execute = _execute  # type: ignore[method-assign]

_original_inline = _variables.Variables.inline_variables
_LITERAL = re.compile(r"('(?:[^']|'')*')")


def _inline_variables(self: Any, sql: str) -> str:
    parts = _LITERAL.split(sql)
    return "".join(
        part if i % 2 else (_original_inline(self, part) if part else part)
        for i, part in enumerate(parts)
    )


_variables.Variables.inline_variables = _inline_variables
