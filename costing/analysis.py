"""`estate analyse` for the cost model: load from the store, assess, store the results."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from costing.inputs import SYSTEM_INPUTS
from costing.model import Assessment, assess
from costing.parameters import Parameters
from estate.store import connect, replace_tables

if TYPE_CHECKING:
    from dependency_graph.metrics import GraphAnalysis

ASSESSMENT_COLUMNS = (
    "rank", "system_id", "name", "department", "platform", "technology", "score", "reported_cost_gbp",
    "cost_imputed", "imputed_low_gbp", "imputed_high_gbp", "extended_support_gbp", "scarce_skills_gbp",
    "manual_workarounds_gbp", "integration_upkeep_gbp", "security_loss_gbp", "outage_gbp", "hosting_premium_gbp",
    "blocking_gbp", "hidden_cost_gbp", "hidden_cost_p10_gbp", "hidden_cost_p50_gbp", "hidden_cost_p90_gbp",
    "replacement_capex_gbp", "capex_estimated", "replacement_duration_years", "npv_gbp", "payback_year",
    "cost_of_delay_gbp", "impact", "likelihood", "risk_score", "risk_rag", "cddo_risk", "risk_disagrees",
    "technical_fit", "business_value", "time_quadrant", "suggested_action", "action_reason", "blast_radius",
    "upstream_dependencies", "cluster_size", "wave", "ease", "legacy", "top_n_stability",
)  # fmt: skip


MODEL_INPUT_COLUMNS = ("system_id", *SYSTEM_INPUTS, "replacement_cost_estimate_gbp", "replacement_years")


def load_model_inputs(connection) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (systems, costs, interfaces, system_metrics) from the store."""
    systems = connection.sql(
        "SELECT * EXCLUDE (extra, import_id, source_file, source_sheet, source_row) FROM systems"
    ).df()
    costs = connection.sql("SELECT system_id, financial_year, category, amount_gbp FROM costs").df()
    interfaces = connection.sql("SELECT interface_id, source_system_id, target_system_id, kind FROM interfaces").df()
    metrics = connection.sql("SELECT * FROM system_metrics").df()
    return systems, costs, interfaces, metrics


def run_cost_analysis(
    db: Path, parameters: Parameters, as_of: date, seed: int, draws: int, timings: dict[str, float] | None = None
) -> Assessment:
    """Assess the stored estate (after the graph analysis) and replace the cost result tables."""
    with connect(db) as connection:
        systems, costs, interfaces, metrics = load_model_inputs(connection)
        assessment = assess(systems, costs, interfaces, metrics, parameters, as_of, seed, draws, timings)
        imputation = assessment.imputation
        run = pd.DataFrame([{
            "as_of": as_of, "seed": seed, "draws": draws, "parameter_files": json.dumps(parameters.source_files),
            "parameter_file_text": parameters.user_text,
            "imputation_method": imputation.method, "imputation_training_rows": imputation.training_rows,
            "imputation_cv_mape": imputation.cv_mape, "imputation_interval_coverage": imputation.interval_coverage,
            **{f"estate_{k}": v for k, v in assessment.uncertainty.estate.items()},
        }])  # fmt: skip
        replace_tables(
            connection,
            {
                "system_assessment": assessment.systems[list(ASSESSMENT_COLUMNS)],
                "department_costs": assessment.uncertainty.departments,
                "cost_model_runs": run,
                "parameters_used": parameter_table(parameters),
                "model_inputs": assessment.systems[list(MODEL_INPUT_COLUMNS)].sort_values(
                    "system_id", ignore_index=True
                ),
                **{f"reported_cost_by_{level}": frame for level, frame in assessment.rollups.items()},
            },
        )
    return assessment


def parameter_table(parameters: Parameters) -> pd.DataFrame:
    """Return every parameter used as a row: name, value, low, high, unit, description, source, confidence."""
    return pd.DataFrame([vars(p) for p in parameters.values.values()])


RANK_FIELDS = (
    "rank", "system_id", "name", "department", "score", "reported_cost_gbp", "hidden_cost_p10_gbp",
    "hidden_cost_p50_gbp", "hidden_cost_p90_gbp", "cost_imputed", "npv_gbp", "payback_year", "cost_of_delay_gbp",
    "risk_score", "risk_rag", "time_quadrant", "suggested_action", "blast_radius", "wave", "top_n_stability",
)  # fmt: skip


