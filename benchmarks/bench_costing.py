"""Cost-model benchmark: 100,000 systems x 1,000 Monte Carlo draws, time per stage and peak RSS.

Also times one component (extended-support premium) written row by row in pure Python against
the vectorised numpy version, both over systems x draws, in the same run (the pure-Python loop is
timed on 1,000 systems and scaled up). The whole `estate analyse` (graph + costing + ranking)
runs in a child process so its peak RSS is its own.

    python benchmarks/bench_costing.py [--systems 100000] [--draws 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from summary import emit, row
from synthetic import add_attributes, cost_lines, synthetic_estate, write_store

from costing.hidden import extended_support_premium
from pipeline.settings import load_parameters

AS_OF = date(2026, 11, 25)
NO_OTHER_LINES = {  # licence lines only, Microsoft products (the ESU schedule the baseline writes out)
    "staff_cost_gbp": np.zeros((1, 1)),
    "hosting_cost_gbp": np.zeros((1, 1)),
    "esu_microsoft": np.ones((1, 1)),
}


def row_by_row_premium(
    years_past: list[float], licence: list[float], run: list[float], p: dict[str, np.ndarray]
) -> float:
    """Pure-Python extended-support premium summed over systems x draws (the baseline; same formula)."""
    total = 0.0
    first, step, window, share, staff, hosting = (
        p[k].tolist()
        for k in ("esu_first_year_share", "esu_yearly_step", "esu_years", "licence_share_of_run_cost",
                  "staff_share_of_run_cost", "hosting_share_of_run_cost")
    )  # fmt: skip
    for years, own_licence, run_cost in zip(years_past, licence, run, strict=True):
        if years <= 0:
            continue
        for d in range(len(first)):
            if years > window[d]:
                continue
            # no staff or hosting line reported: the licence fallback is its share of the whole run cost
            lines = own_licence if own_licence > 0 else share[d] * run_cost / max(1.0, share[d] + staff[d] + hosting[d])
            rate = first[d] + step[d] * math.floor(years)
            total += lines * rate / (1.0 + rate)
    return total


def yardstick(systems: int, draws: int, repeat: int = 3) -> float:
    """Seconds for the least work a Monte Carlo of systems x draws must do, in numpy on one thread: draw a normal
    for every system-draw, exponentiate it and sum, in chunks of the size the model uses (best of `repeat`)."""
    from costing.uncertainty import SYSTEMS_PER_CHUNK

    best = math.inf
    for _ in range(repeat):
        rng = np.random.default_rng(0)
        start = time.perf_counter()
        total = 0.0
        for lo in range(0, systems, SYSTEMS_PER_CHUNK):
            block = rng.standard_normal((min(SYSTEMS_PER_CHUNK, systems - lo), draws))
            total += float(np.exp(block, out=block).sum())
        best = min(best, time.perf_counter() - start)
        assert total > 0
    return best


def child(db: str, draws: int) -> None:
    """Run `estate analyse`'s two stages with timings; print JSON with the stages and peak RSS."""
    from pipeline.run import analyse
    from pipeline.settings import AnalysisSettings

    timings: dict[str, float] = {}
    start = time.perf_counter()
    analyse(Path(db), AnalysisSettings(AS_OF, seed=0, draws=draws), timings)
    timings["whole analysis (load, graph, cost model, store)"] = time.perf_counter() - start
    print(json.dumps({"timings": timings, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.draws)
        return
    systems, interfaces = synthetic_estate(args.systems, args.systems * 5)
    systems = add_attributes(systems)
    costs = cost_lines(systems, 10)

    # one component: numpy over systems x draws against a pure-Python loop
    parameters = load_parameters()
    draws = parameters.draws(args.draws, np.random.default_rng(0))
    rng = np.random.default_rng(4)
    years = rng.uniform(-5, 10, args.systems)
    licence = np.where(rng.random(args.systems) < 0.5, rng.uniform(1e4, 1e6, args.systems), 0.0)
    run = rng.uniform(1e5, 5e6, args.systems)
    start = time.perf_counter()
    vectorised = 0.0
    for lo in range(0, args.systems, 5000):
        s = {
            "years_past_end_of_support": years[lo : lo + 5000, None],
            "licence_cost_gbp": licence[lo : lo + 5000, None],
            "run_cost_gbp": run[lo : lo + 5000, None],
            **NO_OTHER_LINES,
        }
        vectorised += float(extended_support_premium(s, draws).sum())
    t_numpy = time.perf_counter() - start
    sample = 1000
    start = time.perf_counter()
    slow = row_by_row_premium(years[:sample].tolist(), licence[:sample].tolist(), run[:sample].tolist(), draws)
    t_python = (time.perf_counter() - start) * args.systems / sample
    check = 0.0
    for lo in range(0, sample, 500):
        s = {
            "years_past_end_of_support": years[lo : min(sample, lo + 500), None],
            "licence_cost_gbp": licence[lo : min(sample, lo + 500), None],
            "run_cost_gbp": run[lo : min(sample, lo + 500), None],
            **NO_OTHER_LINES,
        }
        check += float(extended_support_premium(s, draws).sum())
    assert math.isclose(check, slow, rel_tol=1e-9), (check, slow)

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        write_store(db, systems, interfaces, costs)
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(db), "--draws", str(args.draws)],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
    result = json.loads(out.stdout)

    print(
        f"{args.systems:,} systems, {len(interfaces):,} interfaces, {len(costs):,} cost lines, "
        f"{args.draws:,} draws (synthetic)\n"
    )
    print("| stage | seconds |")
    print("|---|---|")
    for stage, seconds in result["timings"].items():
        print(f"| {stage} | {seconds:.2f} |")
    print(f"| whole `estate analyse` in a child process (start-up included) | {wall:.2f} |")
    print(f"\npeak RSS of the analyse process: {result['peak_rss_mb']:,.0f} MB (target < 4,096 MB)")
    print(f"whole analyse: {wall:.1f} s (target < 30 s)")
    print(
        f"\nextended-support premium over {args.systems:,} x {args.draws:,}: numpy {t_numpy:.2f} s, "
        f"pure Python {t_python:.1f} s (1,000 systems timed, scaled) = {t_python / t_numpy:.0f}x faster"
    )
    rss = result["peak_rss_mb"]
    floor = yardstick(args.systems, args.draws)
    print(f"numpy yardstick (draw, exponentiate, sum {args.systems * args.draws:,} system-draws, one thread): "
          f"{floor:.2f} s; analyse = {wall / floor:.1f}x it (target <= 36x)")  # fmt: skip
    emit([
        row(f"`estate analyse`, {args.systems:,} systems x {args.draws:,} draws", wall,
            "numpy yardstick: draw, exp, sum the system-draws", floor, "<= 36x and < 4 GB",
            wall <= 36 * floor and rss < 4096, rss),
        row("one hidden-cost component over systems x draws", t_numpy, "row-by-row Python", t_python,
            "vectorised", t_numpy < t_python, None),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
