"""Monte Carlo over every uncertain parameter and every assumed input: expected values and P10/P90.

The expected value (the mean of the draws) is the central figure everywhere: it is what adds up,
component by component, system by system, department by department. P10 and P90 are beside it.

Parameters are drawn once per draw (PERT between low and high). An assumed input (one the inventory
lacks, see `costing.inputs.PRIORS`) is drawn from its prior *for each system separately*: each system
reads the prior's draws rotated by its own seeded offset, so every system has the prior's
distribution while systems stay independent and nothing is recomputed per system. A system's legacy
status is drawn the same way (costing.legacy): 1 with its probability at the draw's parameters, else 0,
so every component, the appraisal and the ranking carry it. An imputed run
cost is drawn lognormally around its expected value with the imputation's spread; a run cost that
could not be imputed is drawn from prior_run_cost.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from costing.appraisal import appraise, capex_and_duration, outturn_spread, payback_years
from costing.gaps import parameter_groups
from costing.hidden import COMPONENTS, breach_probability
from costing.information import basis, evppi_each
from costing.inputs import PRIORS, SCALED_PRIORS, input_arrays
from costing.legacy import evidence_matrix, legacy_probability
from costing.options import action_inputs, business_as_usual
from costing.parameters import Parameters

PERCENTILES = (10, 90)
PERCENTILE_COLUMNS = tuple(f"hidden_cost_p{q}_gbp" for q in PERCENTILES)
# Bounds memory (about 15 arrays of chunk x draws float64 at once) and keeps each array near the cache: at
# 1,000 draws an array is 2 MB, and the Monte Carlo of 10,000 systems ran in 5.6 s against 12 s with 2,500
# systems a chunk (20 MB arrays; 7.7 s at 1,000, 7.6 s at 500, 6.2 s at 125; benchmarks/NOTES.md). Each
# system's figures do not depend on it; department sums add chunk by chunk (their last bits move with it).
SYSTEMS_PER_CHUNK = 250
APPRAISAL_COLUMNS = (
    "npv_gbp", "npv_p10_gbp", "npv_p90_gbp", "probability_npv_positive", "benefits_pv_gbp", "costs_pv_gbp",
    "npv_delayed_gbp", "replacement_capex_gbp", "replacement_duration_years", "cash_npv_gbp", "cash_npv_p10_gbp",
    "cash_npv_p90_gbp", "replacement_capex_p10_gbp", "replacement_capex_p90_gbp", "replacement_years_p10",
    "replacement_years_p90", "payback_year",
)  # fmt: skip
SYSTEM_COLUMNS = (
    "system_id", *(c.column for c in COMPONENTS), "legacy_premium_gbp", "hidden_cost_gbp", *PERCENTILE_COLUMNS,
    "breach_probability", "assumed_hidden_gbp", *APPRAISAL_COLUMNS, "legacy_probability",
)  # fmt: skip
# offset columns beyond the priors' own: run cost, legacy status, capex and duration outturns
RUN_COST_DRAW, LEGACY_DRAW, CAPEX_DRAW, DURATION_DRAW = (len(PRIORS) + k for k in range(4))
NOISE_PERMUTATIONS = 5  # the EVPPI noise floor: the largest of this many permuted estimates
DECISION_DRAWS = 200  # draws of each system's NPV per GBP of capex kept for rank stability (float32)
DEPARTMENT_COLUMNS = (
    "department", "legacy_premium_gbp", "legacy_premium_unobserved_gbp", "hidden_cost_gbp", *PERCENTILE_COLUMNS,
)  # fmt: skip


@dataclass
class Uncertainty:
    """Expected values and P10/P90 of annual cost (GBP) by system, department and estate."""

    systems: pd.DataFrame  # SYSTEM_COLUMNS
    departments: pd.DataFrame  # DEPARTMENT_COLUMNS
    # legacy_premium_gbp (observed costs only), legacy_premium_unobserved_gbp, hidden_cost_gbp, P10/P90,
    # implied_breaches_per_year, assumed_hidden_gbp
    estate: dict[str, float]
    draws: int
    seed: int
    decision_draws: np.ndarray  # systems x min(draws, DECISION_DRAWS): NPV / capex in each draw
    evppi: dict[str, float]  # parameter group -> expected value of partial perfect information (GBP)
    # parameter group -> the largest of the same estimate against its parameters' draws permuted
    # NOISE_PERMUTATIONS times (pure noise: the floor below which an EVPPI says nothing); both over the
    # decided systems (replacement candidates) only
    evppi_noise_floor: dict[str, float]


ChunkResult = tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, tuple[float, np.ndarray]]]
ChunkMap = Callable[[Callable[["ChunkContext", int], ChunkResult], "ChunkContext", list[int]], list[ChunkResult]]


@dataclass(frozen=True)
class ChunkContext:
    """Everything one chunk of systems needs, drawn once on the driver (picklable: an engine may ship it)."""

    frame: pd.DataFrame
    p: dict[str, np.ndarray]
    offsets: np.ndarray
    normal: np.ndarray
    codes: np.ndarray
    departments: int
    draws: int
    kept: int
    bases: dict[str, tuple[np.ndarray, list[np.ndarray]]]  # group -> (basis of its draws, of them permuted)
    chunk: int = SYSTEMS_PER_CHUNK  # systems a chunk: the driver's choice, obeyed wherever the chunk runs


def local_chunks(function: Callable[[ChunkContext, int], ChunkResult], context: ChunkContext,
                 starts: list[int]) -> list[ChunkResult]:  # fmt: skip
    """Run the chunks on this machine, two at a time (numpy releases the GIL); results in chunk order."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda start: function(context, start), starts))


