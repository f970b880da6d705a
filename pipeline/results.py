"""One home for the stored results: every result table and its columns declared once, one reader, one error.

`analyse` (pipeline.run) writes every table below in one transaction; the CLI, the app's views, the
finance workbook, the report and `verify` read them through `read_results`, which raises
`NotAnalysed` with what to run when they are missing, stale or from an earlier release.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from costing.calibration import COLUMNS as CALIBRATION_COLUMNS
from costing.criteria import METHODS
from costing.hidden import COMPONENT_COLUMNS
from costing.inputs import PRIORS, SYSTEM_INPUTS
from costing.legacy import EVIDENCE
from costing.ranking import rank_systems
from costing.uncertainty import DEPARTMENT_COLUMNS, PERCENTILE_COLUMNS
from dependency_graph.metrics import METRIC_COLUMNS
from estate.store import connect, replace_tables
from pipeline.catalogue import column
from pipeline.scope import apply_scope
from pipeline.settings import AnalysisSettings, load_parameters


@dataclass(frozen=True)
class ResultTable:
    """A stored result table: its columns in order (declared in pipeline.catalogue), and its published order."""

    name: str
    columns: tuple[str, ...]
    order: str  # ORDER BY clause for published copies (the report's data/)
    published: bool = True  # copied into the report's data/ folder
    eager: bool = True  # read by read_results unless named (decision_draws is large and rarely needed)
    types: tuple[tuple[str, str], ...] = ()  # (column, DuckDB type) where this table stores it otherwise

    def column_types(self) -> list[tuple[str, str]]:
        """Return (column, DuckDB type) in order, as the catalogue declares them (and this table overrides)."""
        overrides = dict(self.types)
        return [(c, overrides.get(c, column(c).type)) for c in self.columns]

    def arrow_schema(self, draws: int | None = None) -> pa.Schema:
        """Return the table's Arrow schema (Parquet results); `draws` is the width of a draws list column."""
        return pa.schema([(c, arrow_type(t, draws)) for c, t in self.column_types()])


ARROW_TYPES = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(),
               "DATE": pa.date32()}  # fmt: skip


def arrow_type(duckdb_type: str, draws: int | None = None) -> pa.DataType:
    """Return the Arrow type of a declared DuckDB type (FLOAT[]: a fixed-size list of `draws` float32)."""
    if duckdb_type == "FLOAT[]":
        return pa.list_(pa.float32(), draws or 1)
    return ARROW_TYPES[duckdb_type]


ASSESSMENT_COLUMNS = (
    "rank", "system_id", "name", "department", "platform", "technology", "score", "reported_cost_gbp",
    "imputed_cost_gbp", "run_cost_gbp", "cost_basis", "cost_imputed", "imputed_low_gbp", "imputed_high_gbp",
    *COMPONENT_COLUMNS, "legacy_premium_gbp", "hidden_cost_gbp", *PERCENTILE_COLUMNS, "total_cost_of_legacy_gbp",
    "assumed_share", "outliers", "breach_probability",
    "replacement_capex_gbp", "replacement_capex_p10_gbp", "replacement_capex_p90_gbp", "capex_estimated",
    "replacement_duration_years", "replacement_years_p10", "replacement_years_p90", "npv_gbp", "npv_p10_gbp",
    "npv_p90_gbp", "cash_npv_gbp", "cash_npv_p10_gbp", "cash_npv_p90_gbp", "probability_npv_positive",
    "benefit_cost_ratio", "npv_per_capex", "payback_year",
    "cost_of_delay_gbp", "impact", "likelihood", "risk_score", "risk_rag", "cddo_risk", "risk_disagrees",
    "cddo_likelihood", "cddo_impact", "cddo_score", "cddo_red", "cddo_legacy", "cddo_derived_criteria", "gao_points",
    "candidate",
    "technical_fit", "business_value", "time_quadrant", "suggested_action", "action_reason", "blast_radius",
    "upstream_dependencies", "cluster_size", "wave", "ease", "legacy", "legacy_probability", "legacy_status",
    "top_n_stability",
)  # fmt: skip
MODEL_INPUT_COLUMNS = (
    "system_id", *SYSTEM_INPUTS, *(f"{name}_assumed" for name in PRIORS), "legacy_status", "legacy_assumed",
    *EVIDENCE, "cost_basis", "retire",
    "replacement_cost_estimate_gbp", "replacement_years",
)  # fmt: skip
RANK_FIELDS = (
    "rank", "system_id", "name", "department", "method", "candidate", "score", "legacy_probability",
    "legacy_status", "reported_cost_gbp",
    "imputed_cost_gbp",
    "run_cost_gbp", "legacy_premium_gbp", "hidden_cost_gbp", *PERCENTILE_COLUMNS, "total_cost_of_legacy_gbp",
    "cost_imputed", "npv_gbp", "npv_p10_gbp", "npv_p90_gbp", "cash_npv_gbp", "cash_npv_p10_gbp", "cash_npv_p90_gbp",
    "probability_npv_positive", "benefit_cost_ratio", "replacement_capex_gbp", "replacement_capex_p10_gbp",
    "replacement_capex_p90_gbp", "replacement_duration_years", "replacement_years_p10", "replacement_years_p90",
    "npv_per_capex", "payback_year", "cost_of_delay_gbp", "risk_score", "risk_rag", "time_quadrant",
    "business_value", "technical_fit", "suggested_action", "action_reason", "blast_radius", "wave", "top_n_stability",
)  # fmt: skip
CDDO_RANK_FIELDS = ("cddo_likelihood", "cddo_impact", "cddo_score", "cddo_red", "cddo_derived_criteria")
ESTATE_TOTALS = (
    "legacy_premium_gbp", "legacy_premium_unobserved_gbp", "hidden_cost_gbp", *PERCENTILE_COLUMNS,
    "implied_breaches_per_year", "assumed_hidden_gbp",
)  # fmt: skip
RUN_COLUMNS = (
    "as_of", "seed", "draws", "betweenness_samples", "parameter_files", "parameter_file_text", "imputation_method",
    "imputation_training_rows", "imputation_cv_mape", "imputation_cv_mdape", "imputation_interval_coverage",
    "imputation_smearing_factor", *(f"estate_{c}" for c in ESTATE_TOTALS), "ranking_top_n", "ranking_stability",
    "ranking_chance", "warnings", "import_ids", "inputs_sha256",
)  # fmt: skip
ROLLUP_LEVELS = ("category", "department", "platform", "technology")

