"""What-if scenarios: the estate total and the ranking with some parameters changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from costing.model import assess
from costing.parameters import Parameters

SCENARIO_DRAWS = 200  # enough for stable P50s at interactive speed; the stored analysis uses `--draws`
# (label, column summed over systems, or the estate figure of that name when it is one: a percentile of the estate
# total is not the sum of the systems' percentiles; GBP)
TOTALS = (
    ("Reported cost a year", "reported_cost_gbp"),
    ("Hidden cost a year, P10", "hidden_cost_p10_gbp"),
    ("Hidden cost a year, expected value", "hidden_cost_gbp"),
    ("Hidden cost a year, P90", "hidden_cost_p90_gbp"),
    ("NPV of replacing every system", "npv_gbp"),
    ("Cost of a year's delay, all systems", "cost_of_delay_gbp"),
)


def _total(assessment, column: str) -> float:
    """Return the estate figure: the estate's own (its percentiles are of the estate total) or the systems' sum."""
    estate = assessment.uncertainty.estate
    return float(estate[column]) if column in estate else float(assessment.systems[column].sum())


@dataclass(frozen=True)
class ScenarioResult:
    """Baseline against scenario: estate totals, and the scenario's ranking with each system's baseline rank."""

    totals: pd.DataFrame  # measure, baseline, scenario, change, change_share
    ranking: pd.DataFrame  # rank, system_id, name, department, score, hidden_cost_gbp, baseline_rank, moved
    changes: dict[str, float]


def compare_scenario(
    model_inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame],
    parameters: Parameters,
    changes: dict[str, float],
    as_of: date,
    seed: int = 0,
    draws: int = SCENARIO_DRAWS,
) -> ScenarioResult:
    """Assess the estate with the parameters as given and with `changes` applied; compare the two.

    `model_inputs` is (systems, costs, interfaces, system_metrics) as `load_model_inputs` returns them.
    Both runs use the same seed and draws, so every difference comes from the changed parameters.
    """
    base = assess(*model_inputs, parameters, as_of, seed, draws)
    changed = assess(*model_inputs, parameters.with_values(**changes), as_of, seed, draws)
    baseline, scenario = base.systems, changed.systems
    rows = []
    for label, column in TOTALS:
        before, after = _total(base, column), _total(changed, column)
        share = (after - before) / abs(before) if before else 0.0
        rows.append({"measure": label, "baseline": before, "scenario": after, "change": after - before,
                     "change_share": share})  # fmt: skip
    ranking = scenario[["rank", "system_id", "name", "department", "score", "hidden_cost_gbp"]].merge(
        baseline[["system_id", "rank"]].rename(columns={"rank": "baseline_rank"}), on="system_id", how="left"
    )
    ranking["moved"] = ranking["baseline_rank"] - ranking["rank"]  # positive: moved up the list
    return ScenarioResult(pd.DataFrame(rows), ranking, dict(changes))
