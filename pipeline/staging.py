"""The inputs of results computed from a Parquet source, staged so a reader reads them as it reads a store.

`estate analyse --source DIR --results OUT` reads its inputs from Parquet and writes its results as
Parquet; `estate rank`, `report` and `export` read them with `--results OUT --source DIR` through a
pipeline.results.ResultSource. The results are read straight from OUT; the source's systems, interfaces
and costs (which the report and workbook show beside them) are put into a temporary DuckDB file here,
removed afterwards. Results beside a store (`--results OUT --db FILE`) need nothing staged: the store is
opened read-only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from estate.schema import TABLES
from estate.store import connect, table_columns
from pipeline.parquet import StagingError, require_folder, under

__all__ = ["StagingError", "source_store"]


@contextmanager
def source_store(source: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-only connection to a temporary store of the Parquet `source`'s input tables."""
    with tempfile.TemporaryDirectory(prefix="estate-source-") as folder:
        staged = Path(folder) / "source.duckdb"
        _load_source(staged, source)
        with connect(staged, read_only=True) as connection:
            yield connection


def _load_source(staged: Path, source: str) -> None:
    """Fill a new store with a Parquet source's systems, interfaces and costs (as `analyse --source` read them)."""
    require_folder(source)
    with connect(staged) as connection:
        for table in TABLES:
            place = under(source, table.name)
            try:
                data = pq.read_table(place)
            except (OSError, pa.ArrowException, ValueError) as exc:
                raise StagingError(f"{place}: no readable {table.name} table ({type(exc).__name__})") from None
            declared = [name for name, _ in table_columns(table)]
            frame = data.select([c for c in data.column_names if c in declared]).to_pandas()
            frame = frame.assign(  # one import, so the merged view picks every field
                import_id=1,
                source_file=frame.get("source_file", source),
                source_sheet=table.name,
                source_row=frame["source_row"] if "source_row" in frame else pd.RangeIndex(1, len(frame) + 1),
            )
            connection.register("source_rows", frame)
            connection.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM source_rows")
            connection.unregister("source_rows")
