"""The cost model end to end, as one pure function: inputs in, per-system assessment out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from costing.calibration import calibration
from costing.criteria import DECISION_MEASURE, REPLACEMENT_ACTIONS
from costing.gaps import field_values, parameter_groups
from costing.hidden import COMPONENTS, esu_window, unsupported_probability
from costing.imputation import Imputation, impute_costs
from costing.inputs import PRIORS, build_inputs, fill_priors, input_arrays, input_coverage
from costing.methods import agreement, cddo_assessment, gao_points
from costing.parameters import Parameters
from costing.ranking import CRITERIA, rank_systems, separation
from costing.risk import impact_score, likelihood_score, rag, suggested_actions, time_quadrant
from costing.uncertainty import ChunkMap, Uncertainty, local_chunks, simulate

DEFAULT_DRAWS = 1000


@dataclass
class Assessment:
    """Everything the cost model produces."""

    systems: pd.DataFrame  # one row per system: costs, percentiles, appraisal, risk, disposition, rank
    uncertainty: Uncertainty
    imputation: Imputation
    as_of: date
    coverage: pd.DataFrame  # input, systems_observed, share_of_systems, share_of_reported_cost
    agreement: pd.DataFrame  # method_a, method_b, kendall_tau, top_n_overlap, candidates
    disagreements: pd.DataFrame  # system_id, method, estate_rank, method_rank, reason
    calibration: pd.DataFrame  # anchor, source, published, estate
    # parameter_group, parameters, evppi_gbp (descending), noise_floor_gbp: groups above their noise floor only
    information: pd.DataFrame
    fields: pd.DataFrame  # system_id, field, value_gbp, low, high (descending value)
    warnings: tuple[str, ...]  # what the user should know about the inputs (imputation refused, £0 costs ...)
    ranking: dict[str, float]  # costing.ranking.separation of the candidates: top_n, stability, chance


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
    map_chunks: ChunkMap = local_chunks,
) -> Assessment:
    """Return the assessment of every system: reported and hidden cost, uncertainty, appraisal, risk, rank.

    If `timings` is given, the seconds spent in each stage are added to it.
    """
    clock = _Clock(timings)
    prior_means = {name: parameters.values[name].mean for pair in PRIORS.values() for name in pair}
    scarce = parameters.lists.get("scarce_skills", ())
    point = parameters.point()
    frame = build_inputs(
        systems, costs, interfaces, metrics, scarce, as_of, prior_means, lists=parameters.lists, central=point
    )
    clock("inputs")
    imputation = impute_costs(frame, frame["reported_cost_gbp"], random_state=seed)
    _run_cost(frame, imputation, parameters)
    fill_priors(frame, prior_means, point)  # scaled priors follow the run cost now that every system has one
    clock("imputation")
    _risk(frame, parameters)  # the disposition comes from the inputs: a system to retire is appraised as such
    frame["retire"] = frame["suggested_action"].eq("retire")
    frame["decided"] = frame["suggested_action"].isin(REPLACEMENT_ACTIONS)  # the value of information counts these
    uncertainty = simulate(frame, parameters, draws, seed, map_chunks)
    frame = frame.merge(uncertainty.systems, on="system_id", how="left")
    frame["total_cost_of_legacy_gbp"] = frame["legacy_premium_gbp"] + frame["hidden_cost_gbp"]
    hidden = frame["hidden_cost_gbp"].to_numpy(np.float64)
    frame["assumed_share"] = np.divide(
        frame["assumed_hidden_gbp"].to_numpy(np.float64), hidden, out=np.zeros(len(frame)), where=hidden > 0
    )
    frame["outliers"] = _outliers(frame, parameters["outlier_multiple"])
    clock("Monte Carlo")
    _appraise(frame)
    clock("appraisal")
    frame = frame.join(cddo_assessment(frame, as_of))
    frame["gao_points"] = gao_points(frame, esu_window(input_arrays(frame), point))
    clock("risk and disposition")
    ranked = rank_systems(
        frame, None, int(point["stability_top_n"]), point["stability_perturbation"], seed,
        uncertainty.decision_draws,
    )  # fmt: skip
    candidate = frame["suggested_action"].isin(REPLACEMENT_ACTIONS).to_numpy()
    separated = separation(
        uncertainty.decision_draws[candidate], frame.loc[candidate, DECISION_MEASURE].to_numpy(np.float64),
        int(point["stability_top_n"]),
    )  # fmt: skip
    agreement_table, disagreements = agreement(ranked, int(point["stability_top_n"]))
    groups = parameter_groups(parameters)
    floor = uncertainty.evppi_noise_floor
    information = pd.DataFrame(
        [(label, ", ".join(groups[label]), value, floor[label]) for label, value in uncertainty.evppi.items()
         if value > floor[label]],  # reported only above what pure noise scores
        columns=["parameter_group", "parameters", "evppi_gbp", "noise_floor_gbp"],
    ).sort_values(["evppi_gbp", "parameter_group"], ascending=[False, True], ignore_index=True)  # fmt: skip
    fields = field_values(frame, parameters)
    clock("ranking and stability")
    coverage = input_coverage(frame)
    clock("coverage")
    return Assessment(
        ranked, uncertainty, imputation, as_of, coverage, agreement_table, disagreements,
        calibration(frame), information, fields, _warnings(frame, imputation), separated,
    )  # fmt: skip


def _run_cost(frame: pd.DataFrame, imputation: Imputation, parameters: Parameters) -> None:
    """Set run cost (the model's input) = reported, else imputed, else the prior's mean; record which."""
    reported = frame["reported_cost_gbp"]
    imputed = imputation.predicted_gbp.reindex(frame.index)
    frame["imputed_cost_gbp"] = imputed
    frame["imputed_low_gbp"] = imputation.low_gbp.reindex(frame.index)
    frame["imputed_high_gbp"] = imputation.high_gbp.reindex(frame.index)
    frame["imputed_sigma"] = imputation.sigma.reindex(frame.index)
    frame["cost_basis"] = np.select([reported.notna(), imputed.notna()], ["observed", "imputed"], "assumed")
    frame["cost_imputed"] = frame["cost_basis"].eq("imputed")
    frame["run_cost_gbp"] = reported.fillna(imputed).fillna(parameters.values["prior_run_cost"].mean)


def _outliers(frame: pd.DataFrame, multiple: float) -> np.ndarray:
    """Return, per system, the components above `multiple` x run cost (comma-separated; empty when none)."""
    run = frame["run_cost_gbp"].to_numpy(np.float64)
    flags = [np.where(frame[c.column].to_numpy(np.float64) > multiple * run, c.column, "") for c in COMPONENTS]
    return np.array([",".join(filter(None, names)) for names in zip(*flags, strict=True)], dtype=object)


def _warnings(frame: pd.DataFrame, imputation: Imputation) -> tuple[str, ...]:
    warnings = []
    if imputation.message and not imputation.imputed and frame["cost_basis"].eq("assumed").any():
        warnings.append(f"imputation: {imputation.message}")
    zero = frame["reported_cost_gbp"].eq(0) & frame["legacy_status"].eq("observed_legacy")
    if zero.any():
        shown = ", ".join(frame.loc[zero, "system_id"].head(5))
        warnings.append(
            f"{int(zero.sum())} legacy system(s) report a run cost of £0 ({shown}{' ...' if zero.sum() > 5 else ''}): "
            "kept as reported; check the cost lines"
        )
    outliers = frame["outliers"].ne("")
    if outliers.any():
        warnings.append(f"{int(outliers.sum())} system(s) have a component above the outlier multiple of run cost")
    return tuple(warnings)


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


def _appraise(frame: pd.DataFrame) -> None:
    """Add the appraisal's derived columns (the Monte Carlo gave expected NPVs, P10/P90, P(NPV > 0), PVs, payback)."""
    capex = frame["replacement_capex_gbp"].to_numpy(np.float64)
    costs = frame["costs_pv_gbp"].to_numpy(np.float64)
    frame["npv_per_capex"] = np.divide(frame["npv_gbp"].to_numpy(np.float64), capex, out=np.zeros(len(frame)),
                                       where=capex > 0)  # fmt: skip
    frame["benefit_cost_ratio"] = np.divide(frame["benefits_pv_gbp"].to_numpy(np.float64), costs,
                                            out=np.full(len(frame), np.nan), where=costs > 0)  # fmt: skip
    frame["cost_of_delay_gbp"] = frame["npv_gbp"] - frame["npv_delayed_gbp"]
    estimate = pd.to_numeric(frame["replacement_cost_estimate_gbp"], errors="coerce").to_numpy(np.float64)
    frame["capex_estimated"] = ~np.isfinite(estimate)
    cluster = frame["cluster_size"].fillna(1).to_numpy(np.float64)
    frame["ease"] = -frame["replacement_duration_years"].to_numpy(np.float64) * cluster
    retained_paying = frame["suggested_action"].eq("retain") & frame["npv_gbp"].gt(0)
    frame.loc[retained_paying, "action_reason"] = (
        frame.loc[retained_paying, "action_reason"]
        + "; replacing it would pay on expected values, but it fits technically and is supported, so the case"
        " waits for its contract end"
    )


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
    unsupported = unsupported_probability(input_arrays(frame), parameters.point()) >= 0.5
    actions, reasons = suggested_actions(frame, quadrant, parameters.lists.get("commodity_services", ()), unsupported)
    frame["suggested_action"] = actions
    frame["action_reason"] = reasons
