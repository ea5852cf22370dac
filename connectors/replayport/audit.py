"""`replayport audit`: scan everything replayport wrote for personal data.

Reads the archive (every Parquet file of every Delta table, older versions included, when the
archive is local; the current versions otherwise), the DuckDB warehouse (every text column of
every table in `posthog_replay`) and the exports in the workdir, and hands every string to the
pure scanner in `replayport.privacy.audit` (validated detectors + optional canaries, also inside
packed strings). Findings name where, never what.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from replayport.archive.store import ARCHIVE_DATASET, Archive
from replayport.config import Settings
from replayport.privacy.audit import CanaryMatcher, load_canaries, scan_text
from replayport.tables.schemas import SCHEMAS

__all__ = ["AuditReport", "Finding", "run_audit"]

_MAX_SAMPLES_PER_GROUP = 3
_ROW_KEYS = ("session_id", "seq", "run_id", "payment_id")


@dataclass(frozen=True)
class Finding:
    """Evidence of personal data at one place (never the value itself)."""

    where: str
    """`archive:<table>.<column>`, `warehouse:<table>.<column>` or `export:<file>`."""
    rule: str
    row: str
    """Row key (`session_id=…, seq=…`) or file offset."""
    context: str
    inside: str = ""


@dataclass
class AuditReport:
    findings: list[Finding] = field(default_factory=list)
    strings_scanned: int = 0
    places_scanned: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> list[dict[str, Any]]:
        """Findings grouped by place and rule, with a few redacted samples each."""
        groups: dict[tuple[str, str], list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault((finding.where, finding.rule), []).append(finding)
        return [
            {
                "where": where,
                "rule": rule,
                "count": len(found),
                "samples": [
                    {"row": f.row, "context": f.context, "inside": f.inside}
                    for f in found[:_MAX_SAMPLES_PER_GROUP]
                ],
            }
            for (where, rule), found in sorted(groups.items())
        ]

    def counts(self) -> Counter[str]:
        return Counter(f.rule for f in self.findings)


def run_audit(
    settings: Settings, canaries_path: Path | None = None, sample: int | None = None
) -> AuditReport:
    """Scan archive, DuckDB warehouse and exports; `sample` limits rows scanned per table."""
    matcher = CanaryMatcher(load_canaries(canaries_path)) if canaries_path else None
    report = AuditReport()
    rng = random.Random(0)
    for where, table in _archive_tables(Archive(settings)):
        _scan_table(report, where, table, matcher, sample, rng)
    for where, table in _warehouse_tables(settings):
        _scan_table(report, where, table, matcher, sample, rng)
    for path in sorted(settings.exports_dir.rglob("*")) if settings.exports_dir.exists() else ():
        if path.is_file():
            _scan_export(report, settings, path, matcher)
    return report


def _archive_tables(archive: Archive) -> Iterator[tuple[str, pa.Table]]:
    if archive.is_local:
        root = Path(archive.url) / ARCHIVE_DATASET
        if not root.exists():
            return
        for table_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for file in sorted(table_dir.rglob("*.parquet")):
                yield f"archive:{table_dir.name}", pq.read_table(file)
        return
    for table in SCHEMAS:
        if archive.has_table(table):
            yield f"archive:{table}", archive.read(table)


def _warehouse_tables(settings: Settings) -> Iterator[tuple[str, pa.Table]]:
    if not settings.duckdb_path.exists():
        return
    import duckdb

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [ARCHIVE_DATASET],
            ).fetchall()
        ]
        for table in tables:
            yield (
                f"warehouse:{table}",
                con.execute(f'select * from "{ARCHIVE_DATASET}"."{table}"').to_arrow_table(),
            )


def _row_key(table: pa.Table, index: int) -> str:
    parts = [
        f"{key}={table.column(key)[index].as_py()}"
        for key in _ROW_KEYS
        if key in table.column_names
    ]
    return ", ".join(parts) or f"row {index}"


def _scan_table(
    report: AuditReport,
    where: str,
    table: pa.Table,
    matcher: CanaryMatcher | None,
    sample: int | None,
    rng: random.Random,
) -> None:
    report.places_scanned.append(where)
    if table.num_rows == 0:
        return
    indices = range(table.num_rows)
    if sample is not None and table.num_rows > sample:
        indices = sorted(rng.sample(range(table.num_rows), sample))  # type: ignore[assignment]
    text_columns = [
        name
        for name, type_ in zip(table.column_names, table.schema.types, strict=True)
        if pa.types.is_string(type_) or pa.types.is_large_string(type_)
    ]
    for name in text_columns:
        values = table.column(name).to_pylist()
        for index in indices:
            value = values[index]
            if not value:
                continue
            report.strings_scanned += 1
            for hit in scan_text(value, matcher):
                report.findings.append(
                    Finding(
                        f"{where}.{name}", hit.rule, _row_key(table, index), hit.context, hit.inside
                    )
                )


def _scan_export(
    report: AuditReport, settings: Settings, path: Path, matcher: CanaryMatcher | None
) -> None:
    where = f"export:{path.relative_to(settings.exports_dir)}"
    report.places_scanned.append(where)
    texts = _export_texts(path)
    for text in texts:
        report.strings_scanned += 1
        for hit in scan_text(text, matcher):
            report.findings.append(
                Finding(where, hit.rule, f"offset {hit.offset}", hit.context, hit.inside)
            )


def _export_texts(path: Path) -> list[str]:
    """Text content of an export; ZIP members and gzip files are opened, and an HTML replay is
    read through its embedded data (its inlined player code is vendored, not recorded data)."""
    import gzip
    import zipfile

    if zipfile.is_zipfile(path):
        texts = []
        with zipfile.ZipFile(path) as bundle:
            for member in bundle.namelist():
                content = bundle.read(member)
                if member.endswith(".gz"):
                    content = gzip.decompress(content)
                texts.append(_readable(content.decode("utf-8", "replace"), member))
        return texts
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [_readable(data.decode("utf-8", "replace"), path.name)]


def _readable(text: str, name: str) -> str:
    if not name.endswith((".html", ".htm")):
        return text
    from replayport.portable import read_embedded

    try:
        return orjson.dumps(read_embedded(text)).decode()
    except (ValueError, KeyError):
        # not one of our replays: scan it as it is
        return text
