"""One orchestration: load the stored inputs, run the graph and the cost model (pure), store every result at once."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
from threadpoolctl import threadpool_limits

from costing.model import Assessment, assess
from costing.uncertainty import ChunkMap, local_chunks
from dependency_graph.graph import NODE_ATTRIBUTES, EstateGraph, build_graph
from dependency_graph.metrics import GraphAnalysis, analyse_graph
from estate.issues import Issue
from estate.mapping import MappingProfile
from estate.store import ImportSummary, StoreError, connect, import_into, merged_systems_sql, refuse_errors, transaction
from estate.validation import FileResult, validate_file
from pipeline.results import (
    current_import_ids,
    decision_draws_table,
    inputs_fingerprint,
    parameter_table,
    recorded_settings,
    source_label,
    write_results,
)
from pipeline.settings import AnalysisSettings


@dataclass(frozen=True)
class ModelInputs:
    """The stored inventory as the graph and the cost model read it, the detail reduced on its engine."""

    systems: pd.DataFrame  # every stored systems column but extra and provenance
    costs: pd.DataFrame  # system_id, financial_year, category, amount_gbp: latest year (relational.latest_cost_lines)
    interfaces: pd.DataFrame  # source/target_system_id, kind, interfaces: pairs (relational.interface_pairs)
    interface_findings: pd.DataFrame  # kind, system_id, interface_id, detail (relational.interface_findings)
    rollups: dict[str, pd.DataFrame]  # level -> level, reported_cost_gbp (relational.cost_rollups)


@dataclass(frozen=True)
class Analysis:
    """What one analysis produced (and stored)."""

    graph: GraphAnalysis
    assessment: Assessment
    settings: AnalysisSettings
    rollups: dict[str, pd.DataFrame]  # reported cost by category, department, platform, technology


INTERFACE_COLUMNS = ("interface_id", "source_system_id", "target_system_id", "kind", "frequency", "criticality")


SYSTEMS_SQL = (
    "SELECT * EXCLUDE (extra, import_id, source_file, source_sheet, source_row, field_sources, sources) "
    f"FROM ({merged_systems_sql()})"
)


INTERFACES_SQL = "SELECT * EXCLUDE (extra) FROM interfaces"  # what the reduction reads: every column, provenance too


def model_inputs(systems: pd.DataFrame, reduced: dict) -> ModelInputs:
    """Return the model inputs of the stored systems and the reduced detail (pipeline.relational.reduce_inputs)."""
    return ModelInputs(systems, reduced["costs"], reduced["interfaces"], reduced["interface_findings"],
                       reduced["rollups"])  # fmt: skip


def inputs_from_tables(tables: dict, keep=None) -> ModelInputs:
    """Return the model inputs of a source's Ibis tables (any engine), checked first; raise InputProblem if unfit.

    `keep` is how the engine keeps an intermediate result (pipeline.relational.reduce_inputs).
    """
    from estate.schema import PROVENANCE_COLUMNS, SYSTEMS
    from estate.store import table_columns
    from pipeline.relational import checked, reduce_inputs

    tables = checked(tables)
    systems = tables["systems"].to_pandas()
    stored = [name for name, _ in table_columns(SYSTEMS) if name not in ("extra", *dict(PROVENANCE_COLUMNS))]
    systems = systems.reindex(columns=[*stored, *[c for c in systems.columns if c not in stored]])  # absent: null
    systems = systems.drop(columns=["source_file", "source_row"], errors="ignore")
    return model_inputs(systems, reduce_inputs(tables["systems"], tables["interfaces"], tables["costs"], keep))


def load_inputs(connection: duckdb.DuckDBPyConnection) -> ModelInputs:
    """Return the stored systems (merged field by field) with the ledger and the interfaces reduced in the store.

    The reduction is pipeline.relational's Ibis expressions, run on the store's DuckDB; pipeline.spark runs
    the same expressions on Spark.
    """
    import ibis

    from pipeline.relational import reduce_inputs

    # temporary objects work on a read-only store too; the merge runs once, the reduction reads its result
    connection.execute(f"CREATE OR REPLACE TEMP TABLE estate_systems AS {SYSTEMS_SQL}")
    connection.execute(f"CREATE OR REPLACE TEMP VIEW estate_interfaces AS {INTERFACES_SQL}")
    backend = ibis.duckdb.from_connection(connection)
    tables = [backend.table(name) for name in ("estate_systems", "estate_interfaces", "costs")]
    reduced = reduce_inputs(*tables)
    return model_inputs(connection.sql("SELECT * FROM estate_systems").df(), reduced)


def estate_graph(inputs: ModelInputs) -> EstateGraph:
    """Return the dependency graph of the stored inventory."""
    return build_graph(inputs.systems[["system_id", *NODE_ATTRIBUTES]], inputs.interfaces)


def load_graph(connection: duckdb.DuckDBPyConnection) -> EstateGraph:
    """Return the graph of the systems and interfaces in the store, one edge row per interface (for graph files)."""
    systems = connection.sql(SYSTEMS_SQL).df()
    interfaces = connection.sql(
        f"SELECT {', '.join(INTERFACE_COLUMNS)} FROM interfaces ORDER BY source_file, source_row, interface_id"
    ).df()
    return build_graph(systems[["system_id", *NODE_ATTRIBUTES]], interfaces)


def compute(
    inputs: ModelInputs, settings: AnalysisSettings, timings: dict | None = None, map_chunks: ChunkMap = local_chunks
) -> Analysis:
    """Return the graph analysis and the cost assessment of these inputs (pure: nothing is read or written).

    `map_chunks` runs the Monte Carlo's chunks of systems: here, or on an engine's executors (pipeline.spark).
    """
    graph = analyse_graph(estate_graph(inputs), settings.betweenness_samples, settings.seed)
    found = [f.astype(object) for f in (inputs.interface_findings, graph.findings) if len(f)]  # one dtype a column
    graph.findings = pd.concat(found, ignore_index=True) if found else graph.findings  # interfaces', then graph's
    metrics = graph.metrics.assign(betweenness_sources=graph.betweenness_sources)
    assessment = assess(
        inputs.systems, inputs.costs, inputs.interfaces, metrics, settings.parameters(),
        settings.as_of, settings.seed, settings.draws, timings, map_chunks,
    )  # fmt: skip
    return Analysis(graph, assessment, settings, inputs.rollups)


def result_tables(analysis: Analysis, import_ids: str, fingerprint: str = "") -> dict[str, pd.DataFrame]:
    """Return every result table of an analysis, as pipeline.results declares them.

    import_ids and fingerprint (pipeline.results.inputs_fingerprint) say which inputs it read: a store's
    current imports, or a source's label (no fingerprint).
    """
    graph, assessment, settings = analysis.graph, analysis.assessment, analysis.settings
    parameters = settings.parameters()
    imputation = assessment.imputation
    run = pd.DataFrame([{
        **settings.record(), "parameter_files": json.dumps(parameters.source_files),
        "imputation_method": imputation.method, "imputation_training_rows": imputation.training_rows,
        "imputation_cv_mape": imputation.cv_mape, "imputation_cv_mdape": imputation.cv_mdape,
        "imputation_interval_coverage": imputation.interval_coverage,
        "imputation_smearing_factor": imputation.smearing_factor,
        **{f"estate_{k}": v for k, v in assessment.uncertainty.estate.items()},
        **{f"ranking_{k}": v for k, v in assessment.ranking.items()},
        "warnings": json.dumps(list(assessment.warnings)), "import_ids": import_ids,
        "inputs_sha256": fingerprint,
    }])  # fmt: skip
    return {
        "system_metrics": graph.metrics.assign(betweenness_sources=graph.betweenness_sources),
        "graph_findings": graph.findings.astype({"interface_id": "string"}),
        "department_links": graph.department_links,
        "department_silos": graph.department_silos,
        "system_assessment": assessment.systems,
        "department_costs": assessment.uncertainty.departments,
        "cost_model_runs": run,
        "parameters_used": parameter_table(parameters),
        "model_inputs": assessment.systems.sort_values("system_id", ignore_index=True),
        "input_coverage": assessment.coverage,
        "method_agreement": assessment.agreement,
        "information_parameters": assessment.information,
        "information_fields": assessment.fields,
        "method_disagreements": assessment.disagreements,
        "decision_draws": decision_draws_table(
            assessment.uncertainty.systems["system_id"].to_numpy(), assessment.uncertainty.decision_draws
        ),
        "calibration": assessment.calibration,
        **{f"reported_cost_by_{level}": frame for level, frame in analysis.rollups.items()},
    }


# BLAS and OpenMP pools inside an analysis: one thread each. The Monte Carlo already runs two chunks at a time
# (numpy releases the GIL), the regressions are small, and on a 2-core machine under load the libraries' default
# pools oversubscribe: benchmarks/bench_threads.py measures the difference (benchmarks/RESULTS.md).
LIBRARY_THREADS = 1


def analyse(db: Path, settings: AnalysisSettings, timings: dict | None = None, results: str | None = None) -> Analysis:
    """Analyse the stored estate and replace every result table in one transaction; return the analysis.

    A failure anywhere (bad parameters, an error in the cost model, the process killed) leaves every
    result table exactly as it was. With `results` (a folder or URL) the result tables are written there
    as Parquet instead (pipeline.parquet), and the store is only read.
    """
    settings.parameters()  # a bad parameter text fails before anything is read
    # Read and compute on a read-only connection, so that the CLI and the app can read the store while the
    # Monte Carlo runs; the write lock is held only for the final, checked write.
    with connect(db, read_only=True) as connection, threadpool_limits(LIBRARY_THREADS):
        inputs = load_inputs(connection)
        read = current_import_ids(connection), inputs_fingerprint(connection)
        analysis = compute(inputs, settings, timings)
    if results is None:
        with connect(db) as connection:
            if (current_import_ids(connection), inputs_fingerprint(connection)) != read:
                raise StoreError(
                    f"{db}: the inputs changed while the analysis ran (another import): run estate analyse "
                    "again; no result was written"
                )
            write_results(connection, result_tables(analysis, *read))
        return analysis
    from pipeline.parquet import write_result_tables

    write_result_tables(result_tables(analysis, *read), results)
    return analysis


def analyse_into(
    connection: duckdb.DuckDBPyConnection, settings: AnalysisSettings, timings: dict | None = None
) -> Analysis:
    """Analyse the estate `connection` holds and replace its result tables (in one transaction, or the caller's)."""
    with threadpool_limits(LIBRARY_THREADS):
        inputs = load_inputs(connection)
        read = current_import_ids(connection), inputs_fingerprint(connection)
        analysis = compute(inputs, settings, timings)
        write_results(connection, result_tables(analysis, *read))
    return analysis


def analyse_source(source: str, results: str, settings: AnalysisSettings) -> Analysis:
    """Analyse a Parquet source (SOURCE/systems, interfaces, costs) on the embedded engine; results as Parquet.

    The tables are checked and reduced by pipeline.relational's expressions on DuckDB, as pipeline.spark runs
    them on Spark; an unfit table raises InputProblem and nothing is written.
    """
    from pipeline.parquet import source_tables, write_result_tables

    settings.parameters()
    with threadpool_limits(LIBRARY_THREADS):
        analysis = compute(inputs_from_tables(source_tables(source)), settings)
    write_result_tables(result_tables(analysis, source_label(source)), results)
    return analysis


def settings_for(db: Path, today: date | None = None) -> AnalysisSettings:
    """Return the recorded settings of the stored analysis, else the defaults assessed today."""
    return recorded_settings(db) or AnalysisSettings(as_of=today or date.today())


def import_and_analyse(
    db: Path,
    paths: Sequence[Path],
    profile: MappingProfile | None = None,
    names: Sequence[str] | None = None,
    settings: AnalysisSettings | None = None,
    validated: Sequence[FileResult] | None = None,
    access: tuple[str, str, str] | None = None,
) -> tuple[list[ImportSummary], list[Issue], Analysis]:
    """Import files and analyse with `settings` (else the recorded ones, else defaults today), all or nothing.

    The import and the analysis are one transaction: when the analysis fails, the files are not stored
    either, so the store never holds inputs its results were not computed from. `validated`: the files'
    validation already done (the app's, isolated). `access` (who, role, departments): a shared deployment's
    import, recorded in the access log by the same transaction.
    """
    chosen = settings or settings_for(db)
    chosen.parameters()
    if validated is None:
        validated = [validate_file(p, profile, names[i] if names else None) for i, p in enumerate(paths)]
    refuse_errors(validated)
    with connect(db) as connection, transaction(connection):
        summaries, issues = import_into(connection, validated)
        analysis = analyse_into(connection, chosen)
        if access is not None:
            from estate.store import record_access

            detail = "; ".join(s.as_text() for s in summaries)
            record_access(db, *access, "Import", "imported", detail, connection=connection)
    return summaries, issues, analysis


def import_sample_if_empty(db: Path, settings: AnalysisSettings | None = None) -> list[ImportSummary]:
    """Import the synthetic sample and analyse it when the database has no systems; return what was imported."""
    from estate.sample import write_sample

    if db.exists():
        with connect(db, read_only=True) as connection:
            tables = {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if "systems" in tables and connection.execute("SELECT count(*) FROM systems").fetchall()[0][0]:
                return []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample_inventory.xlsx"
        write_sample(path)
        summaries, _, _ = import_and_analyse(db, [path], settings=settings)
    return summaries