RESULT_TABLES: tuple[ResultTable, ...] = (
    ResultTable("system_assessment", ASSESSMENT_COLUMNS, "rank"),
    ResultTable("system_metrics", (*METRIC_COLUMNS, "betweenness_sources"), "system_id"),
    ResultTable("department_costs", DEPARTMENT_COLUMNS, "department"),
    ResultTable("department_links", ("source_department", "target_department", "interfaces"),
                "source_department, target_department"),
    ResultTable("department_silos", ("department", "interfaces", "cross_department_interfaces",
                                     "cross_department_share"), "department"),
    ResultTable("graph_findings", ("kind", "system_id", "interface_id", "detail"),
                "kind, system_id, interface_id, detail"),
    ResultTable("parameters_used", ("name", "value", "low", "high", "unit", "description", "source", "confidence"),
                "name"),
    *(ResultTable(f"reported_cost_by_{level}", (level, "reported_cost_gbp"), level) for level in ROLLUP_LEVELS),
    ResultTable("input_coverage", ("input", "systems_observed", "share_of_systems", "share_of_reported_cost"), "input"),
    ResultTable("calibration", CALIBRATION_COLUMNS, "anchor"),
    ResultTable("method_agreement", ("method_a", "method_b", "kendall_tau", "top_n_overlap", "candidates"),
                "method_a, method_b"),
    ResultTable("method_disagreements", ("system_id", "method", "estate_rank", "method_rank", "reason"),
                "method, system_id"),
    ResultTable("information_parameters", ("parameter_group", "parameters", "evppi_gbp", "noise_floor_gbp"),
                "evppi_gbp DESC, parameter_group"),
    ResultTable("information_fields", ("system_id", "field", "value_gbp", "npv_swing_gbp", "low", "high"),
                "value_gbp DESC, npv_swing_gbp DESC, system_id, field"),
    ResultTable("model_inputs", MODEL_INPUT_COLUMNS, "system_id", published=False,
                types=(("manual_interfaces", "DOUBLE"),)),  # the cost model reads every input as a float
    ResultTable("decision_draws", ("system_id", "npv_per_capex_draws"), "system_id", published=False, eager=False),
    ResultTable("cost_model_runs", RUN_COLUMNS, "as_of", published=False),
)  # fmt: skip
RESULTS = {t.name: t for t in RESULT_TABLES}


class NotAnalysed(LookupError):
    """The store holds no usable analysis; the message says what to run."""


