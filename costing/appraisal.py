"""HM Treasury Green Book appraisal of each system's options over one appraisal period, by Monte Carlo.

Three options per system, all appraised over the same period of T = appraisal_years whole years
(Green Book: options are compared over a common horizon, with residual values at its end):
- business as usual (BAU) keeps the system, following the model's own rules year by year;
- act now: replace (or, for a system to retire, decommission) starting in year 0;
- act a year later: the same, starting in year 1.
NPV = PV(BAU costs) - PV(the option's costs), so an option's NPV is what it saves against BAU.

Business as usual in year t (t = 0 .. T-1), each component as costing.hidden defines it:
- extended support is charged while the vendor sells it: the component at (years past end of support + t),
  which is 0 before end of support and after esu_years (then support has lapsed);
- support effort and scarce skills grow with age: x (1 + legacy_cost_growth)^min(t, legacy_cost_growth_years);
  no premium grows for ever;
- hosting, manual workarounds, outages and change blocked stay as they are (real terms);
- the risks (security, service failure) take their unsupported values from the year support lapses
  (years past end of support + t > esu_years, when end of support is known).

Acting (year s = 0 now, 1 later) with capex C and duration D (costing.appraisal.capex_and_duration):
- the legacy system runs until cut-over c = min(s + D, T); capex is spent evenly over [s, c), part
  years pro rata;
- at cut-over: dual running (successor's cash cost x dual_running_years), transition
  (transition_cost_share x C) and decommissioning (decommissioning_share_of_run_cost x run cost),
  discounted at v^c;
- from cut-over the successor costs (run - premium) x new_run_cost_share in cash and keeps
  residual_hidden_share of the hidden cost; a system retired is not succeeded: retired_service_share of
  its non-premium run cost moves to the systems that absorb its work;
- savings in year t = the overlap of year t with [c, T) x (1 - optimism_bias_benefits) x
  (cash: BAU cash cost - successor's cash cost; economic: that + (1 - residual_hidden_share) x hidden(t));
- residual value at T = the un-uplifted capex x max(0, 1 - (T - c) / asset_life_years) x v^T
  (an economic value, not cash; a retirement leaves no asset).
cash NPV = PV(cash savings) - PV(costs); economic NPV = PV(economic savings) + residual - PV(costs),
so cash NPV <= economic NPV. Cost of delay = E[NPV now] - E[NPV a year later]: positive exactly when
acting now beats acting a year later. Discounting: 1 / (1 + discount_rate)^t (the 0-30 year rate; T <= 30).
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


def horizon(p: Params) -> int:
    """Return the appraisal period T in whole years (at most 30, the Green Book's first discount band)."""
    return int(min(30, max(1, round(float(np.max(p["appraisal_years"]))))))


@dataclass
class ExtendedSupport:
    """Extended support under business as usual, by year (costing.hidden.extended_support_premium t years on).

    now is the component's value in year 0; from year 1 costing.hidden.extended_support_at(years + t, ...):
    lines x share / (1 + share) while the vendor sells it, else 0.
    """

    now: np.ndarray
    lines: np.ndarray
    window: np.ndarray
    microsoft: np.ndarray
    years: np.ndarray

    @classmethod
    def none(cls, like: np.ndarray) -> ExtendedSupport:
        """Return no extended support in any year, shaped like `like`."""
        zeros = np.zeros_like(np.asarray(like, np.float64))
        return cls(zeros, zeros, zeros, zeros, np.full_like(zeros, -np.inf))

    def at(self, t: int, p: Params) -> np.ndarray:
        """Return extended support in year t."""
        from costing.hidden import extended_support_at

        return self.now if t == 0 else extended_support_at(self.years + t, self.lines, self.window, self.microsoft, p)


@dataclass
class BusinessAsUsual:
    """Business as usual year by year (arrays: systems, or systems x draws)."""

    run: np.ndarray  # the ledger's run cost (includes the premium)
    premium: np.ndarray  # legacy premium now (every premium component)
    extended_support: ExtendedSupport  # extended support by year (0 once the vendor stops selling)
    ageing: np.ndarray  # the premium components that grow with age (support effort, scarce skills), now
    steady: np.ndarray  # hidden cost that stays as it is (workarounds, outages, change blocked)
    risk: np.ndarray  # the risk components now (security, service failure)
    risk_lapsed: np.ndarray  # the risk components once support has lapsed
    lapses: np.ndarray  # first year t in which support has lapsed (0 = already; inf = not known to lapse)

    def cash(self, t: int, p: Params) -> np.ndarray:
        """Return the BAU cash (ledger) cost in year t."""
        growth = (1.0 + p["legacy_cost_growth"]) ** np.minimum(float(t), p["legacy_cost_growth_years"])
        esu = self.extended_support
        extra = esu.at(t, p) - esu.now + self.ageing * (growth - 1.0)
        return self.run + extra

    def hidden(self, t: int) -> np.ndarray:
        """Return the BAU hidden (off-ledger) cost in year t."""
        return self.steady + np.where(t >= self.lapses, self.risk_lapsed, self.risk)


@dataclass
class Flows:
    """Present values of acting on each system (arrays: systems x draws, GBP)."""

    npv: np.ndarray  # economic NPV (cash, non-cash and risk)
    cash_npv: np.ndarray  # cash-releasing NPV (budget view)
    benefits: np.ndarray  # PV of economic savings + residual value
    costs: np.ndarray  # PV of capex, dual running, transition, decommissioning
    residual: np.ndarray  # PV of the asset's residual value at the end of the period (in benefits)
    yearly_net: np.ndarray | None = None  # systems x T: the expected economic net flow of each year, discounted


def appraise(
    bau: BusinessAsUsual,
    capex: np.ndarray,
    base_capex: np.ndarray,
    duration: np.ndarray,
    retire: np.ndarray,
    p: Params,
    delays: tuple[int, ...] = (0, 1),
    yearly: bool = False,
) -> list[Flows]:
    """Return the flows of acting in each year of `delays` (0 = now), all over the one appraisal period.

    capex and duration carry optimism bias; base_capex is the asset value before it (for the residual);
    retire is 1 where the action is to decommission without a successor. With `yearly`, the first option's
    expected discounted net flow per year is kept (for payback).

    The year-by-year arithmetic is one compiled pass over the system-draws (costing._kernels.appraise_each):
    every system-draw's years are summed in registers, in the order and with the operations written in the
    module docstring, instead of some 30 numpy passes over systems x draws a year.
    """
    from costing._kernels import appraise_each  # numba: compiled when first imported, then loaded from its cache

    periods = horizon(p)
    factors = discount_factors(periods, float(np.max(p["discount_rate"])), float(np.max(p["discount_rate_after_30"])))
    successor = np.where(retire > 0, p["retired_service_share"], p["new_run_cost_share"]) * (bau.run - bau.premium)
    at_cutover = successor * p["dual_running_years"] + p["transition_cost_share"] * capex
    at_cutover = at_cutover + p["decommissioning_share_of_run_cost"] * bau.run
    esu = bau.extended_support
    # per system-draw inputs, and per-draw parameters (the last axis)
    cells = (bau.run, successor, esu.now, esu.lines, esu.window, esu.microsoft, esu.years, bau.ageing, bau.steady,
             bau.risk, bau.risk_lapsed, bau.lapses, capex, duration, base_capex, retire, at_cutover)  # fmt: skip
    names = ("esu_first_year_share", "esu_yearly_step", "esu_other_share", "discount_rate", "optimism_bias_benefits",
             "residual_hidden_share", "asset_life_years")  # fmt: skip
    shape = np.broadcast_shapes(*(np.shape(c) for c in cells), *(np.shape(p[n]) for n in names))
    flat = len(shape) < 2  # one draw: systems only
    shape2 = (shape[0] if shape else 1, 1) if flat else shape
    draws = shape2[1]

    def cell(x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, np.float64)
        return np.broadcast_to(x.reshape(x.shape + (1,) * (2 - x.ndim)) if flat else x, shape2)

    def per_draw(x: np.ndarray | float) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(np.asarray(x, np.float64), (draws,)))

    years = np.arange(periods, dtype=np.float64)[:, None]
    growth = (1.0 + per_draw(p["legacy_cost_growth"])) ** np.minimum(years, per_draw(p["legacy_cost_growth_years"]))
    v = 1.0 / (1.0 + per_draw(p["discount_rate"]))
    draw_values = np.vstack([per_draw(p[n]) for n in names[:3]] + [v, 1.0 - per_draw(p["optimism_bias_benefits"]),
                            1.0 - per_draw(p["residual_hidden_share"]), per_draw(p["asset_life_years"])])  # fmt: skip
    starts = np.array([float(start) for start in delays])
    out = np.empty((len(delays), 5, *shape2))
    net = np.zeros((shape2[0], periods)) if yearly else np.zeros((0, periods))
    appraise_each(*(cell(c) for c in cells), draw_values, np.ascontiguousarray(growth), factors, starts, out, net)
    if flat:
        out = out[..., 0]
    results = []
    for k in range(len(delays)):
        npv, cash_npv, benefits, costs, residual = out[k]
        results.append(Flows(npv, cash_npv, benefits, costs, residual, net if yearly and k == 0 else None))
    return results


