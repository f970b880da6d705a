"""The same analysis on the embedded engine (DuckDB) and on Spark local mode, as the ledger grows.

A synthetic estate (benchmarks/synthetic.py: departments, interfaces, attributes) gets 2, 10 and 20 million
cost lines over three financial years. Each size is analysed three times, each run in a fresh process so
that its peak memory is its own: `analyse` on the DuckDB store (the default engine); `analyse --source
--results` on DuckDB, reading the same inputs as Parquet (`pipeline.spark.export_source`, not timed) and
writing the result tables as Parquet; and the same on Spark local mode on both cores. Peak memory on
Spark is the Python driver plus the JVM (a child process). Ratio = Spark's seconds / DuckDB's (from the
same Parquet) at the same size.

    python benchmarks/bench_engines.py [--systems 100000] [--lines 2000000,10000000,20000000] [--draws 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
from summary import emit, row

HERE = Path(__file__).parent


def measure(engine: str, db: str, source: str, draws: int) -> None:
    """Run one analysis in this process; print seconds and peak RSS (this process + children) as JSON."""
    sys.path.insert(0, str(HERE.parent))
    from pipeline.settings import AnalysisSettings

    settings = AnalysisSettings(date(2026, 11, 25), seed=0, draws=draws)
    start = time.perf_counter()
    results = str(Path(source).parent / f"results-{engine}")
    if engine == "duckdb":
        from pipeline.run import analyse

        analyse(Path(db), settings)
    elif engine == "duckdb-parquet":
        from pipeline.run import analyse_source

        analyse_source(source, results, settings)
    else:
        from pipeline.spark import analyse_on_spark, session

        spark = session("local[2]", app_name="estate-bench")
        spark.sparkContext.setLogLevel("ERROR")
        analyse_on_spark(spark, settings, source=source, results=results)
        children = descendants_peak_mb()  # the JVM (and Python workers) before they stop
        spark.stop()
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": own + (children if engine == "spark" else 0)}))


def descendants_peak_mb() -> float:
    """Return the summed peak resident memory (VmHWM) of this process's descendants, from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    mine, found = {os.getpid()}, True
    while found:
        found = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                found = True
    total = 0.0
    for pid in mine - {os.getpid()}:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0) / 1024
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=100_000)
    parser.add_argument("--lines", default="2000000,10000000,20000000")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--measure", nargs=3, metavar=("ENGINE", "DB", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure, args.draws)
        return
    sys.path.insert(0, str(HERE.parent))
    from synthetic import add_attributes, cost_lines, synthetic_estate, write_store

    from pipeline.spark import export_source

    systems, interfaces = synthetic_estate(args.systems, args.systems * 5)
    systems = add_attributes(systems)
    print(f"{args.systems:,} systems, {len(interfaces):,} interfaces, {args.draws:,} draws; local[2] on 2 cores\n")
    print("| cost lines | DuckDB store (s) | DuckDB Parquet (s) | DuckDB peak (MB) | Spark Parquet (s) "
          "| Spark peak, driver + JVM (MB) | Spark / DuckDB Parquet |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    rows = []
    for total in (int(n) for n in args.lines.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "e.duckdb"
            per_system = max(1, round(total / (0.88 * args.systems)))
            costs = cost_lines(systems, per_system)
            write_store(db, systems, interfaces, costs)
            with duckdb.connect(str(db)) as connection:  # provenance, as an import records it (merge reads it)
                for table in ("systems", "interfaces", "costs"):
                    connection.execute(f"UPDATE {table} SET import_id = 1, source_file = 'synthetic.parquet', "
                                       "source_sheet = '', source_row = rowid + 2")  # fmt: skip
            source = export_source(db, Path(folder) / "source")
            del costs
            found = {}
            for engine in ("duckdb", "duckdb-parquet", "spark"):
                out = subprocess.run(
                    [sys.executable, __file__, "--draws", str(args.draws), "--measure", engine, str(db), str(source)],
                    capture_output=True, text=True,
                )  # fmt: skip
                if out.returncode:
                    raise SystemExit(f"{engine} failed:\n{out.stderr[-3000:]}")
                found[engine] = json.loads(out.stdout.strip().splitlines()[-1])
        d, p, s = found["duckdb"], found["duckdb-parquet"], found["spark"]
        lines = per_system * round(0.88 * args.systems)
        print(f"| {lines:,} | {d['seconds']:.1f} | {p['seconds']:.1f} | {max(d['rss_mb'], p['rss_mb']):,.0f} | "
              f"{s['seconds']:.1f} | {s['rss_mb']:,.0f} | {s['seconds'] / p['seconds']:.2f}x |")  # fmt: skip
        rows.append(row(f"Spark local[2], {args.systems:,} systems, {lines:,} cost lines", s["seconds"],
                        "DuckDB, the same Parquet", p["seconds"], "same results (tests); how each grows", None,
                        s["rss_mb"]))  # fmt: skip
    emit(rows)


if __name__ == "__main__":
    main()
