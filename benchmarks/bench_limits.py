"""The machine's limits and how each stage grows: the floors every figure in RESULTS.md is read against.

(1) This machine, one thread: memory bandwidth (numpy copying 512 MB: bytes read + written per second), the
float64 matrix-multiply rate (2n^3 / seconds, n = 2,000) and the exponentials per second (numpy over 10^8).
(2) How each stage's seconds grow, three sizes each, as a log-log slope (1.0 = linear):
    the Monte Carlo (graph + cost model, `costing.model.assess`) with systems (2,500, 5,000, 10,000 at
    1,000 draws) and with draws (250, 500, 1,000 at 5,000 systems);
    the dependency graph (`dependency_graph.analyse_graph`) with interfaces (100,000, 200,000, 400,000 on
    50,000 systems);
    the import (`estate.store.import_files`, Parquet) with cost lines (100,000, 200,000, 400,000 asked of
    the generator, on 10,000 systems and 50,000 interfaces);
and beside each Monte Carlo size its floor: the numpy yardstick (draw, exponentiate and sum every
system-draw) and the memory floor (one float64 written per system-draw for each of the model's
arrays a chunk holds at once, at the measured bandwidth).

    python benchmarks/bench_limits.py
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from summary import emit, row

ARRAYS_PER_CHUNK = 15  # costing.uncertainty: about 15 arrays of chunk x draws float64 at once


def best(function, repeat: int = 3) -> float:
    """Return the least seconds of `repeat` runs of function()."""
    seconds = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        seconds = min(seconds, time.perf_counter() - start)
    return seconds


def machine() -> dict[str, float]:
    """Return bandwidth (bytes/s), matmul rate (flop/s) and exponentials per second, on one thread."""
    source = np.ones(64 * 1024 * 1024)  # 512 MB
    target = np.empty_like(source)
    copy = best(lambda: np.copyto(target, source))
    n = 2000
    a, b = np.random.default_rng(0).random((n, n)), np.random.default_rng(1).random((n, n))
    multiply = best(lambda: a @ b)
    values = np.random.default_rng(2).standard_normal(10**7)
    out = np.empty_like(values)
    exponentials = best(lambda: np.exp(values, out=out))
    return {"bandwidth": 2 * source.nbytes / copy, "flops": 2 * n**3 / multiply, "exp": values.size / exponentials}


def slope(sizes: list[float], seconds: list[float]) -> float:
    """Return the log-log slope of seconds against size (1.0: linear)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def monte_carlo(systems: int, draws: int) -> float:
    """Seconds of the cost model's Monte Carlo stage on the sample generator's estate."""
    from costing.model import assess
    from dependency_graph import analyse_graph, build_graph
    from estate.sample import sample_frames
    from pipeline.settings import load_parameters

    systems_frame, costs, interfaces = sample_frames(systems, seed=7)
    metrics = analyse_graph(build_graph(systems_frame, interfaces), 64, 0).metrics
    timings: dict[str, float] = {}
    assess(systems_frame, costs, interfaces, metrics, load_parameters(), date(2026, 11, 25), 0, draws, timings)
    return timings["Monte Carlo"]  # the stage that grows with systems x draws (not the imputation's fit)


def graph(interfaces: int) -> float:
    from synthetic import synthetic_estate

    from dependency_graph import analyse_graph, build_graph

    systems, links = synthetic_estate(50_000, interfaces)
    start = time.perf_counter()
    analyse_graph(build_graph(systems, links), 64, 0)
    return time.perf_counter() - start


