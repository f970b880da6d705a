"""`estate export`: the finance workbook from the stored results of `estate analyse`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from estate import __version__
from pipeline.results import ResultSource, as_source, rerank
from reporting.finance import FinanceInputs, write_finance_workbook

ITEMISED_SYSTEMS = 10_000  # formula rows; ~60 formulas each: 600,000 formulas open in a spreadsheet in seconds


def load_finance_inputs(
    where: ResultSource | Path, weights: dict[str, float] | None = None, itemise: int = ITEMISED_SYSTEMS
) -> FinanceInputs:
    """Return what the finance workbook needs; raise NotAnalysed before `estate analyse`.

    `where` is a ResultSource (or a store's path). With `weights` (weight_* parameter -> value) the
    Assumptions carry those ranking weights and the ranking follows them. The `itemise` highest-ranked
    systems get formula rows; the others are totalled by department (values) in `not_itemised`.
    """
    source = as_source(where)
    stored = source.read(("system_assessment", "parameters_used", "cost_model_runs", "department_costs",
                          "model_inputs"))  # fmt: skip
    assessment = stored.assessment
    parameters = stored["parameters_used"]
    run = stored.run
    if weights:
        chosen = parameters["name"].isin(list(weights))
        parameters.loc[chosen, "value"] = parameters.loc[chosen, "name"].map(weights)
        top_n = int(parameters.set_index("name").loc["stability_top_n", "value"])
        assessment = rerank(assessment, parameters, int(run["seed"]), weights, top_n)
    assessment = assessment.sort_values("rank", ignore_index=True)
    kept, rest = assessment.iloc[:itemise], assessment.iloc[itemise:]
    inputs = stored["model_inputs"]
    inputs = inputs[inputs["system_id"].isin(kept["system_id"])].reset_index(drop=True)
    with source.inputs() as connection:
        frame = lambda sql: connection.sql(sql).df()  # noqa: E731
        connection.register("itemised", kept[["system_id"]])
        try:
            reported = frame(
                "SELECT system_id, financial_year, category, amount_gbp FROM costs SEMI JOIN itemised USING (system_id)"
            )
        finally:
            connection.unregister("itemised")
        imports = frame("SELECT file_name, sha256 FROM imports WHERE status = 'current' ORDER BY file_name")
    return FinanceInputs(
        assessment=kept,
        inputs=inputs,
        parameters=parameters,
        departments=stored["department_costs"],
        reported=reported,
        imports=imports,
        run=run,
        version=__version__,
        not_itemised=_department_totals(rest),
    )


def _department_totals(rest: pd.DataFrame) -> pd.DataFrame:
    """Return systems, run cost, legacy premium (on observed cost, and on imputed or assumed cost) and expected
    hidden cost per department of the systems not itemised."""
    observed = rest["cost_basis"] == "observed"
    rest = rest.assign(premium_observed_gbp=rest["legacy_premium_gbp"].where(observed, 0.0),
                       premium_unobserved_gbp=rest["legacy_premium_gbp"].where(~observed, 0.0))  # fmt: skip
    return rest.groupby("department").agg(
        premium_observed_gbp=("premium_observed_gbp", "sum"),
        premium_unobserved_gbp=("premium_unobserved_gbp", "sum"),
        systems=("system_id", "size"),
        run_cost_gbp=("run_cost_gbp", "sum"),
        hidden_cost_gbp=("hidden_cost_gbp", "sum"),
        reported_cost_gbp=("reported_cost_gbp", "sum"),
        imputed_cost_gbp=("imputed_cost_gbp", "sum"),
    )


def export_finance_workbook(
    where: ResultSource | Path, out: Path, weights: dict[str, float] | None = None, itemise: int = ITEMISED_SYSTEMS
) -> Path:
    """Write the finance workbook for the stored analysis to `out`; return it.

    With `weights` the Assumptions sheet carries those ranking weights and the Ranking sheet is ordered
    by them, as the app's Candidates page shows it. The `itemise` highest-ranked systems get live formula
    rows; any others are totalled by department as values (labelled), so that a 100,000-system estate
    gives a workbook a spreadsheet can open. Every system is in the report's data/ folder.
    """
    return write_finance_workbook(load_finance_inputs(where, weights, itemise), out)