def simulate(
    frame: pd.DataFrame, parameters: Parameters, draws: int, seed: int, map_chunks: ChunkMap = local_chunks
) -> Uncertainty:
    """Return expected values and percentiles from `draws` seeded draws; the same seed gives the same bits.

    `frame` is the model frame: SYSTEM_INPUTS, `department`, `legacy`, `cost_basis` (observed, imputed
    or assumed), `imputed_sigma` and the `<input>_assumed` flags. Systems are processed in chunks of
    SYSTEMS_PER_CHUNK (bounded memory) by `map_chunks`: here two at a time, or an engine's executors
    (pipeline.spark). Every chunk's result depends only on the context and its start, and the results are
    reduced in chunk order, so any map that returns them in order gives the same bits.
    """
    rng = np.random.default_rng(seed)
    p = parameters.draws(draws, rng)
    offsets = rng.integers(0, draws, size=(len(frame), len(PRIORS) + 4))
    normal = rng.standard_normal(draws)
    # the noise floor's draws: each group's parameters re-paired with the NPVs at random, NOISE_PERMUTATIONS times
    permutations = [rng.permutation(draws) for _ in range(NOISE_PERMUTATIONS)]
    departments = frame["department"].fillna("(unknown)").to_numpy()
    names, codes = np.unique(departments, return_inverse=True)
    kept = min(draws, DECISION_DRAWS)
    bases = {
        label: basis(np.column_stack([p[name] for name in names]))
        for label, names in parameter_groups(parameters).items()
    }
    bases = {label: (q, [q[order] for order in permutations]) for label, q in bases.items()}
    context = ChunkContext(frame, p, offsets, normal, codes, len(names), draws, kept, bases, SYSTEMS_PER_CHUNK)
    results = map_chunks(simulate_chunk, context, list(range(0, len(frame), context.chunk)))
    values = np.concatenate([r[0] for r in results]) if results else np.empty((0, len(SYSTEM_COLUMNS) - 1))
    totals = np.zeros((3, len(names), draws))  # premium on observed costs, hidden, premium on imputed/assumed
    information = dict.fromkeys(bases, 0.0)
    noise = {label: np.zeros(NOISE_PERMUTATIONS) for label in bases}
    for _, by_department, _, found in results:  # in chunk order, so sums are reproducible
        for label, (value, permuted) in found.items():
            information[label] += value
            noise[label] += permuted
        totals += by_department
    systems = pd.DataFrame(values, columns=list(SYSTEM_COLUMNS[1:])).assign(system_id=frame["system_id"].to_numpy())
    department = pd.DataFrame({
        "department": names,
        "legacy_premium_gbp": totals[0].mean(axis=1),
        "legacy_premium_unobserved_gbp": totals[2].mean(axis=1),
        "hidden_cost_gbp": totals[1].mean(axis=1),
        **dict(zip(PERCENTILE_COLUMNS, np.percentile(totals[1], PERCENTILES, axis=1), strict=True)),
    })  # fmt: skip
    estate_hidden = totals[1].sum(axis=0)
    estate = {
        "legacy_premium_gbp": float(totals[0].sum(axis=0).mean()),  # within *reported* cost: observed systems only
        "legacy_premium_unobserved_gbp": float(totals[2].sum(axis=0).mean()),
        "hidden_cost_gbp": float(estate_hidden.mean()),
        **dict(zip(PERCENTILE_COLUMNS, np.percentile(estate_hidden, PERCENTILES).tolist(), strict=True)),
        "implied_breaches_per_year": float(systems["breach_probability"].sum()),
        "assumed_hidden_gbp": float(systems["assumed_hidden_gbp"].sum()),
    }
    decision = np.concatenate([r[2] for r in results]) if results else np.empty((0, kept), np.float32)
    return Uncertainty(
        systems[list(SYSTEM_COLUMNS)],
        department[list(DEPARTMENT_COLUMNS)],
        estate,
        draws,
        seed,
        decision,
        information,
        {label: float(values.max(initial=0.0)) for label, values in noise.items()},
    )