def import_seconds(lines: int) -> float:
    from synthetic import add_attributes, cost_lines, synthetic_estate

    from estate.store import import_files

    systems, interfaces = synthetic_estate(10_000, 50_000)
    systems = add_attributes(systems)
    costs = cost_lines(systems, lines // 10_000)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, frame in (("systems", systems), ("interfaces", interfaces), ("costs", costs)):
            path = Path(folder) / f"{name}.parquet"
            frame.to_parquet(path)
            paths.append(path)
        start = time.perf_counter()
        import_files(Path(folder) / "e.duckdb", paths)
        return time.perf_counter() - start


def yardstick(systems: int, draws: int) -> float:
    rng = np.random.default_rng(0)

    def run() -> None:
        for lo in range(0, systems, 250):
            block = rng.standard_normal((min(250, systems - lo), draws))
            np.exp(block, out=block).sum()

    return best(run, 2)


def child(kind: str, size: int, other: int) -> None:
    """Print one measurement's seconds (each in a fresh process, so one size's caches do not help the next)."""
    seconds = {"mc": lambda: monte_carlo(size, other), "graph": lambda: graph(size),
               "import": lambda: import_seconds(size)}[kind]()  # fmt: skip
    print(seconds)


def measure(kind: str, size: int, other: int = 0) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(size), str(other)], capture_output=True,
                         text=True, check=True, env=os.environ | {"OMP_NUM_THREADS": "1"})  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    limits = machine()
    print("## This machine, one thread\n")
    print(f"- memory bandwidth (numpy copy of 512 MB, read + write): {limits['bandwidth'] / 1e9:.1f} GB/s")
    print(f"- float64 matrix multiply (n = 2,000): {limits['flops'] / 1e9:.1f} Gflop/s")
    print(f"- exponentials (numpy, 10^7 doubles): {limits['exp'] / 1e6:.0f} million/s\n")
    rows = []
    print("## Monte Carlo stage (its two chunk threads, BLAS on one) against its one-thread floors\n")
    print("| systems | draws | seconds | yardstick (s) | ratio | memory floor (s) |")
    print("|---|---|---|---|---|---|")
    grid = [(2_500, 1_000), (5_000, 1_000), (10_000, 1_000), (5_000, 250), (5_000, 500)]
    seconds = {}
    for systems, draws in grid:
        seconds[systems, draws] = measure("mc", systems, draws)
        floor = yardstick(systems, draws)
        memory = ARRAYS_PER_CHUNK * 8 * systems * draws / (limits["bandwidth"] / 2)
        print(f"| {systems:,} | {draws:,} | {seconds[systems, draws]:.2f} | {floor:.3f} | "
              f"{seconds[systems, draws] / floor:.0f}x | {memory:.3f} |")  # fmt: skip
        rows.append(row(f"Monte Carlo, {systems:,} systems x {draws:,} draws", seconds[systems, draws],
                        "numpy yardstick", floor))  # fmt: skip
    by_systems = slope([2_500, 5_000, 10_000], [seconds[s, 1_000] for s in (2_500, 5_000, 10_000)])
    by_draws = slope([250, 500, 1_000], [seconds[5_000, d] for d in (250, 500, 1_000)])
    graph_sizes = [100_000, 200_000, 400_000]
    graph_seconds = [measure("graph", n) for n in graph_sizes]
    import_sizes = [100_000, 200_000, 400_000]
    import_times = [measure("import", n) for n in import_sizes]
    print("\n## How each stage grows (log-log slope over three sizes; 1.0 = linear)\n")
    print("| stage | grows with | sizes | seconds | slope |")
    print("|---|---|---|---|---|")
    print(
        f"| Monte Carlo | systems (1,000 draws) | 2,500 / 5,000 / 10,000 | "
        f"{' / '.join(f'{seconds[s, 1_000]:.2f}' for s in (2_500, 5_000, 10_000))} | {by_systems:.2f} |"
    )
    print(
        f"| Monte Carlo | draws (5,000 systems) | 250 / 500 / 1,000 | "
        f"{' / '.join(f'{seconds[5_000, d]:.2f}' for d in (250, 500, 1_000))} | {by_draws:.2f} |"
    )
    print(
        f"| dependency graph | interfaces (50,000 systems) | 100,000 / 200,000 / 400,000 | "
        f"{' / '.join(f'{s:.2f}' for s in graph_seconds)} | {slope(graph_sizes, graph_seconds):.2f} |"
    )
    print(f"| import | cost lines asked for (10,000 systems) | 100,000 / 200,000 / 400,000 | "
          f"{' / '.join(f'{s:.2f}' for s in import_times)} | {slope(import_sizes, import_times):.2f} |")  # fmt: skip
    emit(rows)


if __name__ == "__main__":
    main()
