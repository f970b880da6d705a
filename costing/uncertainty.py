"""Monte Carlo over the parameter ranges: P10/P50/P90 of hidden cost per system, department and estate."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costing.hidden import hidden_total
from costing.inputs import input_arrays
from costing.parameters import Parameters

PERCENTILES = (10, 50, 90)
PERCENTILE_COLUMNS = tuple(f"hidden_cost_p{q}_gbp" for q in PERCENTILES)
SYSTEMS_PER_CHUNK = 5000  # bounds memory: chunk x draws float64 per intermediate array


@dataclass
class Uncertainty:
    """Percentiles of annual hidden cost (GBP)."""

    systems: pd.DataFrame  # system_id, hidden_cost_p10_gbp, _p50_, _p90_
    departments: pd.DataFrame  # department, p10, p50, p90
    estate: dict[str, float]  # p10, p50, p90
    draws: int
    seed: int


def simulate(frame: pd.DataFrame, parameters: Parameters, draws: int, seed: int) -> Uncertainty:
    """Return hidden-cost percentiles from `draws` seeded parameter draws; the same seed gives the same bits.

    Systems are processed in chunks (bounded memory), two at a time: numpy releases the GIL.
    """
    rng = np.random.default_rng(seed)
    p = parameters.draws(draws, rng)
    departments = frame["department"].fillna("(unknown)").to_numpy()
    names, codes = np.unique(departments, return_inverse=True)

    def run(start: int) -> tuple[np.ndarray, np.ndarray]:
        chunk = frame.iloc[start : start + SYSTEMS_PER_CHUNK]
        totals = np.broadcast_to(hidden_total(input_arrays(chunk, column_shape=True), p), (len(chunk), draws))
        percentiles = np.percentile(totals, PERCENTILES, axis=1).T
        chunk_codes = codes[start : start + len(chunk)]
        order = np.argsort(chunk_codes, kind="stable")
        present, first = np.unique(chunk_codes[order], return_index=True)
        by_department = np.zeros((len(names), draws))
        by_department[present] = np.add.reduceat(totals[order], first, axis=0)
        return percentiles, by_department

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, range(0, len(frame), SYSTEMS_PER_CHUNK)))
    percentiles = np.concatenate([r[0] for r in results]) if results else np.empty((0, len(PERCENTILES)))
    department_totals = np.zeros((len(names), draws))
    for _, by_department in results:  # in chunk order, so sums are reproducible
        department_totals += by_department
    estate = department_totals.sum(axis=0)
    columns = list(PERCENTILE_COLUMNS)
    systems = pd.DataFrame(percentiles, columns=columns).assign(system_id=frame["system_id"].to_numpy())
    department_pct = np.percentile(department_totals, PERCENTILES, axis=1).T if len(names) else np.empty((0, 3))
    return Uncertainty(
        systems=systems[["system_id", *columns]],
        departments=pd.DataFrame(department_pct, columns=columns).assign(department=names)[["department", *columns]],
        estate=dict(zip(columns, np.percentile(estate, PERCENTILES).tolist(), strict=True)),
        draws=draws,
        seed=seed,
    )
