"""Result tables kept outside the store, staged so every reader reads them as it reads a store.

`estate analyse --results DIR` writes each result table as Parquet (DIR/system_assessment, ...; pipeline.parquet).
`estate rank`, `report` and `export` read them with `--results DIR`: the tables are read here (DuckDB and
pyarrow, no Spark needed, so a folder written on a cluster can be read on a laptop) and put, with the inputs
they were computed from, into a temporary DuckDB file. The readers then run unchanged, with their own checks:
- inputs from the store (`--db`): the results must record the store's current imports, else
  "the inventory changed since the last analysis", exactly as for results stored in the file;
- inputs from a Parquet source (`--source DIR`, as `analyse --source` read them): the results must record
  that source, else a StagingError says which inputs they came from.
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
from pipeline.parquet import StagingError, read_result_tables, require_folder, under
from pipeline.results import SOURCE_PREFIX, source_label, write_results

__all__ = ["StagingError", "read_result_tables", "staged_store"]


@contextmanager
def staged_store(db: Path, results: str | None = None, source: str | None = None) -> Iterator[Path]:
    """Yield a store holding the inputs (`db`, or the Parquet `source`) and the result tables (`results`).

    Without `results` this is `db` itself. With it, a temporary DuckDB file, removed afterwards; `db` and
    the folders are only read.
    """
    if results is None:
        if source is not None:
            raise StagingError("--source names the inputs of results kept as Parquet: give --results DIR too")
        yield db
        return
    tables = read_result_tables(results)
    with tempfile.TemporaryDirectory(prefix="estate-staged-") as folder:
        staged = Path(folder) / "staged.duckdb"
        recorded = str(tables["cost_model_runs"]["import_ids"].iloc[0])
        if source is None and recorded.startswith(SOURCE_PREFIX):
            raise StagingError(f"{results}: these results were computed from {_described(recorded)}: give --source")
        if source is not None and recorded != source_label(source):
            raise StagingError(
                f"{results}: these results were computed from {_described(recorded)}, not the source {source}"
            )
        if source is None:
            _copy_store(db, staged)  # the readers check the results record the store's current imports
        else:
            _load_source(staged, source)
        with connect(staged) as connection:
            write_results(connection, tables)
        yield staged


def _described(recorded: str) -> str:
    if recorded.startswith(SOURCE_PREFIX):
        return f"the source {recorded.removeprefix(SOURCE_PREFIX)}"
    return f"a store's imports ({recorded or 'none'})"


def _copy_store(db: Path, staged: Path) -> None:
    """Copy every table of the store at `db` into a new DuckDB file `staged` (the store is only read)."""
    with connect(db, read_only=True):
        pass  # refuses what is not a store, and brings one from an earlier release up to date
    with duckdb.connect(str(staged)) as connection:
        connection.execute(f"ATTACH '{_literal(db)}' AS inputs (READ_ONLY)")
        name = connection.execute("SELECT current_database()").fetchone()[0]
        connection.execute(f'COPY FROM DATABASE inputs TO "{name}"')
        connection.execute("DETACH inputs")


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


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
