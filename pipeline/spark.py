"""The Spark engine: the same analysis on Spark (local mode, a cluster, or Spark Connect), through Ibis.

What runs where:
- The relational parts (pipeline.relational: each system's latest cost lines from the ledger, the cost
  roll-ups, the interfaces aggregated to pairs and kinds, the findings that name an interface, and the
  checks of tables estate did not import) are Ibis expressions run on Spark, where the detail tables are:
  the same expressions the embedded engine runs on DuckDB.
- The Monte Carlo runs on the executors: the parameter draws and per-system offsets are drawn once on the
  driver from the seed; each task gets CHUNKS_PER_TASK consecutive chunks with them, as a DataFrame
  row, and computes them (costing.uncertainty.simulate_chunk, through `mapInPandas`, which Spark Connect
  supports). The driver reduces the chunks in order, so the result is bit-identical to the embedded one's.
- The graph runs on the driver from the aggregated edge list (one row per source, target and kind, with
  its count): about 100 bytes a pair, so tens of millions of pairs fit a driver with a few GB
  (spark.driver.memory); above that the collect fails with Spark's own out-of-memory error, and the
  driver needs more memory: the graph algorithms (reachability, betweenness) need the whole graph at once.
Executors need estate installed (the same version) and Java 17 on every node.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import ibis
import pandas as pd

from costing.uncertainty import ChunkContext, ChunkResult
from estate.store import connect, merged_systems_sql
from pipeline.parquet import under, write_result_tables
from pipeline.relational import INPUT_TABLES, reduce_inputs
from pipeline.results import current_import_ids, inputs_fingerprint, source_label, write_results
from pipeline.run import (
    INTERFACE_COLUMNS,
    INTERFACES_SQL,
    SYSTEMS_SQL,
    Analysis,
    ModelInputs,
    compute,
    inputs_from_tables,
    model_inputs,
    result_tables,
)  # fmt: skip
from pipeline.settings import AnalysisSettings


def session(master: str = "local[2]", remote: str | None = None, app_name: str = "estate"):
    """Return a Spark session: Spark Connect at `remote` (sc://HOST:PORT), else a classic one at `master`."""
    from pyspark.sql import SparkSession

    if remote:
        return SparkSession.builder.remote(remote).getOrCreate()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this interpreter (estate installed)
    warehouse = tempfile.mkdtemp(prefix="estate-spark-warehouse-")
    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )


def spark_chunks(spark) -> Callable:
    """Return a costing.uncertainty.ChunkMap that runs the chunks as Spark tasks, results in chunk order.

    Each task's payload is its own run of CHUNKS_PER_TASK consecutive chunks (their systems, offsets and
    department codes, with the parameter draws and EVPPI bases every chunk shares), carried in a DataFrame
    row, so what travels grows with the task, not with the estate; the task runs its chunks one after another
    and returns their results in order.
    """

    def map_chunks(
        function: Callable[[ChunkContext, int], ChunkResult], context: ChunkContext, starts: list[int]
    ) -> list[ChunkResult]:
        if not starts:
            return []
        groups = [starts[i : i + CHUNKS_PER_TASK] for i in range(0, len(starts), CHUNKS_PER_TASK)]
        payloads = pd.DataFrame({
            "id": range(len(groups)),
            "payload": [pickle.dumps(_task(context, group), protocol=5) for group in groups],
        })  # fmt: skip

        def run(batches):  # on an executor
            for batch in batches:
                results = []
                for payload in batch["payload"]:
                    task, offsets = pickle.loads(payload)
                    results.append(pickle.dumps([function(task, offset) for offset in offsets], protocol=5))
                yield pd.DataFrame({"id": batch["id"], "result": results})

        tasks = spark.createDataFrame(payloads, "id long, payload binary").repartition(len(groups))
        rows = tasks.mapInPandas(run, "id long, result binary").collect()
        return [result for r in sorted(rows, key=lambda r: r.id) for result in pickle.loads(r.result)]

    return map_chunks


# Chunks a Spark task runs (2,500 systems at 250 a chunk; the chunk size is the context's): each payload
# carries the shared parameter draws and EVPPI bases (about 7 MB at 1,000 draws), so a task per chunk would
# ship them 400 times for 100,000 systems (the Java heap ran out)
CHUNKS_PER_TASK = 10


