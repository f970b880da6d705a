"""Which parameter groups and which missing facts are worth resolving (see costing.information for the maths)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import beta

from costing.hidden import COMPONENTS
from costing.information import two_point_value
from costing.inputs import PRIORS, SCALED_PRIORS, prior_scale
from costing.options import central_flows
from costing.parameters import PERT_LAMBDA, Parameter, Parameters

APPRAISAL_GROUPS = {
    "Optimism bias": ("optimism_bias_capex", "optimism_bias_duration", "optimism_bias_benefits"),
    "Replacement cost and time": ("replacement_capex_multiple", "replacement_years", "transition_cost_share",
                                  "decommissioning_share_of_run_cost", "dual_running_years"),
    "Retirement cost and time": ("retirement_cost_multiple", "retirement_years", "retired_service_share"),
    "Successor's running cost": ("new_run_cost_share", "residual_hidden_share", "asset_life_years"),
    "Legacy cost growth": ("legacy_cost_growth", "legacy_cost_growth_years"),
}  # fmt: skip


def parameter_groups(parameters: Parameters) -> dict[str, tuple[str, ...]]:
    """Return group label -> its uncertain parameters: one group per cost component, plus the appraisal's groups.

    Groups are disjoint: a parameter several components read belongs to the first that lists it, so no
    parameter's value of information is counted twice.
    """
    groups = {c.label: c.parameters for c in COMPONENTS} | APPRAISAL_GROUPS
    result, seen = {}, set()
    for label, names in groups.items():
        uncertain = tuple(n for n in names if parameters.values[n].uncertain and n not in seen)
        seen.update(uncertain)
        if uncertain:
            result[label] = uncertain
    return result


def pert_quantile(p: Parameter, q: float) -> float:
    """Return the q-quantile of a parameter's PERT distribution."""
    if not p.uncertain:
        return p.value
    span = p.high - p.low
    a = 1 + PERT_LAMBDA * (p.value - p.low) / span
    b = 1 + PERT_LAMBDA * (p.high - p.value) / span
    return float(p.low + span * beta.ppf(q, a, b))


FIELDS = {  # model input -> field a department can supply
    "users": "users", "outage_hours_per_year": "outage_hours_per_year",
    "known_vulnerabilities": "known_vulnerabilities",
    "manual_workaround_hours_per_month": "manual_workaround_hours_per_month",
}  # fmt: skip


def field_values(frame: pd.DataFrame, parameters: Parameters) -> pd.DataFrame:
    """Return, per system and missing field, the value (GBP) of learning it, most valuable first.

    Columns: system_id, field, value_gbp (the decision's value of the fact), npv_swing_gbp (how far the
    expected NPV moves between P10 and P90: the order among facts that change no decision), low, high.

    frame: the assessed model frame (inputs, assumed flags, cost_basis, imputed intervals, legacy premium and
    hidden cost). Central parameters; the field at its prior's P10 and P90 (imputed cost: its interval).
    """
    point = parameters.point()
    rows = []
    cases = [(column, column, pair) for column, pair in PRIORS.items()]
    for column, field, (legacy_prior, modern_prior) in cases:
        assumed = frame[f"{column}_assumed"].to_numpy(bool)
        if not assumed.any():
            continue
        legacy = frame["legacy"].to_numpy(np.float64) >= 0.5  # the likelier status's prior
        low = np.where(legacy, pert_quantile(parameters.values[legacy_prior], 0.1),
                       pert_quantile(parameters.values[modern_prior], 0.1))  # fmt: skip
        high = np.where(legacy, pert_quantile(parameters.values[legacy_prior], 0.9),
                        pert_quantile(parameters.values[modern_prior], 0.9))  # fmt: skip
        if column in SCALED_PRIORS:
            scale = prior_scale(frame, point)
            low, high = low * scale, high * scale
        rows.append(_case(frame[assumed], field, column, low[assumed], high[assumed], point))
    unknown_cost = frame["cost_basis"].ne("observed").to_numpy()
    if unknown_cost.any():
        part = frame[unknown_cost]
        prior = parameters.values["prior_run_cost"]
        low = part["imputed_low_gbp"].fillna(pert_quantile(prior, 0.1)).to_numpy(np.float64)
        high = part["imputed_high_gbp"].fillna(pert_quantile(prior, 0.9)).to_numpy(np.float64)
        rows.append(_case(part, "annual_cost_gbp", "run_cost_gbp", low, high, point))
    unsettled = frame["legacy_assumed"].to_numpy(bool) if "legacy_assumed" in frame else np.zeros(len(frame), bool)
    if unsettled.any():  # its technology settles whether it is legacy (through the lifecycle catalogue)
        part = frame[unsettled]
        rows.append(_case(part, "technology", "legacy", np.zeros(len(part)), np.ones(len(part)), point))
    unknown_eos = ~frame["end_of_support_known"].to_numpy(bool)
    if unknown_eos.any():
        part = frame[unknown_eos]
        low = np.zeros(len(part))  # known: still supported
        high = np.full(len(part), max(point["esu_years"], point["esu_other_years"]) + 1.0)  # past extended support
        rows.append(_case(part, "end_of_support", "years_past_end_of_support", low, high, point, eos=True))
    columns = ["system_id", "field", "value_gbp", "npv_swing_gbp", "low", "high"]
    if not rows:
        return pd.DataFrame(columns=columns)
    result = pd.concat(rows, ignore_index=True)
    return result.sort_values(
        ["value_gbp", "npv_swing_gbp", "system_id", "field"], ascending=[False, False, True, True], ignore_index=True
    )


def _case(part: pd.DataFrame, field: str, column: str, low: np.ndarray, high: np.ndarray, point: dict,
          eos: bool = False) -> pd.DataFrame:  # fmt: skip
    npv = []
    for value in (low, high):
        changed = part.assign(**{column: value})
        if eos:
            changed = changed.assign(end_of_support_known=1.0)
        npv.append(_central_npv(changed, point))
    return pd.DataFrame({
        "system_id": part["system_id"].to_numpy(), "field": field,
        "value_gbp": two_point_value(npv[0], npv[1]), "npv_swing_gbp": np.abs(npv[1] - npv[0]),
        "low": low, "high": high,
    })  # fmt: skip


def _central_npv(frame: pd.DataFrame, p: dict) -> np.ndarray:
    """Return each system's NPV of acting now at central parameters (the appraisal with these inputs)."""
    return central_flows(frame, p).npv
