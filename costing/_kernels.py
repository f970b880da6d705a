"""Compiled loops (numba) for the Monte Carlo's per system-draw arithmetic that numpy can only do in many passes.

Each kernel does, per element and in the same order, the operations the numpy reference in its docstring
names, so its figures are the same bits: numba compiles without fastmath (IEEE arithmetic, no reassociation)
and calls the same libm `pow` and `floor`. Compiled on first use and cached beside this file (or in numba's
user cache when the package folder is read-only), so a process pays the compile once per machine.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _mean(values):
    """Return the mean of a 1-D array, summed in eight interleaved partial sums (numpy's pairwise sum does the same
    within each block of 128; the last bits can differ from numpy's, the order is fixed)."""
    n = values.shape[0]
    partial = np.zeros(8)
    blocks = n - n % 8
    for j in range(0, blocks, 8):
        for lane in range(8):
            partial[lane] += values[j + lane]
    total = (partial[0] + partial[1]) + (partial[2] + partial[3])
    total += (partial[4] + partial[5]) + (partial[6] + partial[7])
    for j in range(blocks, n):
        total += values[j]
    return total / n


_CELL = numba.types.Array(numba.float64, 2, "A", readonly=True)  # a broadcast view of systems x draws
_ROWS = numba.float64[:, ::1]
# one signature, compiled once (and cached): every element input arrives as a read-only view whatever its layout
_APPRAISE = numba.void(*([_CELL] * 17), _ROWS, _ROWS, numba.float64[::1], numba.float64[::1],
                       numba.float64[:, :, :, ::1], _ROWS)  # fmt: skip


@numba.njit(_APPRAISE, cache=True, nogil=True, error_model="numpy")
def appraise_each(
    run, successor, esu_now, esu_lines, esu_window, esu_microsoft, esu_years, ageing, steady, risk, risk_lapsed,
    lapses, capex, duration, base_capex, retire, at_cutover, draw_values, growth, factors, starts, out, net,
):  # fmt: skip
    """costing.appraisal.appraise for every system-draw: out[k] = (npv, cash npv, benefits, costs, residual) of
    acting in year starts[k]; net (systems x T, or 0 rows) += the first option's expected discounted net flow.

    Element inputs are systems x draws (broadcast views); draw_values rows: esu_first_year_share,
    esu_yearly_step, esu_other_share, v = 1 / (1 + discount rate), 1 - optimism_bias_benefits,
    1 - residual_hidden_share, asset_life_years; growth[t, d] = (1 + legacy_cost_growth)^min(t,
    legacy_cost_growth_years); factors[t] the discount factors. Year by year, as BusinessAsUsual.cash and
    .hidden define business as usual and the module docstring of costing.appraisal defines acting.
    """
    systems, draws = run.shape
    periods = factors.shape[0]
    options = starts.shape[0]
    horizon = float(periods)
    yearly = net.shape[0] > 0
    first, step, other_share = draw_values[0], draw_values[1], draw_values[2]
    v, shortfall, kept, asset_life = draw_values[3], draw_values[4], draw_values[5], draw_values[6]
    # one system's row at a time, copied contiguous so that the loops over draws vectorise
    r_run, r_successor, r_now, r_lines = np.empty(draws), np.empty(draws), np.empty(draws), np.empty(draws)
    r_window, r_microsoft, r_years, r_ageing = np.empty(draws), np.empty(draws), np.empty(draws), np.empty(draws)
    r_steady, r_risk, r_lapsed, r_lapses = np.empty(draws), np.empty(draws), np.empty(draws), np.empty(draws)
    r_duration, r_rate = np.empty(draws), np.empty(draws)
    cutover = np.empty((options, draws))
    one_off = np.empty((options, draws))
    cash = np.empty((options, draws))
    economic = np.empty((options, draws))
    build = np.empty((options, draws))
    saving = np.empty(draws)
    gain = np.empty(draws)
    flow = np.empty(draws)
    op0 = np.empty(draws)
    bld0 = np.empty(draws)
    for i in range(systems):
        for d in range(draws):
            r_run[d] = run[i, d]
            r_successor[d] = successor[i, d]
            r_now[d] = esu_now[i, d]
            r_lines[d] = esu_lines[i, d]
            r_window[d] = esu_window[i, d]
            r_microsoft[d] = esu_microsoft[i, d]
            r_years[d] = esu_years[i, d]
            r_ageing[d] = ageing[i, d]
            r_steady[d] = steady[i, d]
            r_risk[d] = risk[i, d]
            r_lapsed[d] = risk_lapsed[i, d]
            r_lapses[d] = lapses[i, d]
            r_duration[d] = duration[i, d]
            r_rate[d] = capex[i, d] / duration[i, d]
        earliest, latest, widest = r_years.min(), r_years.max(), r_window.max()  # when extended support can apply
        for k in range(options):
            start = starts[k]
            c_k, o_k = cutover[k], one_off[k]
            for d in range(draws):
                end = start + r_duration[d]
                c_k[d] = end if end < horizon else horizon
                o_k[d] = at_cutover[i, d] * v[d] ** c_k[d] if end < horizon else 0.0
            cash[k, :] = 0.0
            economic[k, :] = 0.0
            build[k, :] = 0.0
        for t in range(periods):
            tf = float(t)
            g = growth[t]
            if t == 0 or not (latest + tf > 0.0 and earliest + tf <= widest):  # no extended support this year
                for d in range(draws):
                    esu = r_now[d] if t == 0 else 0.0
                    saving[d] = (r_run[d] + ((esu - r_now[d]) + r_ageing[d] * (g[d] - 1.0))) - r_successor[d]
            else:
                for d in range(draws):
                    y = r_years[d] + tf
                    whole = np.floor(y) if y > 0.0 else 0.0
                    share = first[d] + step[d] * whole if r_microsoft[d] > 0 else other_share[d]
                    esu = r_lines[d] * share / (1.0 + share) if (y > 0) and (y <= r_window[d]) else 0.0
                    saving[d] = (r_run[d] + ((esu - r_now[d]) + r_ageing[d] * (g[d] - 1.0))) - r_successor[d]
            for d in range(draws):
                hidden = r_steady[d] + (r_lapsed[d] if tf >= r_lapses[d] else r_risk[d])
                gain[d] = saving[d] + kept[d] * hidden
            f = factors[t]
            upper = tf + 1.0
            for k in range(options):
                start = starts[k]
                c_k, cash_k, economic_k, build_k = cutover[k], cash[k], economic[k], build[k]
                after = start if start > tf else tf
                for d in range(draws):
                    # the part of year [t, t + 1) in operation [cutover, T) and in building [start, cutover)
                    c = c_k[d]
                    operating = (horizon if horizon < upper else upper) - (c if c > tf else tf)
                    operating = (1.0 if operating > 1.0 else operating) if operating > 0.0 else 0.0
                    operating = operating * f
                    building = (c if c < upper else upper) - after
                    building = (1.0 if building > 1.0 else building) if building > 0.0 else 0.0
                    building = building * f
                    cash_k[d] += operating * saving[d]
                    economic_k[d] += operating * gain[d]
                    build_k[d] += building
                    if k == 0:
                        op0[d] = operating
                        bld0[d] = building
            if yearly:
                c0, o0 = cutover[0], one_off[0]
                for d in range(draws):
                    flow[d] = (shortfall[d] * op0[d] * gain[d] - r_rate[d] * bld0[d]) - (
                        o0[d] if np.floor(c0[d]) == tf else 0.0
                    )
                net[i, t] += _mean(flow)
        for k in range(options):
            start = starts[k]
            for d in range(draws):
                costs = r_rate[d] * build[k, d] + one_off[k, d]
                built = (horizon - start) / r_duration[d]
                built = (1.0 if built > 1.0 else built) if built > 0.0 else 0.0
                left = 1.0 - (horizon - cutover[k, d]) / asset_life[d]
                worth = built * (left if left > 0.0 else 0.0)
                residual = 0.0 if retire[i, d] > 0 else base_capex[i, d] * worth * factors[periods - 1] * v[d]
                benefits = shortfall[d] * economic[k, d] + residual
                out[k, 0, i, d] = benefits - costs
                out[k, 1, i, d] = shortfall[d] * cash[k, d] - costs
                out[k, 2, i, d] = benefits
                out[k, 3, i, d] = costs
                out[k, 4, i, d] = residual
                flow[d] = residual
            if yearly and k == 0:
                net[i, periods - 1] += _mean(flow)
