"""The compiled appraisal (costing._kernels) against the year-by-year numpy definition it replaced."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costing.appraisal import BusinessAsUsual, ExtendedSupport, appraise, discount_factors, horizon
from costing.hidden import extended_support_terms
from pipeline.settings import load_parameters

PARAMS = load_parameters()


def _overlap(t: int, start, stop):
    return np.clip(np.minimum(stop, t + 1.0) - np.maximum(start, float(t)), 0.0, 1.0)


def reference(bau: BusinessAsUsual, capex, base_capex, duration, retire, p, delays=(0, 1)):
    """The numpy appraisal of release 0.2 (one pass over systems x draws per year and option), for comparison."""
    periods = horizon(p)
    factors = discount_factors(periods, float(np.max(p["discount_rate"])), float(np.max(p["discount_rate_after_30"])))
    v = 1.0 / (1.0 + p["discount_rate"])
    shortfall = 1.0 - p["optimism_bias_benefits"]
    successor = np.where(retire > 0, p["retired_service_share"], p["new_run_cost_share"]) * (bau.run - bau.premium)
    cutovers = [np.minimum(start + duration, float(periods)) for start in delays]
    at_cutover = successor * p["dual_running_years"] + p["transition_cost_share"] * capex
    at_cutover = at_cutover + p["decommissioning_share_of_run_cost"] * bau.run
    pairs = zip(delays, cutovers, strict=True)
    one_offs = [np.where(start + duration < periods, at_cutover * v**c, 0.0) for start, c in pairs]
    cash, economic, build = ([0.0 for _ in delays] for _ in range(3))
    net = []
    for t in range(periods):
        saving = bau.cash(t, p) - successor
        gain = saving + (1.0 - p["residual_hidden_share"]) * bau.hidden(t)
        for k, (start, cutover) in enumerate(zip(delays, cutovers, strict=True)):
            operating = _overlap(t, cutover, float(periods)) * factors[t]
            building = _overlap(t, float(start), cutover) * factors[t]
            cash[k] = cash[k] + operating * saving
            economic[k] = economic[k] + operating * gain
            build[k] = build[k] + building
            if k == 0:
                flow = shortfall * operating * gain - capex / duration * building
                net.append(np.mean(flow - np.where(np.floor(cutover) == t, one_offs[0], 0.0), axis=-1))
    results = []
    for k, (start, cutover) in enumerate(zip(delays, cutovers, strict=True)):
        costs = capex / duration * build[k] + one_offs[k]
        built = np.clip((periods - start) / duration, 0, 1)
        worth = built * np.maximum(0, 1 - (periods - cutover) / p["asset_life_years"])
        residual = np.where(retire > 0, 0.0, base_capex * worth * factors[-1] * v)
        benefits = shortfall * economic[k] + residual
        results.append((benefits - costs, shortfall * cash[k] - costs, benefits, costs, residual))
    net[-1] = net[-1] + np.mean(np.broadcast_to(results[0][4], np.shape(results[0][0])), axis=-1)
    return results, np.stack(net, axis=-1)


def estate(seed: int, systems: int, draws: int):
    """Random business as usual, actions and drawn parameters (every part of the appraisal exercised)."""
    rng = np.random.default_rng(seed)
    p = PARAMS.draws(draws, rng)
    column = lambda low, high: rng.uniform(low, high, (systems, 1))  # noqa: E731
    cell = lambda low, high: rng.uniform(low, high, (systems, draws))  # noqa: E731
    run = cell(1e4, 1e7)
    s = {"licence_cost_gbp": np.where(column(0, 1) < 0.5, column(0, 1e5), 0.0), "staff_cost_gbp": column(0, 1e5),
         "hosting_cost_gbp": np.zeros((systems, 1)), "run_cost_gbp": run,
         "esu_microsoft": (column(0, 1) < 0.5).astype(float)}  # fmt: skip
    lines, window, microsoft = extended_support_terms(s, p)
    years = column(-6, 6)
    esu = ExtendedSupport(np.broadcast_to(lines * 0.3, run.shape), lines, window, microsoft, years)
    lapses = np.where(column(0, 1) < 0.3, np.inf, np.floor(column(0, 8)))
    bau = BusinessAsUsual(run, run * cell(0, 0.4), esu, run * cell(0, 0.2), cell(0, 1e5), cell(0, 1e5),
                          cell(0, 3e5), lapses)  # fmt: skip
    capex = run * cell(0.5, 6)
    duration = np.clip(column(0.05, 18) * cell(0.5, 1.5), 0.1, 20)
    retire = (column(0, 1) < 0.2).astype(float)
    return bau, capex, capex / 3, duration, retire, p


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 64))
def test_the_compiled_appraisal_is_the_year_by_year_definition(seed, systems, draws):
    bau, capex, base, duration, retire, p = estate(seed, systems, draws)
    flows = appraise(bau, capex, base, duration, retire, p, yearly=True)
    expected, net = reference(bau, capex, base, duration, retire, p)
    for got, want in zip(flows, expected, strict=True):
        for value, target in zip((got.npv, got.cash_npv, got.benefits, got.costs, got.residual), want, strict=True):
            # the same operations in the same order; numpy's SIMD pow and the C library's differ in the last bit
            np.testing.assert_allclose(value, target, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(flows[0].yearly_net, net, rtol=1e-9, atol=1e-3)
    assert flows[0].yearly_net.sum(axis=1) == pytest.approx(flows[0].npv.mean(axis=1), rel=1e-9, abs=1e-3)


def test_views_and_copies_give_the_same_bits_and_one_draw_keeps_its_shape():
    bau, capex, base, duration, retire, p = estate(3, 30, 50)
    first = appraise(bau, capex, base, duration, retire, p, yearly=True)[0]
    copied = BusinessAsUsual(*(np.array(np.broadcast_to(x, capex.shape)) if isinstance(x, np.ndarray) else x
                               for x in (bau.run, bau.premium, bau.extended_support, bau.ageing, bau.steady,
                                         bau.risk, bau.risk_lapsed, bau.lapses)))  # fmt: skip
    again = appraise(copied, capex, base, duration, retire, p, yearly=True)[0]
    assert np.array_equal(first.npv, again.npv) and np.array_equal(first.yearly_net, again.yearly_net)
    central = {name: float(np.mean(values)) for name, values in p.items()}
    one = BusinessAsUsual(*(x[:, 0] if isinstance(x, np.ndarray) else
                            ExtendedSupport(*(np.broadcast_to(y, capex.shape)[:, 0] for y in vars(x).values()))
                            for x in (bau.run, bau.premium, bau.extended_support, bau.ageing, bau.steady,
                                      bau.risk, bau.risk_lapsed, bau.lapses)))  # fmt: skip
    flows = appraise(one, capex[:, 0], base[:, 0], duration[:, 0], retire[:, 0], central, delays=(0,))
    assert flows[0].npv.shape == (30,)
    expected, _ = reference(one, capex[:, 0], base[:, 0], duration[:, 0], retire[:, 0], central, delays=(0,))
    np.testing.assert_allclose(flows[0].npv, expected[0][0], rtol=1e-12, atol=1e-6)
