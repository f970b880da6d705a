"""Thread pools on a 2-core machine under load: `analyse` with the libraries' default pools against estate's choice.

A real inventory (the USDA IT Dashboard export, 209 investments, through the built-in `itdashboard` profile;
a 209-system synthetic estate when ../shared/real-inventories is absent) is analysed with 1,000 draws while
two busy processes hold both cores, as on a shared machine. The baseline in the same run is the same analysis
with the BLAS/OpenMP pools at their defaults (estate.pipeline.run.LIBRARY_THREADS raised to the core count);
estate's choice is one thread per pool. Each is timed three times, alternating; the best is reported.

    python benchmarks/bench_threads.py
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from summary import emit, peak_rss_mb, row

REAL = Path(__file__).parents[2] / "shared" / "real-inventories" / "us-itdashboard-usda" / "original"


def _busy(stop) -> None:
    while not stop.is_set():
        sum(range(10_000))


def _estate(folder: Path) -> tuple[Path, str]:
    from estate.mapping import builtin_profile
    from estate.sample import write_sample
    from estate.store import import_files

    db = folder / "e.duckdb"
    if (REAL / "Individual_Investments.xlsx").exists():
        import_files(db, [REAL / "Individual_Investments.xlsx"], builtin_profile("itdashboard"))
        return db, "USDA IT Dashboard export (209 investments)"
    write_sample(folder / "s.xlsx", systems=209, seed=1)
    import_files(db, [folder / "s.xlsx"])
    return db, "synthetic, 209 systems"


def main() -> None:
    import pipeline.run as run
    from pipeline.settings import AnalysisSettings

    settings = AnalysisSettings(date(2026, 11, 25), seed=0, draws=1000)
    stop = multiprocessing.Event()
    load = [multiprocessing.Process(target=_busy, args=(stop,)) for _ in range(2)]
    with tempfile.TemporaryDirectory() as folder:
        db, what = _estate(Path(folder))
        run.analyse(db, settings)  # warm: imports, caches
        for process in load:
            process.start()
        times = {"default": [], "estate": []}
        try:
            for _ in range(3):
                for label, threads in (("default", os.cpu_count() or 2), ("estate", 1)):
                    run.LIBRARY_THREADS = threads
                    start = time.perf_counter()
                    run.analyse(db, settings)
                    times[label].append(time.perf_counter() - start)
        finally:
            stop.set()
            for process in load:
                process.join()
    default, chosen = min(times["default"]), min(times["estate"])
    print(f"{what}, 1,000 draws, two busy processes on {os.cpu_count()} cores; best of 3\n")
    print("| pools | seconds (each run) | best |\n|---|---|---|")
    for label, values in times.items():
        print(f"| {label} | {', '.join(f'{v:.2f}' for v in values)} | {min(values):.2f} |")
    print(f"\none thread per pool: {chosen / default:.2f}x the default pools' time")
    emit([row("analyse under load, one thread per BLAS/OpenMP pool", chosen, "default thread pools", default,
              "<= 1x (no slower than the defaults)", chosen <= default * 1.05, peak_rss_mb())])  # fmt: skip


if __name__ == "__main__":
    main()