def conform(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Return every result table with exactly its declared columns, in order; raise if one is missing."""
    if set(tables) != set(RESULTS):
        raise ValueError(f"an analysis writes every result table: got {sorted(tables)}, expected {sorted(RESULTS)}")
    result = {}
    for table in RESULT_TABLES:
        frame = tables[table.name]
        names = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
        missing = [c for c in table.columns if c not in names]
        if missing:
            raise ValueError(f"result table {table.name} lacks declared column(s) {missing}")
        result[table.name] = frame.select(list(table.columns)) if isinstance(frame, pa.Table) else frame[
            list(table.columns)]  # fmt: skip
    return result


def write_results(connection: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> None:
    """Replace every result table in one transaction, with its declared types: all of them land, or none does."""
    replace_tables(connection, conform(tables), {t.name: t.column_types() for t in RESULT_TABLES})


SOURCE_PREFIX = "source:"  # cost_model_runs.import_ids of an analysis that read a source, not a store's imports


def source_label(source: str) -> str:
    """Return what an analysis of a Parquet or catalog `source` records as its inputs (instead of import IDs)."""
    return f"{SOURCE_PREFIX}{source}"


def current_import_ids(connection: duckdb.DuckDBPyConnection) -> str:
    """Return the current imports as text ("1,3,4"): an analysis records which inputs it read."""
    rows = connection.execute("SELECT import_id FROM imports WHERE status = 'current' ORDER BY import_id").fetchall()
    return ",".join(str(r[0]) for r in rows)


def inputs_fingerprint(connection: duckdb.DuckDBPyConnection) -> str:
    """Return the SHA-256 of the current imports (their files' SHA-256, mapping profiles, order): the inputs' identity.

    Results are read only beside the inputs they were computed from: another store with other files (or the
    same files imported otherwise) has another fingerprint, even where its import IDs are the same.
    """
    rows = connection.execute(
        "SELECT import_id, sha256, mapping FROM imports WHERE status = 'current' ORDER BY import_id"
    ).fetchall()
    text = "\n".join(f"{i}\t{sha}\t{mapping}" for i, sha, mapping in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def check_analysed(connection: duckdb.DuckDBPyConnection) -> None:
    """Raise NotAnalysed unless every result table is stored, as this release declares it, for today's inputs."""
    stored: dict[str, set[str]] = {}
    for table, name in connection.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall():
        stored.setdefault(table, set()).add(name)
    if "systems" not in stored or not connection.execute("SELECT count(*) FROM systems").fetchall()[0][0]:
        raise NotAnalysed("No inventory loaded: run `estate import FILE` (or use the app's Import page) first.")
    if not any(t.name in stored for t in RESULT_TABLES):
        raise NotAnalysed(
            "The inventory has not been analysed yet: run `estate analyse` (or commit an import in the app)."
        )
    if not all(t.name in stored and set(t.columns) <= stored[t.name] for t in RESULT_TABLES):
        raise NotAnalysed(
            "The stored results come from an earlier release of estate: run `estate analyse` to refresh them."
        )
    run = connection.execute("SELECT import_ids, inputs_sha256 FROM cost_model_runs").fetchall()
    check_inputs(connection, run[0] if run else None)


def check_inputs(connection: duckdb.DuckDBPyConnection, recorded: tuple[str, str] | None, where: str = "") -> None:
    """Raise NotAnalysed unless `recorded` (import_ids, inputs_sha256 of a run) are the store's current inputs."""
    current = current_import_ids(connection)
    if recorded and current == "" and str(recorded[0]).startswith(SOURCE_PREFIX):
        return  # a store of a source's tables, no imports (ResultSource checked it is that source)
    if not recorded or recorded[0] != current:
        raise NotAnalysed("The inventory changed since the last analysis: run `estate analyse` to bring it up to date.")
    if recorded[1] != inputs_fingerprint(connection):
        raise NotAnalysed(
            f"{where or 'The stored results'}: computed from other inputs than this store's (another store, or "
            "files imported otherwise): run `estate analyse` on this store."
        )


@dataclass(frozen=True)
class Results:
    """The result tables of one analysis (as declared), read once from a ResultSource and passed to every reader.

    Tables read lazily (decision_draws: large, rarely needed) come from the same source on first use.
    """

    tables: dict[str, pd.DataFrame]
    source: ResultSource | None = None

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def get(self, name: str, default=None):
        """Return a table read, or `default` (a reader of an estate that may not be analysed)."""
        return self.tables.get(name, default)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            if self.source is None or name not in RESULTS:
                raise KeyError(name)
            self.tables.update(self.source.read((name,), check=False).tables)
        return self.tables[name]

    @property
    def run(self) -> dict:
        """Return the cost_model_runs row: recorded settings and estate totals."""
        return self["cost_model_runs"].iloc[0].to_dict()

    @property
    def settings(self) -> AnalysisSettings:
        """Return the settings the stored analysis ran with."""
        return AnalysisSettings.from_record(self.run)

    @property
    def assessment(self) -> pd.DataFrame:
        """Return system_assessment, sorted by rank."""
        return self["system_assessment"]

    @property
    def parameters(self) -> dict[str, float]:
        """Return the parameters' central values as recorded with the run."""
        used = self["parameters_used"]
        return dict(zip(used["name"], used["value"].astype(float), strict=True))

    @property
    def weights(self) -> dict[str, float]:
        """Return the ranking weights recorded with the run."""
        return {n: v for n, v in self.parameters.items() if n.startswith("weight_")}

    def decision_draws(self, system_ids: pd.Series) -> np.ndarray:
        """Return the stored decision draws aligned with `system_ids` (systems x draws, float32)."""
        table = self["decision_draws"]
        column = table.column("npv_per_capex_draws").combine_chunks()
        values = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, column.type.list_size)
        position = pd.Index(table.column("system_id").to_pylist()).get_indexer(system_ids)
        return values[position]


@dataclass(frozen=True)
class ResultSource:
    """Where the results of an analysis are read from: a store (`db`), or Parquet results beside it.

    results: a folder or URL of Parquet result tables (`estate analyse --results`); their inputs are the
    store `db` (checked: the results must record its current imports), or the Parquet `source` the analysis
    read (checked: the results must record that source). Nothing is copied: the store is only opened read-only.
    """

    db: Path
    results: str | None = None
    source: str | None = None
    scope: frozenset[str] | None = None  # departments a reader may see (pipeline.scope); None: the whole estate

    def read(self, names: tuple[str, ...] | None = None, check: bool = True) -> Results:
        """Return the result tables (all eager ones, or `names`) in published order; raise NotAnalysed."""
        if self.results is None:
            if self.source is not None:
                raise NotAnalysed("--source names the inputs of results kept as Parquet: give --results DIR too")
            with connect(self.db, read_only=True) as connection:
                if check:
                    check_analysed(connection)
                apply_scope(connection, self.scope)
                return read_results(connection, names, self, check=False)
        if self.scope is not None:
            raise NotAnalysed("a department scope reads results from the store, not from Parquet results")
        from pipeline.parquet import read_result_tables

        tables = read_result_tables(self.results, names)
        if check:
            self._check_inputs(tables)
        return Results({n: t for n, t in tables.items() if names or RESULTS[n].eager}, self)

    def _check_inputs(self, tables: dict) -> None:
        from pipeline.parquet import StagingError

        run = tables["cost_model_runs"].iloc[0]
        recorded = (str(run["import_ids"]), str(run["inputs_sha256"]))
        if self.source is None and recorded[0].startswith(SOURCE_PREFIX):
            raise StagingError(f"{self.results}: these results were computed from {_described(recorded[0])}: "
                               "give --source")  # fmt: skip
        if self.source is not None:
            if recorded[0] != source_label(self.source):
                raise StagingError(f"{self.results}: these results were computed from {_described(recorded[0])}, "
                                   f"not the source {self.source}")  # fmt: skip
            return
        with connect(self.db, read_only=True) as connection:
            check_inputs(connection, recorded, self.results)

    @contextmanager
    def inputs(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a read-only connection to the inputs: the store, or a temporary one of the Parquet `source`."""
        if self.source is None:
            with connect(self.db, read_only=True) as connection:
                apply_scope(connection, self.scope)
                yield connection
            return
        from pipeline.staging import source_store

        with source_store(self.source) as connection:
            yield connection


def _described(recorded: str) -> str:
    if recorded.startswith(SOURCE_PREFIX):
        return f"the source {recorded.removeprefix(SOURCE_PREFIX)}"
    return f"a store's imports ({recorded or 'none'})"


def as_source(where: ResultSource | Path) -> ResultSource:
    """Return `where` as a ResultSource (a path is a store holding its own results)."""
    return where if isinstance(where, ResultSource) else ResultSource(Path(where))


def read_results(
    connection: duckdb.DuckDBPyConnection,
    names: tuple[str, ...] | None = None,
    source: ResultSource | None = None,
    check: bool = True,
) -> Results:
    """Return the stored result tables (all eager ones, or `names`), rows in published order; raise NotAnalysed."""
    if check:
        check_analysed(connection)
    chosen = [RESULTS[n] for n in names] if names else [t for t in RESULT_TABLES if t.eager]
    tables = {}
    for t in chosen:
        query = connection.sql(f"SELECT {', '.join(t.columns)} FROM {t.name} ORDER BY {t.order}")
        tables[t.name] = query.arrow() if t.name == "decision_draws" else query.df()
        if hasattr(tables[t.name], "read_all"):
            tables[t.name] = tables[t.name].read_all()
    return Results(tables, source)


def read_stored(db: Path, names: tuple[str, ...] | None = None) -> Results:
    """Return the stored results of the database at `db` (read-only); raise NotAnalysed or StoreError."""
    return ResultSource(db).read(names)


def recorded_settings(db: Path) -> AnalysisSettings | None:
    """Return the settings of the stored analysis, or None when there is none usable."""
    if not db.exists():
        return None
    with connect(db, read_only=True) as connection:
        try:
            check_analysed(connection)
        except NotAnalysed:
            has_run = connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cost_model_runs'"
            ).fetchall()[0][0]
            if not has_run:
                return None
        try:
            run = connection.sql("SELECT * FROM cost_model_runs").df()
        except duckdb.Error:
            return None
    return AnalysisSettings.from_record(run.iloc[0].to_dict()) if len(run) else None


def recorded_parameters(parameters_used: pd.DataFrame):
    """Return the parameters with the central values recorded with a run (not today's defaults)."""
    return load_parameters().with_values(
        **dict(zip(parameters_used["name"], parameters_used["value"].astype(float), strict=True))
    )


def decision_draws_table(system_ids: np.ndarray, draws: np.ndarray) -> pa.Table:
    """Return the decision_draws table: each system's NPV per GBP of capex in each kept Monte Carlo draw."""
    values = pa.array(np.ascontiguousarray(draws, np.float32).ravel(), pa.float32())
    lists = pa.FixedSizeListArray.from_arrays(values, draws.shape[1] if draws.ndim == 2 and draws.shape[1] else 1)
    return pa.table({"system_id": pa.array(system_ids, pa.string()), "npv_per_capex_draws": lists})


def stored_ranking(
    results: Results, weights: dict[str, float] | None, top_n: int, limit: int | None = None, method: str = "estate"
) -> pd.DataFrame:
    """Return the stored assessment ranked by `method` (estate: the decision measure, or `weights` when given).

    All systems, candidates first, or the first `limit`. The estate method with no weights and the recorded N
    is the stored ranking itself.
    """
    if method == "estate" and weights is None and top_n == results.parameters["stability_top_n"]:
        ranked = results.assessment
    elif method == "estate":
        draws = results.decision_draws(results.assessment["system_id"])
        ranked = rerank(results.assessment, results["parameters_used"], results.settings.seed, weights, top_n, draws)
    else:
        ranked = rank_by_method(results.assessment, method)
    ranked = ranked.assign(method=method)
    return ranked.head(limit) if limit else ranked


def rank_by_method(assessment: pd.DataFrame, method: str) -> pd.DataFrame:
    """Return the assessment ordered by a published method: candidates first, each group by the method's score."""
    from costing.methods import method_rank, method_scores

    if method not in method_scores(assessment.head(0)):
        raise ValueError(f"unknown method '{method}': use {', '.join(METHODS)}")
    scores = method_scores(assessment)[method]
    candidate = assessment["candidate"].to_numpy(bool)
    npv = assessment["npv_gbp"].to_numpy(np.float64)
    ids = assessment["system_id"].to_numpy()
    rank = np.empty(len(assessment), np.int64)
    for group, offset in ((candidate, 0), (~candidate, int(candidate.sum()))):
        rank[group] = method_rank(scores[group], npv[group], ids[group]) + offset
    return assessment.assign(rank=rank, score=scores).sort_values("rank", ignore_index=True)


def rerank(
    assessment: pd.DataFrame,
    parameters_used: pd.DataFrame,
    seed: int,
    weights: dict[str, float] | None,
    top_n: int,
    decision_draws: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return a stored assessment ranked again (decision measure if `weights` is None, else the weighted view).

    Stability uses the recorded perturbation and seed and the stored decision draws (aligned with
    `assessment`), so the defaults give back exactly the stored ranking.
    """
    used = dict(zip(parameters_used["name"], parameters_used["value"].astype(float), strict=True))
    return rank_systems(
        assessment.drop(columns=["score", "rank", "top_n_stability", "candidate"]),
        weights,
        top_n,
        used["stability_perturbation"],
        seed,
        decision_draws,
    )


def parameter_table(parameters) -> pd.DataFrame:
    """Return every parameter used as a row: name, value, low, high, unit, description, source, confidence."""
    return pd.DataFrame([vars(p) for p in parameters.values.values()])
