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

from collections.abc import Callable, Mapping
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
class BusinessAsUsual:
    """Business as usual year by year (arrays: systems, or systems x draws)."""

    run: np.ndarray  # the ledger's run cost (includes the premium)
    premium: np.ndarray  # legacy premium now (every premium component)
    extended_support: Callable[[int], np.ndarray]  # extended support in year t (0 once the vendor stops selling)
    ageing: np.ndarray  # the premium components that grow with age (support effort, scarce skills), now
    steady: np.ndarray  # hidden cost that stays as it is (workarounds, outages, change blocked)
    risk: np.ndarray  # the risk components now (security, service failure)
    risk_lapsed: np.ndarray  # the risk components once support has lapsed
    lapses: np.ndarray  # first year t in which support has lapsed (0 = already; inf = not known to lapse)

    def cash(self, t: int, p: Params) -> np.ndarray:
        """Return the BAU cash (ledger) cost in year t."""
        growth = (1.0 + p["legacy_cost_growth"]) ** np.minimum(float(t), p["legacy_cost_growth_years"])
        extra = self.extended_support(t) - self.extended_support(0) + self.ageing * (growth - 1.0)
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


def _overlap(t: int, start: np.ndarray | float, stop: np.ndarray | float) -> np.ndarray:
    """Return the part of year [t, t+1) inside [start, stop): min(max(min(stop, t+1) - max(start, t), 0), 1).

    Clipped in place on the one new array (np.clip's values, NaN included, without its temporaries)."""
    part = np.subtract(np.minimum(stop, t + 1.0), np.maximum(start, float(t)))
    if not isinstance(part, np.ndarray):
        return np.clip(part, 0.0, 1.0)
    return np.minimum(np.maximum(part, 0.0, out=part), 1.0, out=part)


def _add(total: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Return total + part, in place where the shapes agree (the same sum, without a new array)."""
    if np.shape(part) == total.shape:
        total += part
        return total
    return total + part


def _draws_mean(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Return the mean over draws (axis 1) of values broadcast to like's shape; 1-D values are one draw."""
    values = np.broadcast_to(values, like.shape)
    return values.mean(axis=1) if values.ndim == 2 else values


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
    """
    periods = horizon(p)
    factors = discount_factors(periods, float(np.max(p["discount_rate"])), float(np.max(p["discount_rate_after_30"])))
    v = 1.0 / (1.0 + p["discount_rate"])
    shortfall = 1.0 - p["optimism_bias_benefits"]
    successor = np.where(retire > 0, p["retired_service_share"], p["new_run_cost_share"]) * (bau.run - bau.premium)
    starts = [float(start) for start in delays]
    cutovers = [np.minimum(start + duration, float(periods)) for start in starts]
    at_cutover = successor * p["dual_running_years"] + p["transition_cost_share"] * capex
    at_cutover = at_cutover + p["decommissioning_share_of_run_cost"] * bau.run
    one_offs = [np.where(start + duration < periods, at_cutover * v**cutover, 0.0)
                for start, cutover in zip(starts, cutovers, strict=True)]  # fmt: skip
    shape = np.broadcast_shapes(np.shape(bau.run), np.shape(capex), np.shape(duration))
    cash, economic, build = ([np.zeros(shape) for _ in starts] for _ in range(3))
    net = np.zeros((shape[0], periods)) if yearly else None
    build_rate = capex / duration  # capex spent per year of building
    cutover_year = np.floor(cutovers[0])  # the year the first option's one-off costs fall in
    for t in range(periods):  # business as usual once a year, for every option
        saving = bau.cash(t, p) - successor
        gain = saving + (1.0 - p["residual_hidden_share"]) * bau.hidden(t)
        for k, (start, cutover) in enumerate(zip(starts, cutovers, strict=True)):
            operating = _overlap(t, cutover, float(periods))
            operating *= factors[t]
            building = _overlap(t, start, cutover)
            building *= factors[t]
            cash[k] = _add(cash[k], operating * saving)
            economic[k] = _add(economic[k], operating * gain)
            build[k] = _add(build[k], building)
            if net is not None and k == 0:
                flow = shortfall * operating * gain - build_rate * building
                net[:, t] = _draws_mean(flow - np.where(cutover_year == t, one_offs[0], 0.0), cash[0])
    results = []
    for k, (start, cutover) in enumerate(zip(starts, cutovers, strict=True)):
        costs = build_rate * build[k] + one_offs[k]
        # the asset at T: its un-uplifted cost, the part built, less straight-line depreciation since cut-over
        built = np.clip((periods - start) / duration, 0.0, 1.0)
        worth = built * np.maximum(0.0, 1.0 - (periods - cutover) / p["asset_life_years"])
        residual = np.where(retire > 0, 0.0, base_capex * worth * factors[-1] * v)
        benefits = shortfall * economic[k] + residual
        yearly_net = None
        if net is not None and k == 0:
            net[:, -1] += _draws_mean(residual, cash[0])
            yearly_net = net
        results.append(Flows(benefits - costs, shortfall * cash[k] - costs, benefits, costs, residual, yearly_net))
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
