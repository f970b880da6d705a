"""HM Treasury Green Book appraisal of replacing each system against business as usual, by Monte Carlo.

Options (per system): business as usual (BAU) keeps the system, whose legacy part (premium + hidden
cost) grows by legacy_cost_growth a year as support lapses; replace builds a successor over the
duration D (optimism bias applied), runs both until cut-over (dual running for dual_running_years
before it), pays transition and decommissioning at cut-over, then operates the successor for the
operating life L, with the asset's residual value at the end. Benefits carry an optimism-bias
shortfall. Cash flows are annual from year 0 (the start), discounted at the Green Book rate; a
fraction of a year in build counts pro rata. Every term is a closed-form sum of discount factors, so
one (systems x draws) array per quantity holds the whole appraisal: no year axis is materialised.

With v = 1 / (1 + r), k = floor(D), f = D - k:
- build weight W_b(x) = sum_{t<k} x^t + f x^k (the years capex is spent, pro rata);
- operating weight W_o(x) = (1 - f) x^k + sum_{t=k+1}^{k+L-1} x^t + f x^(k+L) (L years from cut-over);
- BAU cost in year t = B + X ((1 + g)^t - 1), B = run + hidden, X = legacy premium + hidden;
- successor cost N = (run - premium) x new_run_cost_share + X x residual_hidden_share;
- PV(savings) = (1 - optimism_bias_benefits) x [(B - N) W_o(v) + X (W_o(v (1 + g)) - W_o(v))];
- PV(costs) = capex / D x W_b(v) + (N x dual_running_years + transition_cost_share x capex
  + decommissioning_share_of_run_cost x run) x v^D;
- residual = capex x max(0, 1 - L / asset_life_years) x v^(D + L);
- NPV = PV(savings) + residual - PV(costs); benefit-cost ratio = E[PV(savings) + residual] / E[PV(costs)];
- starting a year later: the same with B -> B + g X, X -> X (1 + g), all discounted one more year;
  cost of delay = E[NPV now] - E[NPV a year later] (at most 0 when E[NPV] is at most 0 and g < r).
The horizon (D + L, under 30 years for any plausible D) uses the 0-30 year rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

Params = Mapping[str, float | np.ndarray]


def discount_factors(horizon: int, rate: float, rate_after_30: float) -> np.ndarray:
    """Return discount factors for years 0..horizon-1: 1/(1+r)^t, with the lower rate compounding after year 30."""
    years = np.arange(horizon)
    early = np.minimum(years, 30)
    late = np.maximum(years - 30, 0)
    return 1.0 / ((1.0 + rate) ** early * (1.0 + rate_after_30) ** late)


def power_sum(x: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Return sum_{t=start}^{stop-1} x^t elementwise (0 when stop <= start)."""
    x, start, stop = np.broadcast_arrays(np.asarray(x, float), np.asarray(start, float), np.asarray(stop, float))
    stop = np.maximum(stop, start)
    near_one = np.abs(x - 1.0) < 1e-12
    safe = np.where(near_one, 0.5, x)
    geometric = (safe**start - safe**stop) / (1.0 - safe)
    return np.where(near_one, stop - start, geometric)


