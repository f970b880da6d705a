"""Tables kept as Parquet: a source's input tables, and the result tables of an analysis.

A place is a local folder or a URL (s3://bucket/estate, read and written through pyarrow's filesystems);
each table is a folder of Parquet files under it (PLACE/systems, PLACE/system_assessment, ...), as Spark
writes them and as `estate analyse --results` writes them on either engine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.relational import INPUT_TABLES
from pipeline.results import RESULT_TABLES, conform, decision_draws_table


class StagingError(ValueError):
    """Result tables or a source that cannot be read: names the place and what is wrong."""


def under(folder: str, name: str) -> str:
    """Return a table's location under a local folder or a URL (s3://bucket/estate)."""
    return f"{folder}/{name}" if "://" in folder else str(Path(folder) / name)


def require_folder(source: str) -> None:
    """Raise StagingError unless `source` is a local folder or a URL (a catalog schema is Spark's alone)."""
    if "://" not in source and not Path(source).is_dir():
        raise StagingError(f"{source}: no such folder; a catalog source (catalog.schema) is read on Spark only")


def source_tables(source: str) -> dict:
    """Return a Parquet source's tables (SOURCE/systems, SOURCE/interfaces, SOURCE/costs) as Ibis tables on DuckDB."""
    import ibis

    require_folder(source)
    backend = ibis.duckdb.connect()
    tables = {}
    for name in INPUT_TABLES:
        place = under(source, name)
        files = f"{place}/**/*.parquet" if Path(place).is_dir() or "://" in place else place
        try:
            tables[name] = backend.read_parquet(files, table_name=f"estate_{name}")
        except Exception as exc:  # DuckDB's IOException and friends: name the place, never a traceback
            raise StagingError(f"{place}: no readable {name} table ({type(exc).__name__})") from None
    return tables


def read_result_tables(results: str) -> dict[str, object]:
    """Return every result table kept as Parquet under `results`; raise StagingError naming one that is not."""
    tables: dict[str, object] = {}
    for table in RESULT_TABLES:
        place = under(results, table.name)
        try:
            data = pq.read_table(place)
        except (OSError, pa.ArrowException, ValueError) as exc:
            raise StagingError(
                f"{place}: no readable result table {table.name} ({type(exc).__name__}): "
                "write it with `estate analyse --results DIR`"
            ) from None
        missing = [c for c in table.columns if c not in data.column_names]
        if missing:
            raise StagingError(f"{place}: result table {table.name} lacks column(s) {', '.join(missing)}")
        # integers stay integers where a column has nulls (cluster_id): pandas would make them floats
        tables[table.name] = _decision_draws(data) if table.name == "decision_draws" else data.to_pandas(
            types_mapper={pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype()}.get)  # fmt: skip
    return tables


def _decision_draws(data: pa.Table) -> pa.Table:
    """Return the decision draws as the store keeps them (fixed-size lists of float32), whatever wrote them."""
    draws = data.column("npv_per_capex_draws").combine_chunks()
    width = draws.type.list_size if pa.types.is_fixed_size_list(draws.type) else (
        int(pa.compute.list_value_length(draws)[0].as_py()) if len(draws) else 1)  # fmt: skip
    values = draws.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    ids = data.column("system_id").to_numpy(zero_copy_only=False)
    return decision_draws_table(ids, values.reshape(len(ids), width) if len(ids) else values.reshape(0, width))


def write_result_tables(tables: dict[str, object], results: str) -> None:
    """Write every result table as Parquet under `results` (RESULTS/NAME/part-0.parquet), replacing what was there."""
    for name, frame in conform(tables).items():
        data = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        place = under(results, name)
        if "://" not in place:
            folder = Path(place)
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.parquet"):
                old.unlink()
        pq.write_table(data, f"{place}/part-0.parquet")
