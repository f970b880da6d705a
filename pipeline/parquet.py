"""Tables kept as Parquet: a source's input tables, and the result tables of an analysis.

A place is a local folder or a URL (s3://bucket/estate, read and written through pyarrow's filesystems);
each table is a folder of Parquet files under it (PLACE/systems, PLACE/system_assessment, ...), as Spark
writes them and as `estate analyse --results` writes them on either engine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.relational import INPUT_TABLES
from pipeline.results import RESULT_TABLES, RESULTS, conform, decision_draws_table


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
    # DuckDB 2.0 reasons from Parquet min/max statistics, which leave out NaN: a pushed-down `isnan(x)` prunes
    # every row group, and statistics propagation folds it to false. The checks of pipeline.relational must see
    # every row (tests/test_staging.py), so both are off for a source.
    backend.raw_sql("SET disabled_optimizers = 'filter_pushdown,statistics_propagation'")
    tables = {}
    for name in INPUT_TABLES:
        place = under(source, name)
        files = f"{place}/**/*.parquet" if Path(place).is_dir() or "://" in place else place
        try:
            tables[name] = backend.read_parquet(files, table_name=f"estate_{name}")
        except Exception as exc:  # DuckDB's IOException and friends: name the place, never a traceback
            raise StagingError(f"{place}: no readable {name} table ({type(exc).__name__})") from None
    return tables


RUN_KEY = b"estate_run"  # Parquet metadata: the analysis that wrote the table (every table of one run shares it)
LOCK = ".estate-lock"  # held (flock, exclusive) while an analysis writes its results into a folder
SWAP = ".estate-swap"  # held exclusive while a write swaps its tables in, shared while a reader reads them
PARTIAL = (".estate-new-", ".estate-old-")  # a write's fresh tables, and the tables it replaces, until it ends


def read_result_tables(results: str, names: tuple[str, ...] | None = None) -> dict[str, object]:
    """Return the result tables kept as Parquet under `results` (all, or `names` and cost_model_runs).

    Raise StagingError naming a table that is missing, lacks a declared column, or was written by another
    analysis than the others (a write interrupted part-way, or two at once): never a mix of two runs.
    """
    chosen = [RESULTS[n] for n in names] if names else list(RESULT_TABLES)
    if RESULTS["cost_model_runs"] not in chosen:
        chosen.append(RESULTS["cost_model_runs"])
    with _swap_lock(results, shared=True):
        return _read_tables(results, chosen)


def _read_tables(results: str, chosen: list) -> dict[str, object]:
    tables: dict[str, object] = {}
    runs: dict[str, str] = {}
    for table in chosen:
        place = under(results, table.name)
        try:
            data = pq.read_table(place)
        except (OSError, pa.ArrowException, ValueError) as exc:
            raise _unreadable(results, table.name, exc) from None
        missing = [c for c in table.columns if c not in data.column_names]
        if missing:
            raise StagingError(f"{place}: result table {table.name} lacks column(s) {', '.join(missing)}: it was "
                               "written by an earlier release; run `estate analyse --results DIR` again")  # fmt: skip
        runs[table.name] = (data.schema.metadata or {}).get(RUN_KEY, b"").decode()
        tables[table.name] = _decision_draws(data) if table.name == "decision_draws" else _published(table, data)
    for table in RESULT_TABLES:  # the tables not read: present, and of the same run
        if table.name not in runs:
            runs[table.name] = _run_of(results, table.name)
    if len(set(runs.values())) > 1 or "" in runs.values():
        detail = ", ".join(f"{name} {run[:8] or 'unrecorded'}" for name, run in sorted(runs.items()))
        raise StagingError(
            f"{results}: its result tables come from different analyses ({detail}){_interrupted(results)}; "
            "run `estate analyse --results DIR` again"
        )
    return tables


def _run_of(results: str, name: str) -> str:
    """Return the run that wrote a result table, from its Parquet metadata only; raise StagingError if unreadable."""
    place = under(results, name)
    try:
        if "://" in place:
            schema = pq.read_table(place, columns=[]).schema
        else:
            parts = sorted(Path(place).glob("*.parquet")) if Path(place).is_dir() else [Path(place)]
            runs = {(pq.read_schema(p).metadata or {}).get(RUN_KEY, b"").decode() for p in parts}
            if len(runs) != 1:
                return "" if not runs else "mixed"
            return runs.pop()
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise _unreadable(results, name, exc) from None
    return (schema.metadata or {}).get(RUN_KEY, b"").decode()


def _published(table, data: pa.Table) -> pd.DataFrame:
    """Return a table read from Parquet exactly as a store's reader gets it: its columns, in published order."""
    with duckdb.connect() as connection:
        connection.register("data", data)
        return connection.sql(f"SELECT {', '.join(table.columns)} FROM data ORDER BY {table.order}").df()


