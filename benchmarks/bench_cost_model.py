"""Cost model v2 benchmark: the hidden/reported ratio must not grow with estate size; 100,000 x 1,000 in < 30 s.

For 400, 4,000, 40,000 and 100,000 systems from the sample generator (same shape at every size: about
28% legacy, layered dependencies), each size in its own process: the graph and the cost model (what
`estate analyse` computes between reading and writing the store) with 1,000 draws; seconds, peak RSS and
the estate's hidden/reported and premium/reported ratios. The baseline is the 400-system run in the same
invocation: the ratio column is each size's hidden/reported ratio over the 400-system one (it must stay
near 1; the earlier model's grew from 1.3 at 400 to 82.6 at 100,000), and seconds are compared with the
30 s target.

    python benchmarks/bench_cost_model.py [--sizes 400,4000,40000,100000] [--draws 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date

from summary import emit, peak_rss_mb, row

AS_OF = date(2026, 11, 25)


def child(size: int, draws: int) -> None:
    """Generate, analyse (graph + cost model) and print one JSON line of figures."""
    from costing.model import assess
    from dependency_graph import analyse_graph, build_graph
    from estate.sample import sample_frames
    from pipeline.settings import load_parameters

    systems, costs, interfaces = sample_frames(size, seed=7)
    parameters = load_parameters()
    start = time.perf_counter()
    metrics = analyse_graph(build_graph(systems, interfaces), 64, 0).metrics
    graph_seconds = time.perf_counter() - start
    timings: dict[str, float] = {}
    assessment = assess(systems, costs, interfaces, metrics, parameters, AS_OF, 0, draws, timings)
    seconds = time.perf_counter() - start
    frame = assessment.systems
    reported = float(frame["reported_cost_gbp"].sum())
    print(json.dumps({
        "systems": size, "seconds": seconds, "graph_seconds": graph_seconds, "timings": timings,
        "peak_rss_mb": peak_rss_mb(), "reported_gbp": reported,
        "hidden_gbp": float(frame["hidden_cost_gbp"].sum()), "premium_gbp": float(frame["legacy_premium_gbp"].sum()),
        "legacy_share": float(frame["legacy"].astype(bool).mean()),
        "breaches": assessment.uncertainty.estate["implied_breaches_per_year"],
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="400,4000,40000,100000")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.draws)
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--draws", str(args.draws)],
            capture_output=True, text=True, check=True, env=os.environ | {"OMP_NUM_THREADS": "1"},
        )  # fmt: skip
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = results[0]["hidden_gbp"] / results[0]["reported_gbp"]
    print(f"{'systems':>8} {'seconds':>8} {'graph s':>8} {'peak MB':>8} {'hidden/reported':>16} "
          f"{'vs 400':>7} {'premium/reported':>17} {'legacy':>7} {'breaches/yr':>11}")  # fmt: skip
    summary = []
    for r in results:
        ratio = r["hidden_gbp"] / r["reported_gbp"]
        print(f"{r['systems']:>8,} {r['seconds']:>8.1f} {r['graph_seconds']:>8.1f} {r['peak_rss_mb']:>8.0f} "
              f"{ratio:>16.4f} {ratio / base:>7.3f} {r['premium_gbp'] / r['reported_gbp']:>17.4f} "
              f"{r['legacy_share']:>7.1%} {r['breaches']:>11.1f}")  # fmt: skip
        summary.append(row(
            f"graph + cost model, {r['systems']:,} systems x {args.draws:,} draws (hidden/reported {ratio:.4f}, "
            f"{ratio / base:.2f}x the 400-system ratio)",
            r["seconds"], "400-system run", results[0]["seconds"],
            "< 30 s and < 4 GB at 100,000; ratio within 0.5-1.5x of 400" if r["systems"] == 100_000 else "",
            (r["seconds"] < 30 and r["peak_rss_mb"] < 4096 and 0.5 <= ratio / base <= 1.5)
            if r["systems"] == 100_000 else None, r["peak_rss_mb"],
        ))  # fmt: skip
    print("stages at the largest size:", json.dumps({k: round(v, 2) for k, v in results[-1]["timings"].items()}))
    emit(summary)


if __name__ == "__main__":
    main()
