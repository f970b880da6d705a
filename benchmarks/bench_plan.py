"""`estate plan` benchmark: 10,000 candidates over 10 years under a budget and a capacity (target < 60 s).

Synthetic candidates (expected NPV, capex, duration, coupled clusters of 1-3, a sparse dependency DAG)
are planned with the MILP (HiGHS through scipy.optimize.milp, time limit 50 s); the baseline in the same
run is the greedy plan that follows the ranking. Prints seconds, the value of each plan and the MIP gap.

    python benchmarks/bench_plan.py [--candidates 10000] [--years 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from summary import emit, peak_rss_mb, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    from costing import plan as planning

    rng = np.random.default_rng(0)
    n = args.candidates
    frame = pd.DataFrame({
        "system_id": [f"S{i:05d}" for i in range(n)],
        "npv_gbp": rng.lognormal(13, 1.2, n) * rng.choice([1, -1], n, p=[0.6, 0.4]),
        "capex_gbp": rng.lognormal(14.5, 1.0, n),
        "duration_years": rng.uniform(1, 5, n),
        "cluster": np.minimum(np.arange(n), np.arange(n) - rng.integers(0, 3, n) * (rng.random(n) < 0.05)).clip(0),
        "rank": np.arange(1, n + 1),
    })  # fmt: skip
    sources = rng.integers(0, n, n // 2)
    targets = np.minimum(sources + rng.integers(1, 50, n // 2), n - 1)
    links = pd.DataFrame({"source_system_id": frame["system_id"].to_numpy()[sources],
                          "target_system_id": frame["system_id"].to_numpy()[targets]})  # fmt: skip
    budget = np.full(args.years, frame["capex_gbp"].sum() / 25)
    capacity = n // 20
    start = time.perf_counter()
    plan = planning.plan_replacements(frame, links, budget, capacity, time_limit=50)
    seconds = time.perf_counter() - start
    usable = frame[frame["npv_gbp"] > 0].reset_index(drop=True)
    usable["years"] = np.ceil(usable["duration_years"]).astype(int)
    usable["yearly_gbp"] = usable["capex_gbp"] / usable["years"]
    usable = planning._waves(usable, links, capacity, 0.0)  # the clusters as plan_replacements sees them
    start = time.perf_counter()
    planning._greedy(usable, links, budget, capacity, 1 / 1.035)
    greedy_seconds = time.perf_counter() - start
    print(f"{n:,} candidates x {args.years} years, capacity {capacity}, budget £{budget[0] / 1e6:,.0f}m a year")
    print(f"MILP plan: {seconds:.1f} s, {len(plan.schedule):,} planned, value £{plan.value_gbp / 1e6:,.1f}m, "
          f"status: {plan.status}, gap {plan.gap:.3%}")  # fmt: skip
    print(f"greedy plan (baseline): {greedy_seconds:.2f} s, value £{plan.greedy_value_gbp / 1e6:,.1f}m; "
          f"MILP / greedy value {plan.value_gbp / plan.greedy_value_gbp:.4f}")  # fmt: skip
    ratio = plan.value_gbp / plan.greedy_value_gbp
    step = f"plan {n:,} candidates x {args.years} years (gap {plan.gap:.3%}, value {ratio:.4f}x greedy)"
    emit([row(step, seconds, "greedy plan", greedy_seconds, "< 60 s", seconds < 60, peak_rss_mb())])


if __name__ == "__main__":
    main()
