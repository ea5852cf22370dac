"""sqlfluff passes on the dbt project with its committed `.sqlfluff` (jinja templater)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from replayport.transform import dbt_project_dir


def test_sqlfluff_lint_passes() -> None:
    project = dbt_project_dir()
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    completed = subprocess.run(
        [str(sqlfluff), "lint", ".", "--processes", "2", "--disable-progress-bar"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "All Finished" in completed.stdout + completed.stderr
