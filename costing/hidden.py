"""Hidden-cost components: each a small vectorised function returning annual GBP, zero where it does not apply.

Every function takes `s`, the system inputs (numpy arrays, one entry per system, see
`costing.inputs.SYSTEM_INPUTS`), and `p`, the parameters by name. Parameters are scalars for the
central estimate, or arrays of Monte Carlo draws; system arrays are then shaped (systems, 1) so
the result is (systems, draws). Inputs are never NaN: `costing.inputs` fills unknowns with 0 and
records what was missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

Inputs = Mapping[str, np.ndarray]
Params = Mapping[str, float | np.ndarray]

INTERFACE_KINDS = ("api", "file", "batch", "database_link", "message_queue", "other")


def extended_support_premium(s: Inputs, p: Params) -> np.ndarray:
    """Extended-support premium: licence x (first-year share + step per further year, capped), once past end of support.

    years past = (as-of date - end of support) in years; in year k past (k = floor(years) + 1)
    the share is min(esu_first_year_share + esu_yearly_step x (k - 1), esu_max_share).
    """
    years_past = s["years_past_end_of_support"]
    k = np.floor(np.maximum(years_past, 0)) + 1
    share = np.minimum(p["esu_first_year_share"] + p["esu_yearly_step"] * (k - 1), p["esu_max_share"])
    licence = np.where(
        s["licence_cost_gbp"] > 0, s["licence_cost_gbp"], p["licence_share_of_run_cost"] * s["run_cost_gbp"]
    )
    return np.where(years_past > 0, share * licence, 0.0)


def scarce_skills_premium(s: Inputs, p: Params) -> np.ndarray:
    """Scarce-skills premium: support FTE x FTE cost x premium, legacy technologies only (default FTE if unknown)."""
    fte = np.where(s["support_fte"] > 0, s["support_fte"], p["default_support_fte"])
    return np.where(s["scarce_skills"] > 0, fte * p["support_fte_cost"] * p["scarce_skills_premium"], 0.0)


def manual_workaround_labour(s: Inputs, p: Params) -> np.ndarray:
    """Manual labour: (workaround hours/month x 12 + half of each manual interface's hours/year) x hourly cost."""
    hours = s["manual_workaround_hours_per_month"] * 12 + 0.5 * s["manual_interfaces"] * p["manual_interface_hours"]
    return hours * p["loaded_hourly_cost"]


def integration_upkeep(s: Inputs, p: Params) -> np.ndarray:
    """Integration upkeep: half of each non-manual interface's annual upkeep by kind (the partner pays the rest)."""
    return sum(0.5 * s[f"interfaces_{kind}"] * p[f"integration_upkeep_{kind}"] for kind in INTERFACE_KINDS)


def security_loss(s: Inputs, p: Params) -> np.ndarray:
    """Expected annual security loss: (1 - (1 - p)^vulnerabilities) x breach cost."""
    probability = 1.0 - (1.0 - p["breach_probability_per_vulnerability"]) ** s["known_vulnerabilities"]
    return probability * p["breach_cost"]


def outage_cost(s: Inputs, p: Params) -> np.ndarray:
    """Expected outage cost: outage hours/year x users x cost per user-hour."""
    return s["outage_hours_per_year"] * s["users"] * p["outage_cost_per_user_hour"]


def hosting_premium(s: Inputs, p: Params) -> np.ndarray:
    """Hosting premium over a cloud equivalent: hosting x premium / (1 + premium), mainframe and on-premises only.

    Hosting is the reported hosting line, else hosting_share_of_run_cost x run cost.
    """
    hosting = np.where(
        s["hosting_cost_gbp"] > 0, s["hosting_cost_gbp"], p["hosting_share_of_run_cost"] * s["run_cost_gbp"]
    )
    premium = np.where(
        s["mainframe"] > 0,
        p["mainframe_hosting_premium"],
        np.where(s["on_premises"] > 0, p["on_premises_hosting_premium"], 0.0),
    )
    return hosting * premium / (1.0 + premium)


def blocking_cost(s: Inputs, p: Params) -> np.ndarray:
    """Blocking cost on dependents: blast radius x cost per dependent, for legacy systems only."""
    return np.where(s["legacy"] > 0, s["blast_radius"] * p["blocking_cost_per_dependent"], 0.0)


COMPONENTS: dict[str, Callable[[Inputs, Params], np.ndarray]] = {
    "extended_support_gbp": extended_support_premium,
    "scarce_skills_gbp": scarce_skills_premium,
    "manual_workarounds_gbp": manual_workaround_labour,
    "integration_upkeep_gbp": integration_upkeep,
    "security_loss_gbp": security_loss,
    "outage_gbp": outage_cost,
    "hosting_premium_gbp": hosting_premium,
    "blocking_gbp": blocking_cost,
}


def hidden_components(s: Inputs, p: Params) -> dict[str, np.ndarray]:
    """Return every component's annual GBP by column name."""
    return {name: np.asarray(function(s, p), dtype=np.float64) for name, function in COMPONENTS.items()}


def hidden_total(s: Inputs, p: Params) -> np.ndarray:
    """Return the sum of all hidden-cost components."""
    total = 0.0
    for function in COMPONENTS.values():
        total = total + function(s, p)
    return np.asarray(total, dtype=np.float64)