def capex_and_duration(
    run: np.ndarray,
    estimate: np.ndarray,
    years: np.ndarray,
    prior_run: np.ndarray,
    p: Params,
    mitigation: np.ndarray | float = 0.0,
    retire: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (capex, duration, base capex): capex and duration with optimism bias, and capex before it.

    base capex = the inventory's estimate, else replacement_capex_multiple x run cost (the prior run cost
    when the run cost is 0: replacement is never free); a system to retire costs retirement_cost_multiple x
    run cost (switch-off, migration of data and users) unless the inventory estimates it. Duration = the
    inventory's years, else replacement_years (retirement_years to retire). Optimism bias at the
    supplementary guidance's upper bounds, reduced only by a recorded mitigation (0-1):
    capex = base x (1 + optimism_bias_capex x (1 - mitigation)), duration = years x (1 +
    optimism_bias_duration x (1 - mitigation)), clipped to 0.1-20 years.
    """
    base_run = np.where(run > 0, run, prior_run)
    multiple = np.where(retire > 0, p["retirement_cost_multiple"], p["replacement_capex_multiple"])
    base_capex = np.where(np.isfinite(estimate), estimate, multiple * base_run)
    default_years = np.where(retire > 0, p["retirement_years"], p["replacement_years"])
    base_years = np.where(np.isfinite(years) & (years > 0), years, default_years)
    kept = 1.0 - np.clip(np.nan_to_num(mitigation, nan=0.0), 0.0, 1.0)
    capex = base_capex * (1.0 + p["optimism_bias_capex"] * kept)
    duration = np.clip(base_years * (1.0 + p["optimism_bias_duration"] * kept), 0.1, 20.0)
    return capex, duration, base_capex


def outturn_spread(normal: np.ndarray, sigma: float | np.ndarray) -> np.ndarray:
    """Return a mean-1 lognormal factor exp(sigma z - sigma^2 / 2): how far an outturn falls from its estimate."""
    return np.exp(sigma * normal - sigma**2 / 2.0)


def payback_years(yearly_net: np.ndarray) -> np.ndarray:
    """Return the discounted payback year (year 0 = 1) from expected discounted net flows (systems x T): the first
    year whose cumulative expected flow is > 0, the residual value counted in the last year; NaN if none.

    On expected flows, so every system with E[NPV] > 0 pays back within the period.
    """
    paid = np.cumsum(yearly_net, axis=1) > 0
    return np.where(paid.any(axis=1), paid.argmax(axis=1) + 1.0, np.nan)
