"""`estate export`: the finance workbook from the stored results of `estate analyse`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from estate import __version__
from estate.store import connect
from reporting.finance import FinanceInputs, write_finance_workbook

REQUIRED = ("system_assessment", "model_inputs", "parameters_used", "department_costs", "cost_model_runs")


class NoResults(LookupError):
    """The store has no analysis to export."""


def load_finance_inputs(db: Path) -> FinanceInputs:
    """Return the stored results the finance workbook needs; raise NoResults before `estate analyse`."""
    with connect(db, read_only=True) as connection:
        tables = {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not set(REQUIRED) <= tables:
            raise NoResults("no analysis results yet: run `estate analyse` first")
        frame = lambda sql: connection.sql(sql).df()  # noqa: E731
        return FinanceInputs(
            assessment=frame("SELECT * FROM system_assessment"),
            inputs=frame("SELECT * FROM model_inputs ORDER BY system_id"),
            parameters=frame("SELECT * FROM parameters_used"),
            departments=frame("SELECT * FROM department_costs ORDER BY department"),
            reported=frame("SELECT system_id, financial_year, category, amount_gbp FROM costs"),
            imports=frame("SELECT file_name, sha256 FROM imports WHERE status = 'current' ORDER BY file_name"),
            run=frame("SELECT * FROM cost_model_runs").iloc[0].to_dict(),
            version=__version__,
        )


def export_finance_workbook(db: Path, out: Path, weights: dict[str, float] | None = None) -> Path:
    """Write the finance workbook for the stored analysis to `out`; return it.

    With `weights` (weight_* parameter -> value) the Assumptions sheet carries those ranking weights and
    the Ranking sheet is ordered by them, as the app's Candidates page shows it.
    """
    data = load_finance_inputs(db)
    if weights:
        from costing.analysis import rerank

        parameters = data.parameters.copy()
        chosen = parameters["name"].isin(list(weights))
        parameters.loc[chosen, "value"] = parameters.loc[chosen, "name"].map(weights)
        top_n = int(parameters.set_index("name").loc["stability_top_n", "value"])
        assessment = rerank(data.assessment, parameters, int(data.run["seed"]), weights, top_n)
        data = replace(data, parameters=parameters, assessment=assessment)
    return write_finance_workbook(data, out)