def build_weight(x: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Return sum over build years of x^t, the year in which cut-over falls counted pro rata."""
    k = np.floor(duration)
    return power_sum(x, 0, k) + (duration - k) * np.asarray(x, float) ** k


def operating_weight(x: np.ndarray, duration: np.ndarray, life: int) -> np.ndarray:
    """Return sum over the `life` operating years from cut-over of x^t, partial years pro rata."""
    k = np.floor(duration)
    f = duration - k
    x = np.asarray(x, float)
    return (1 - f) * x**k + power_sum(x, k + 1, k + life) + f * x ** (k + life)


@dataclass
class Flows:
    """Present values of one appraisal (arrays: systems x draws)."""

    npv: np.ndarray
    benefits: np.ndarray  # PV of savings + residual value
    costs: np.ndarray  # PV of capex, dual running, transition, decommissioning


def present_values(
    run: np.ndarray,
    premium: np.ndarray,
    hidden: np.ndarray,
    capex: np.ndarray,
    duration: np.ndarray,
    p: Params,
    delay: int = 0,
) -> Flows:
    """Return NPV, benefits and costs of replacing (GBP present value), starting now or `delay` years later."""
    v = 1.0 / (1.0 + p["discount_rate"])
    growth = np.where(premium + hidden > 0, p["legacy_cost_growth"], 0.0)
    life = round(float(np.max(p["operating_life_years"])))
    status_quo = run + hidden
    legacy_part = premium + hidden
    if delay:
        status_quo = status_quo + legacy_part * ((1 + growth) ** delay - 1)
        legacy_part = legacy_part * (1 + growth) ** delay
    successor = (run - premium) * p["new_run_cost_share"] + legacy_part * p["residual_hidden_share"]
    w_op = operating_weight(v, duration, life)
    grown = operating_weight(v * (1 + growth), duration, life)
    savings = (1 - p["optimism_bias_benefits"]) * ((status_quo - successor) * w_op + legacy_part * (grown - w_op))
    at_cutover = v**duration
    costs = capex / duration * build_weight(v, duration) + at_cutover * (
        successor * p["dual_running_years"]
        + p["transition_cost_share"] * capex
        + p["decommissioning_share_of_run_cost"] * run
    )
    residual = capex * np.maximum(0.0, 1.0 - life / p["asset_life_years"]) * v ** (duration + life)
    shift = v**delay
    benefits = (savings + residual) * shift
    costs = costs * shift
    return Flows(benefits - costs, benefits, costs)


def capex_and_duration(
    run: np.ndarray, estimate: np.ndarray, years: np.ndarray, prior_run: np.ndarray, p: Params
) -> tuple[np.ndarray, np.ndarray]:
    """Return replacement capex and duration, optimism bias applied.

    capex = the inventory's estimate, else replacement_capex_multiple x run cost (the prior run cost when the
    run cost is 0: replacement is never free); duration = the inventory's years, else replacement_years.
    """
    base_run = np.where(run > 0, run, prior_run)
    base_capex = np.where(np.isfinite(estimate), estimate, p["replacement_capex_multiple"] * base_run)
    base_years = np.where(np.isfinite(years) & (years > 0), years, p["replacement_years"])
    capex = base_capex * (1.0 + p["optimism_bias_capex"])
    duration = np.clip(base_years * (1.0 + p["optimism_bias_duration"]), 0.1, 20.0)
    return capex, duration


def payback_years(
    run: np.ndarray,
    premium: np.ndarray,
    hidden: np.ndarray,
    capex: np.ndarray,
    duration: np.ndarray,
    p: Mapping[str, float],
) -> np.ndarray:
    """Return each system's discounted payback: the first year (year 0 = 1) whose cumulative discounted net benefit
    is >= 0, on the central case (expected inputs, central parameters); NaN if none within the horizon."""
    life = round(float(p["operating_life_years"]))
    horizon = int(np.ceil(np.max(duration, initial=0.0))) + life + 1
    years = np.arange(horizon)[None, :]
    v = 1.0 / (1.0 + p["discount_rate"])
    run, premium, hidden, capex, duration = (np.asarray(a, float)[:, None] for a in (run, premium, hidden, capex,
                                                                                     duration))  # fmt: skip
    growth = np.where(premium + hidden > 0, p["legacy_cost_growth"], 0.0)
    in_build = np.clip(duration - years, 0.0, 1.0)
    operating = np.clip(years + 1 - duration, 0.0, 1.0) * np.clip(duration + life - years, 0.0, 1.0)
    successor = (run - premium) * p["new_run_cost_share"] + (premium + hidden) * p["residual_hidden_share"]
    status_quo = run + hidden + (premium + hidden) * ((1 + growth) ** years - 1)
    net = (1 - p["optimism_bias_benefits"]) * (status_quo - successor) * operating - capex / duration * in_build
    one_off = successor * p["dual_running_years"] + p["transition_cost_share"] * capex
    one_off = one_off + p["decommissioning_share_of_run_cost"] * run
    net = net - one_off * (years == np.floor(duration))
    paid = np.cumsum(net * v**years, axis=1) >= 0
    return np.where(paid.any(axis=1), paid.argmax(axis=1) + 1.0, np.nan)