def simulate_chunk(context: ChunkContext, start: int) -> ChunkResult:
    """Return one chunk's per-system figures, per-department draws, decision draws and EVPPI parts."""
    frame, p, offsets, normal, codes = context.frame, context.p, context.offsets, context.normal, context.codes
    draws, kept, bases = context.draws, context.kept, context.bases
    steps = np.arange(draws)
    chunk = frame.iloc[start : start + context.chunk]
    m = len(chunk)

    def rotation(k: int) -> np.ndarray:  # (m, draws): each system's offset + the draw, modulo draws
        index = offsets[start : start + m, k, None] + steps
        return np.subtract(index, draws, out=index, where=index >= draws)

    s = input_arrays(chunk, column_shape=True)
    # legacy status drawn per system and draw: P(legacy) from its evidence at this draw's prior share and
    # likelihood ratios, against a uniform from the shared normals (rotated by the system's own offset)
    probability = legacy_probability(chunk["legacy_status"].to_numpy(object), evidence_matrix(chunk), p)
    legacy = (special.ndtr(normal[rotation(LEGACY_DRAW)]) < probability).astype(np.float64)
    s["legacy"] = legacy
    assumed_inputs = {"legacy": chunk["legacy_assumed"].to_numpy(bool)}
    basis = chunk["cost_basis"].to_numpy()
    assumed_inputs["run_cost_gbp"] = basis != "observed"
    if assumed_inputs["run_cost_gbp"].any():
        index = rotation(RUN_COST_DRAW)
        sigma = chunk["imputed_sigma"].fillna(0.0).to_numpy(np.float64)[:, None]
        imputed = s["run_cost_gbp"] * np.exp(sigma * normal[index] - sigma**2 / 2)  # mean-preserving
        prior = p["prior_run_cost"][index]
        s["run_cost_gbp"] = np.where(
            (basis == "imputed")[:, None],
            imputed,
            np.where((basis == "assumed")[:, None], prior, s["run_cost_gbp"]),
        )
    scale = None  # systems x draws, made only when a scaled prior is assumed
    for k, (column, (legacy_prior, modern_prior)) in enumerate(PRIORS.items()):
        assumed = chunk[f"{column}_assumed"].to_numpy(bool)
        assumed_inputs[column] = assumed
        if assumed.any():
            index = rotation(k)
            prior = np.where(legacy > 0, p[legacy_prior][index], p[modern_prior][index])
            if column in SCALED_PRIORS:
                if scale is None:
                    scale = np.broadcast_to(s["run_cost_gbp"], (m, draws)) / p["prior_scale_run_cost"]
                prior = prior * scale
            s[column] = np.where(assumed[:, None], prior, s[column])
    out: dict[str, np.ndarray] = {}
    values = {}
    hidden = np.zeros((m, draws))
    premium = np.zeros((m, draws))
    assumed_hidden = np.zeros(m)
    for component in COMPONENTS:
        values[component.column] = np.broadcast_to(component.function(s, p), (m, draws))
        out[component.column] = values[component.column].mean(axis=1)
        if component.part == "hidden":
            hidden += values[component.column]
            flagged = np.zeros(m, bool)
            for name in component.inputs:
                flagged |= assumed_inputs.get(name, False)
            assumed_hidden += np.where(flagged, out[component.column], 0.0)
        else:
            premium += values[component.column]
    out["legacy_premium_gbp"] = premium.mean(axis=1)
    out["hidden_cost_gbp"] = hidden.mean(axis=1)
    for column, values_q in zip(PERCENTILE_COLUMNS, np.percentile(hidden, PERCENTILES, axis=1), strict=True):
        out[column] = values_q
    out["breach_probability"] = np.broadcast_to(breach_probability(s, p), (m, draws)).mean(axis=1)
    out["assumed_hidden_gbp"] = assumed_hidden
    estimate, years, mitigation, retire = (a[:, None] for a in action_inputs(chunk))
    capex, duration, base = capex_and_duration(
        s["run_cost_gbp"], estimate, years, p["prior_run_cost"], p, mitigation, retire
    )  # fmt: skip
    # the outturn: drawn per system around the estimate with optimism bias (spread from the reference class)
    capex = capex * outturn_spread(normal[rotation(CAPEX_DRAW)], p["capex_outturn_sigma"])
    duration = np.clip(duration * outturn_spread(normal[rotation(DURATION_DRAW)], p["duration_outturn_sigma"]), 0.1, 20)
    s_draws = {**s, "run_cost_gbp": np.broadcast_to(s["run_cost_gbp"], (m, draws))}
    now, later = appraise(business_as_usual(s_draws, p, values), capex, base, duration, retire, p, yearly=True)
    out["npv_gbp"] = now.npv.mean(axis=1)
    out["npv_p10_gbp"], out["npv_p90_gbp"] = np.percentile(now.npv, PERCENTILES, axis=1)
    out["probability_npv_positive"] = (now.npv > 0).mean(axis=1)
    out["benefits_pv_gbp"] = now.benefits.mean(axis=1)
    out["costs_pv_gbp"] = now.costs.mean(axis=1)
    out["npv_delayed_gbp"] = later.npv.mean(axis=1)
    capex, duration = np.broadcast_to(capex, (m, draws)), np.broadcast_to(duration, (m, draws))
    out["replacement_capex_gbp"] = capex.mean(axis=1)
    out["replacement_duration_years"] = duration.mean(axis=1)
    out["cash_npv_gbp"] = now.cash_npv.mean(axis=1)
    out["cash_npv_p10_gbp"], out["cash_npv_p90_gbp"] = np.percentile(now.cash_npv, PERCENTILES, axis=1)
    out["replacement_capex_p10_gbp"], out["replacement_capex_p90_gbp"] = np.percentile(capex, PERCENTILES, axis=1)
    out["replacement_years_p10"], out["replacement_years_p90"] = np.percentile(duration, PERCENTILES, axis=1)
    out["payback_year"] = payback_years(now.yearly_net)
    out["legacy_probability"] = legacy.mean(axis=1)
    means = np.column_stack([out[column] for column in SYSTEM_COLUMNS[1:]])
    decision = (now.npv[:, :kept] / capex[:, :kept]).astype(np.float32)
    decided = chunk["decided"].to_numpy(bool) if "decided" in chunk else np.ones(m, bool)
    npv = now.npv[decided]  # once for every group and permutation (a copy each time before)
    values = evppi_each(npv, [each for q, permuted in bases.values() for each in (q, *permuted)])
    width = 1 + NOISE_PERMUTATIONS
    information = {label: (float(values[j * width]), values[j * width + 1 : (j + 1) * width])
                   for j, label in enumerate(bases)}  # fmt: skip
    chunk_codes = codes[start : start + m]
    order = np.argsort(chunk_codes, kind="stable")
    present, first = np.unique(chunk_codes[order], return_index=True)
    by_department = np.zeros((3, context.departments, draws))
    observed = (basis == "observed")[:, None]
    by_department[0, present] = np.add.reduceat(np.where(observed, premium, 0.0)[order], first, axis=0)
    by_department[1, present] = np.add.reduceat(hidden[order], first, axis=0)
    by_department[2, present] = np.add.reduceat(np.where(observed, 0.0, premium)[order], first, axis=0)
    return means, by_department, decision, information
