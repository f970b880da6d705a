"""The cost model end to end, as one pure function: inputs in, per-system assessment out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from costing.appraisal import appraise, discount_factors
from costing.hidden import hidden_components
from costing.imputation import Imputation, impute_costs
from costing.inputs import build_inputs, cost_rollups, input_arrays
from costing.parameters import Parameters
from costing.ranking import CRITERIA, rank_systems
from costing.risk import impact_score, likelihood_score, rag, suggested_actions, time_quadrant
from costing.uncertainty import Uncertainty, simulate

DEFAULT_DRAWS = 1000


@dataclass
class Assessment:
    """Everything the cost model produces."""

    systems: pd.DataFrame  # one row per system: costs, percentiles, appraisal, risk, disposition, rank
    uncertainty: Uncertainty
    imputation: Imputation
    rollups: dict[str, pd.DataFrame]
    as_of: date


def weights_from(parameters: Parameters) -> dict[str, float]:
    """Return the default ranking weights from the parameter file."""
    return {name: parameters[name] for name in CRITERIA}


def assess(
    systems: pd.DataFrame,
    costs: pd.DataFrame,
    interfaces: pd.DataFrame,
    metrics: pd.DataFrame,
    parameters: Parameters,
    as_of: date,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    timings: dict[str, float] | None = None,
) -> Assessment:
    """Return the assessment of every system: reported and hidden cost, uncertainty, appraisal, risk, rank.

    If `timings` is given, the seconds spent in each stage are added to it.
    """
    clock = _Clock(timings)
    frame = build_inputs(systems, costs, interfaces, metrics, parameters.lists.get("scarce_skills", ()), as_of)
    clock("inputs")
    imputation = impute_costs(frame, frame["reported_cost_gbp"], random_state=seed)
    frame["cost_imputed"] = frame.index.isin(imputation.predicted_gbp.index)
    frame["imputed_low_gbp"] = imputation.low_gbp.reindex(frame.index)
    frame["imputed_high_gbp"] = imputation.high_gbp.reindex(frame.index)
    frame["reported_cost_gbp"] = frame["reported_cost_gbp"].where(~frame["cost_imputed"], imputation.predicted_gbp)
    frame["run_cost_gbp"] = frame["reported_cost_gbp"].fillna(0.0)
    clock("imputation")
    point = parameters.point()
    components = hidden_components(input_arrays(frame), point)
    for name, values in components.items():
        frame[name] = values
    frame["hidden_cost_gbp"] = sum(components.values())
    clock("hidden cost (central)")
    uncertainty = simulate(frame, parameters, draws, seed)
    frame = frame.merge(uncertainty.systems, on="system_id", how="left")
    clock("Monte Carlo")
    _appraise(frame, point)
    clock("appraisal")
    _risk(frame, parameters)
    clock("risk and disposition")
    ranked = rank_systems(
        frame, weights_from(parameters), int(point["stability_top_n"]), point["stability_perturbation"], seed
    )
    clock("ranking and stability")
    rollups = cost_rollups(costs, systems)
    clock("roll-ups")
    return Assessment(ranked, uncertainty, imputation, rollups, as_of)


class _Clock:
    """Adds the seconds since the last call to timings[stage]."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now


def _appraise(frame: pd.DataFrame, p: dict[str, float]) -> None:
    run = frame["run_cost_gbp"].to_numpy(np.float64)
    hidden = frame["hidden_cost_gbp"].to_numpy(np.float64)
    estimate = pd.to_numeric(frame["replacement_cost_estimate_gbp"], errors="coerce").to_numpy(np.float64)
    base_capex = np.where(np.isfinite(estimate), estimate, p["replacement_capex_multiple"] * run)
    years = pd.to_numeric(frame["replacement_years"], errors="coerce").to_numpy(np.float64)
    base_years = np.where(np.isfinite(years) & (years > 0), years, p["replacement_years"])
    factors = discount_factors(int(p["appraisal_horizon_years"]), p["discount_rate"], p["discount_rate_after_30"])
    result = appraise(
        run + hidden,
        run * p["new_run_cost_share"] + hidden * p["residual_hidden_share"],
        base_capex,
        base_years,
        p["optimism_bias_capex"],
        p["optimism_bias_duration"],
        factors,
    )
    frame["capex_estimated"] = ~np.isfinite(estimate)
    frame["replacement_capex_gbp"] = result.capex_gbp
    frame["replacement_duration_years"] = result.duration_years
    frame["npv_gbp"] = result.npv_gbp
    frame["payback_year"] = result.payback_year
    frame["cost_of_delay_gbp"] = result.cost_of_delay_gbp
    cluster = frame["cluster_size"].fillna(1).to_numpy(np.float64)
    upstream = frame["upstream_dependencies"].fillna(0).to_numpy(np.float64)
    frame["ease"] = -(np.log1p(result.capex_gbp) + np.log1p(cluster - 1) + np.log1p(upstream))


def _risk(frame: pd.DataFrame, parameters: Parameters) -> None:
    impact = impact_score(frame)
    likelihood = likelihood_score(frame)
    frame["impact"] = impact
    frame["likelihood"] = likelihood
    frame["risk_score"] = impact * likelihood
    frame["risk_rag"] = rag(
        frame["risk_score"].to_numpy(), parameters["risk_red_threshold"], parameters["risk_amber_threshold"]
    )
    frame["risk_disagrees"] = frame["cddo_risk"].notna() & (frame["cddo_risk"] != frame["risk_rag"])
    fit, value, quadrant = time_quadrant(frame, likelihood)
    frame["technical_fit"] = fit
    frame["business_value"] = value
    frame["time_quadrant"] = quadrant
    actions, reasons = suggested_actions(frame, quadrant, parameters.lists.get("commodity_services", ()))
    frame["suggested_action"] = actions
    frame["action_reason"] = reasons
