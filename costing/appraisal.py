"""HM Treasury Green Book appraisal of replacing each system against the status quo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def discount_factors(horizon: int, rate: float, rate_after_30: float) -> np.ndarray:
    """Return discount factors for years 0..horizon-1: 1/(1+r)^t, with the lower rate compounding after year 30."""
    years = np.arange(horizon)
    early = np.minimum(years, 30)
    late = np.maximum(years - 30, 0)
    return 1.0 / ((1.0 + rate) ** early * (1.0 + rate_after_30) ** late)


@dataclass
class Appraisal:
    """Per-system appraisal results (arrays aligned with the input systems)."""

    capex_gbp: np.ndarray  # replacement capital cost including optimism bias
    duration_years: np.ndarray  # replacement duration including optimism bias
    npv_gbp: np.ndarray  # net present value of replacing now versus keeping the status quo
    payback_year: np.ndarray  # first year (1 = year 0) whose cumulative discounted net benefit >= 0; NaN if none
    cost_of_delay_gbp: np.ndarray  # NPV lost by starting the replacement one year later


def appraise(
    status_quo_cost: np.ndarray,
    new_run_cost: np.ndarray,
    base_capex: np.ndarray,
    base_years: np.ndarray,
    optimism_capex: float,
    optimism_duration: float,
    factors: np.ndarray,
) -> Appraisal:
    """Return NPV, payback and cost of delay of replacing each system, all in GBP present value.

    Capex (x (1 + optimism_capex)) is spread evenly over the replacement duration (x (1 + optimism_duration));
    the status quo runs until the replacement is complete, then costs `new_run_cost` a year. Year t's
    net benefit is (status quo - option) and its share of a year still in build pays no benefit.
    """
    capex = base_capex * (1.0 + optimism_capex)
    duration = np.maximum(base_years * (1.0 + optimism_duration), 1e-9)
    net = net_benefit(status_quo_cost, new_run_cost, capex, duration, len(factors))
    discounted = net * factors
    npv = discounted.sum(axis=1)
    cumulative = np.cumsum(discounted, axis=1)
    paid = cumulative >= 0
    payback = np.where(paid.any(axis=1), paid.argmax(axis=1) + 1.0, np.nan)
    delayed = np.concatenate([np.zeros((len(net), 1)), net[:, :-1]], axis=1) * factors
    return Appraisal(capex, duration, npv, payback, npv - delayed.sum(axis=1))


def net_benefit(
    status_quo: np.ndarray, new_run: np.ndarray, capex: np.ndarray, duration: np.ndarray, horizon: int
) -> np.ndarray:
    """Return each system's net benefit of replacing in each year 0..horizon-1 (undiscounted GBP)."""
    years = np.arange(horizon)[None, :]
    in_build = np.clip(duration[:, None] - years, 0.0, 1.0)  # share of year t still in build
    saving = (status_quo - new_run)[:, None]
    return -capex[:, None] * in_build / duration[:, None] + (1.0 - in_build) * saving