def _task(context: ChunkContext, starts: list[int]) -> tuple[ChunkContext, list[int]]:
    """Return the context of consecutive chunks alone, rebased to the first, and each chunk's start within it
    (the same rows, so the same bits)."""
    rows = slice(starts[0], starts[-1] + context.chunk)
    task = replace(context, frame=context.frame.iloc[rows], offsets=context.offsets[rows], codes=context.codes[rows])
    return task, [start - starts[0] for start in starts]


def _view(spark, frame, name: str):
    """Return an Ibis table over a Spark DataFrame (a temporary view named estate_NAME)."""
    frame.createOrReplaceTempView(f"estate_{name}")
    return ibis.pyspark.connect(spark).table(f"estate_{name}")


def inputs_from_store(spark, db: Path) -> tuple[ModelInputs, tuple[str, str]]:
    """Return the model inputs of a DuckDB store, the detail reduced on Spark; and the imports they come from.

    The store's systems, interfaces and ledger go to Spark as DataFrames and pipeline.relational's expressions
    reduce them there, as they do in the store on the embedded engine.
    """
    queries = {
        "systems": SYSTEMS_SQL,
        "interfaces": INTERFACES_SQL,
        "costs": "SELECT system_id, financial_year, category, amount_gbp FROM costs",
    }
    with connect(db, read_only=True) as connection:
        data = {name: connection.sql(query).to_arrow_table() for name, query in queries.items()}  # typed, even empty
        imports = current_import_ids(connection), inputs_fingerprint(connection)
    tables = {name: _view(spark, spark.createDataFrame(table), name) for name, table in data.items()}
    reduced = reduce_inputs(tables["systems"], tables["interfaces"], tables["costs"], keep=_cached)
    return model_inputs(data["systems"].to_pandas(), reduced), imports


def _cached(table):
    """Return an Ibis table Spark computes once and keeps (released when the table is garbage-collected)."""
    return table.cache()


def read_source(spark, source: str) -> dict:
    """Return the Spark DataFrames of a source: Parquet tables DIR/systems ... or a catalog schema's tables."""
    if "://" in source or Path(source).exists():
        return {name: spark.read.parquet(under(source, name)) for name in INPUT_TABLES}
    return {name: spark.table(f"{source}.{name}") for name in INPUT_TABLES}


def inputs_from_source(spark, source: str) -> ModelInputs:
    """Return the model inputs from Parquet or a catalog, checked on Spark first; raise InputProblem if unfit."""
    tables = {name: _view(spark, frame, name) for name, frame in read_source(spark, source).items()}
    return inputs_from_tables(tables, keep=_cached)


def analyse_on_spark(
    spark, settings: AnalysisSettings, db: Path | None = None, source: str | None = None, results: str | None = None
) -> Analysis:
    """Analyse on Spark: inputs from the DuckDB store `db` (or `source`), results into `db` (or `results`)."""
    settings.parameters()  # a bad parameter text fails before anything is read
    if source:
        inputs, imports = inputs_from_source(spark, source), (source_label(source), "")
    else:
        inputs, imports = inputs_from_store(spark, db)
    analysis = compute(inputs, settings, map_chunks=spark_chunks(spark))
    tables = result_tables(analysis, *imports)
    if results:
        write_result_tables(tables, results)  # the driver holds the tables: one writer for both engines
    else:
        with connect(db) as connection:
            write_results(connection, tables)
    return analysis


def export_source(db: Path, folder: Path) -> Path:
    """Write a store's inputs as the Parquet tables a Spark source reads (systems merged, with provenance)."""
    folder.mkdir(parents=True, exist_ok=True)
    with connect(db, read_only=True) as connection:
        queries = {
            "systems": "SELECT * EXCLUDE (extra, import_id, source_sheet, field_sources, sources) "
            f"FROM ({merged_systems_sql()})",
            "interfaces": f"SELECT {', '.join(INTERFACE_COLUMNS)}, source_file, source_row FROM interfaces",
            "costs": "SELECT system_id, financial_year, category, amount_gbp, source_file, source_row FROM costs",
        }
        for name, query in queries.items():
            (folder / name).mkdir(exist_ok=True)
            connection.sql(query).write_parquet(str(folder / name / "part-0.parquet"))
    return folder