def _unreadable(results: str, name: str, exc: Exception) -> StagingError:
    """Return the error for a result table that cannot be read, naming its place (and an interrupted write)."""
    return StagingError(
        f"{under(results, name)}: no readable result table {name} ({type(exc).__name__}){_interrupted(results)}: "
        "write it with `estate analyse --results DIR`"
    )


def _interrupted(results: str) -> str:
    """Return a note when a write into the local folder `results` was interrupted (its partial folders remain)."""
    if "://" in results or not Path(results).is_dir():
        return ""
    if any(p.name.startswith(PARTIAL) for p in Path(results).iterdir()):
        return " (an analysis was interrupted while writing here)"
    return ""


def _decision_draws(data: pa.Table) -> pa.Table:
    """Return the decision draws as the store keeps them (fixed-size lists of float32), whatever wrote them."""
    draws = data.column("npv_per_capex_draws").combine_chunks()
    width = draws.type.list_size if pa.types.is_fixed_size_list(draws.type) else (
        int(pa.compute.list_value_length(draws)[0].as_py()) if len(draws) else 1)  # fmt: skip
    values = draws.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    ids = data.column("system_id").to_numpy(zero_copy_only=False)
    return decision_draws_table(ids, values.reshape(len(ids), width) if len(ids) else values.reshape(0, width))


def _arrow(name: str, frame: object, run: str) -> pa.Table:
    """Return a result table as Arrow with its declared types and the run's identifier in its metadata."""
    data = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    width = data.column("npv_per_capex_draws").type.list_size if name == "decision_draws" else None
    return data.select(list(RESULTS[name].columns)).cast(RESULTS[name].arrow_schema(width)).replace_schema_metadata(
        {RUN_KEY: run.encode()})  # fmt: skip


def write_result_tables(tables: dict[str, object], results: str) -> str:
    """Write every result table as Parquet under `results` (RESULTS/NAME/part-0.parquet); return the run's ID.

    All or nothing in a local folder: the tables are written to a fresh folder beside them, then swapped in,
    so a failure (a full disk, say) leaves the earlier results as they were; a second analysis writing to the
    same folder at once is refused (StagingError). Every table records the run's identifier, and a reader
    refuses a folder whose tables disagree: a write killed during the swap is refused, never read as a mix.
    A URL (object stores have no rename) is written table by table, with the same identifiers and check.
    """
    run = uuid.uuid4().hex
    data = {name: _arrow(name, frame, run) for name, frame in conform(tables).items()}
    if "://" in results:
        for name, table in data.items():
            pq.write_table(table, f"{under(results, name)}/part-0.parquet")
        return run
    root = Path(results)
    root.mkdir(parents=True, exist_ok=True)
    with _writer_lock(root):
        for leftover in root.iterdir():  # an interrupted write's partial folders
            if leftover.name.startswith(PARTIAL):
                shutil.rmtree(leftover, ignore_errors=True)
        fresh = Path(tempfile.mkdtemp(prefix=PARTIAL[0], dir=root))
        old = Path(tempfile.mkdtemp(prefix=PARTIAL[1], dir=root))
        try:
            for name, table in data.items():
                (fresh / name).mkdir()
                pq.write_table(table, fresh / name / "part-0.parquet")
            with _swap_lock(results, shared=False):  # readers wait the moment the swap takes, never see it half
                for name in data:
                    if (root / name).exists():
                        os.replace(root / name, old / name)
                    os.replace(fresh / name, root / name)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
    return run


@contextmanager
def _writer_lock(root: Path) -> Iterator[None]:
    """Hold the folder's writer lock (released when the process ends, even killed); refuse a second writer."""
    import fcntl

    with open(root / LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StagingError(
                f"{root}: another analysis is writing its results here: wait for it, or write to another folder"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _swap_lock(results: str, shared: bool) -> Iterator[None]:
    """Hold the folder's swap lock: shared to read, exclusive to swap (a URL, or a folder we cannot lock: none)."""
    import fcntl

    if "://" in results or not Path(results).is_dir():
        yield
        return
    try:
        handle = open(Path(results) / SWAP, "a+b")  # noqa: SIM115 (closed below; opening may fail on read-only media)
    except OSError:  # read-only media: nothing can be writing there
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