def _require_results(connection) -> None:
    tables = {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not {"system_assessment", "parameters_used", "cost_model_runs"} <= tables:
        raise LookupError("no cost results yet: run `estate analyse` first")


def stored_weights(db: Path) -> dict[str, float]:
    """Return the ranking weights recorded with the stored analysis; raise LookupError before `estate analyse`."""
    with connect(db, read_only=True) as connection:
        _require_results(connection)
        return dict(connection.execute("SELECT name, value FROM parameters_used WHERE name LIKE 'weight_%'").fetchall())


def stored_ranking(db: Path, weights: dict[str, float] | None, top_n: int, limit: int | None = None) -> pd.DataFrame:
    """Return the stored assessment re-ranked with these weights (stored defaults if None), best first.

    All systems, or the first `limit`.
    """
    with connect(db, read_only=True) as connection:
        _require_results(connection)
        used = connection.sql("SELECT name, value FROM parameters_used").df()
        recorded = dict(zip(used["name"], used["value"], strict=True))
        if (weights is None or all(weights[k] == recorded[k] for k in weights)) and top_n == recorded[
            "stability_top_n"
        ]:  # the stored ranking is exactly this one: read it rather than recompute it
            return connection.sql(
                "SELECT * FROM system_assessment ORDER BY rank LIMIT $limit", params={"limit": limit or 2**62}
            ).df()
        frame = connection.sql("SELECT * FROM system_assessment").df()
        seed = int(connection.execute("SELECT seed FROM cost_model_runs").fetchone()[0])
    return rerank(frame, used, seed, weights, top_n).head(limit)


def rerank(
    assessment: pd.DataFrame, parameters_used: pd.DataFrame, seed: int, weights: dict[str, float] | None, top_n: int
) -> pd.DataFrame:
    """Return a stored assessment ranked again with other weights (the recorded ones if None), all systems.

    Scores and top-N stability use the recorded perturbation and seed, so the default weights give
    back exactly the stored ranking.
    """
    from costing.ranking import rank_systems

    used = dict(zip(parameters_used["name"], parameters_used["value"].astype(float), strict=True))
    defaults = {name: used[name] for name in used if name.startswith("weight_")}
    return rank_systems(
        assessment.drop(columns=["score", "rank", "top_n_stability"]),
        weights or defaults,
        top_n,
        used["stability_perturbation"],
        seed,
    )


def recorded_parameters(parameters_used: pd.DataFrame) -> Parameters:
    """Return the parameters with the central values recorded with a run (not today's defaults)."""
    from costing.parameters import load_parameters

    return load_parameters().with_values(
        **dict(zip(parameters_used["name"], parameters_used["value"].astype(float), strict=True))
    )


def analyse_store(
    db: Path, parameters: Parameters, as_of: date, seed: int = 0, draws: int = 1000, betweenness_samples: int = 64
) -> tuple[GraphAnalysis, Assessment]:
    """Run the whole analysis on the store (graph, then cost model); return (graph analysis, assessment)."""
    from dependency_graph.analysis import run_graph_analysis

    graph = run_graph_analysis(db, betweenness_samples, seed)
    return graph, run_cost_analysis(db, parameters, as_of, seed, draws)


def recorded_settings(db: Path) -> tuple[Parameters, date, int, int]:
    """Return (parameters, as_of, seed, draws) of the stored analysis; defaults (today, seed 0) before any."""
    import tempfile

    from costing.model import DEFAULT_DRAWS
    from costing.parameters import load_parameters

    with connect(db, read_only=True) as connection:
        try:
            _require_results(connection)
        except LookupError:
            return load_parameters(), date.today(), 0, DEFAULT_DRAWS
        as_of, seed, draws, text = connection.execute(
            "SELECT as_of, seed, draws, parameter_file_text FROM cost_model_runs"
        ).fetchone()
    if not text:
        return load_parameters(), as_of, int(seed), int(draws)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "parameters.toml"
        path.write_text(text, encoding="utf-8")
        return load_parameters(path), as_of, int(seed), int(draws)
