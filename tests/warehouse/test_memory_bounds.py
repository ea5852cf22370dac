"""The settings that keep memory bounded by the largest session, not by the archive's size.

- archive upserts run deltalake's MERGE without `streamed_exec` (which would scan the whole
  target table on every chunk), unless dlt's own key turns it on;
- the warehouse load reads the archive in batches bounded in rows and bytes, file by file;
- DuckDB loads under a memory limit and thread cap (replayport's defaults, dlt's
  `global_config` on top), and without dlt's whole-staging-table deduplication window;
- Arrow allocates from a pool that returns freed memory (unless pyarrow's own variable says
  otherwise).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from replayport.archive.store import Archive, merge_streamed_exec
from replayport.config import Settings, apply_runtime_defaults
from replayport.errors import ConfigError
from replayport.warehouse.destinations import (
    DUCKDB_MEMORY_LIMIT,
    DUCKDB_THREADS,
    duckdb_settings,
)
from replayport.warehouse.load import (
    READ_BATCH_BYTES,
    READ_BATCH_ROWS,
    bounded_batches,
    load_from_archive,
    read_batch_limits,
    warehouse_pipeline,
)
from tests.warehouse.conftest import CorpusArchives
from tests.warehouse.helpers import archive_counts, duplicate_keys, warehouse_counts


def test_archive_merges_are_not_streamed_unless_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DESTINATION__FILESYSTEM__DELTALAKE_STREAMED_EXEC", raising=False)
    assert merge_streamed_exec() is False
    destination = Archive(Settings.resolve(tmp_path)).pipeline().destination
    assert destination.config_params["deltalake_streamed_exec"] is False

    monkeypatch.setenv("DESTINATION__FILESYSTEM__DELTALAKE_STREAMED_EXEC", "true")
    assert merge_streamed_exec() is True
    monkeypatch.setenv("DESTINATION__FILESYSTEM__DELTALAKE_STREAMED_EXEC", "sometimes")
    with pytest.raises(ConfigError, match="deltalake_streamed_exec"):
        merge_streamed_exec()


def test_duckdb_settings_defaults_overrides_and_dlts_global_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", raising=False)
    assert duckdb_settings() == {"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": DUCKDB_THREADS}

    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__DUCKDB_THREADS", "3")
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    assert duckdb_settings() == {
        "memory_limit": "1GB",
        "threads": 3,
        "temp_directory": str(tmp_path / "spill"),
    }

    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__DUCKDB_MEMORY_LIMIT", "none")
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__DUCKDB_THREADS", "none")
    monkeypatch.delenv("REPLAYPORT__WAREHOUSE__DUCKDB_TEMP_DIRECTORY")
    assert duckdb_settings() == {}  # DuckDB's own defaults

    # dlt's own key wins over replayport's
    monkeypatch.setenv(
        "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG",
        '{"memory_limit": "2GB", "preserve_insertion_order": false}',
    )
    assert duckdb_settings({"duckdb_memory_limit": "64MB"}) == {
        "memory_limit": "2GB",
        "threads": DUCKDB_THREADS,
        "preserve_insertion_order": False,
    }

    monkeypatch.delenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG")
    with pytest.raises(ConfigError, match="duckdb_threads"):
        duckdb_settings({"duckdb_threads": 0})


def test_read_batch_limits_are_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_batch_limits() == (READ_BATCH_ROWS, READ_BATCH_BYTES)
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__READ_BATCH_ROWS", "500")
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__READ_BATCH_BYTES", "65536")
    assert read_batch_limits() == (500, 65_536)
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__READ_BATCH_ROWS", "0")
    with pytest.raises(ConfigError, match="read_batch_rows"):
        read_batch_limits()


def test_bounded_batches_cap_rows_and_bytes_and_keep_every_row(tmp_path: Path) -> None:
    """File by file, in order, sliced to the byte cap; an older file without a newer column
    reads with that column as nulls (the dataset's schema, not each file's)."""
    old = pa.table({"k": pa.array(range(300)), "v": pa.array(["x" * 200] * 300)})
    new = pa.table(
        {
            "k": pa.array(range(300, 700)),
            "v": pa.array(["y" * 200] * 400),
            "extra": pa.array(["e"] * 400),
        }
    )
    pq.write_table(old, tmp_path / "part-0.parquet")
    pq.write_table(new, tmp_path / "part-1.parquet")
    dataset = ds.dataset(
        [str(tmp_path / "part-0.parquet"), str(tmp_path / "part-1.parquet")],
        schema=new.schema,
    )

    batches = list(bounded_batches(dataset, None, max_rows=250, max_bytes=16 * 1024))

    assert all(batch.num_rows <= 250 for batch in batches)
    # slices share their parent's buffers, so the bound is on rows: ~16 KiB of 200-byte values
    assert all(batch.num_rows * 200 <= 2 * 16 * 1024 for batch in batches)
    table = pa.Table.from_batches(batches)
    assert table.column("k").to_pylist() == list(range(700))
    assert table.column("extra").null_count == 300

    filtered = list(bounded_batches(dataset, ds.field("k") >= 650, 250, 16 * 1024))
    assert pa.Table.from_batches(filtered).column("k").to_pylist() == list(range(650, 700))


def test_duckdb_load_runs_under_the_caps_and_stays_a_merge(
    corpus_archives: CorpusArchives, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caps reach DuckDB; without dlt's dedup window the load is still an exact merge."""
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__DUCKDB_MEMORY_LIMIT", "96MB")
    monkeypatch.setenv("REPLAYPORT__WAREHOUSE__READ_BATCH_ROWS", "700")  # many small batches
    settings = Settings.resolve(corpus_archives.workdir(tmp_path / "work"))

    load_from_archive(settings, "duckdb")
    first = warehouse_counts(settings, "duckdb")
    assert first == archive_counts(settings)
    load_from_archive(settings, "duckdb")  # the same rows again (the cursor's lag re-reads)
    assert warehouse_counts(settings, "duckdb") == first
    assert set(duplicate_keys(settings, "duckdb").values()) == {0}

    with warehouse_pipeline(settings, "duckdb").sql_client() as client:
        limit, threads = client.execute_sql(
            "select current_setting('memory_limit'), current_setting('threads')"
        )[0]
    assert str(limit).startswith(("91.", "96"))  # DuckDB reports MiB: 96 MB = 91.5 MiB
    assert int(threads) == DUCKDB_THREADS


def test_arrow_allocates_from_a_pool_that_returns_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    before = pa.default_memory_pool()
    try:
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
        try:
            pa.jemalloc_memory_pool()
        except NotImplementedError:
            pytest.skip("this pyarrow has no jemalloc")
        apply_runtime_defaults()
        assert pa.default_memory_pool().backend_name == "jemalloc"

        # pyarrow's own variable decides when set
        pa.set_memory_pool(pa.system_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
        apply_runtime_defaults()
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)
