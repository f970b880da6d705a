"""Import benchmark: a 100,000-row Systems sheet read three ways in one run, as ratios.

(a) raw fastexcel read (the floor: calamine parse + Arrow, no cleaning)
(b) pandas + openpyxl read (what a typical script does)
(c) estate's import: read, map, clean, validate, store in DuckDB (the function `estate import` calls)

Each step runs in a fresh child process so its peak RSS is its own. Timings exclude interpreter
start-up; the end-to-end `estate import` command (start-up included) is reported separately.

    python benchmarks/bench_import.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter
from summary import emit, row

HEADERS = [
    "System ID",
    "Application",
    "Dept",
    "Platform",
    "Technology",
    "Go live",
    "End of support",
    "Criticality",
    "Users",
    "Annual cost (£)",
]


def make_workbook(path: Path, rows: int) -> None:
    """Write a messy-but-valid Systems sheet: title row, mixed types, UK dates, £ strings, n/a."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Systems")
    dates = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(0, 0, "Synthetic benchmark inventory (SYNTHETIC)")
    sheet.write_row(1, 0, HEADERS)
    platforms = ("Mainframe", "On Prem", "SaaS", "Cloud (AWS)", "Private cloud")
    technologies = ("COBOL", "Java 6", "Oracle Forms 6i", ".NET Framework 4.6.1", "Salesforce", "Python 3.12")
    costs = (1234.5, "£1.2m", "£3k", None, "n/a", 98765.43, "1,234")
    for i in range(rows):
        r = i + 2
        sheet.write_row(
            r,
            0,
            [
                f"SYS-{i:06d}",
                f"System {i}",
                f"Department {i % 40}",
                platforms[i % 5],
                technologies[i % 6],
                1975 + i % 42,
            ],
        )
        if i % 3:
            sheet.write_datetime(r, 6, date(2015, 1, 1) + timedelta(days=i % 4000), dates)
        else:
            sheet.write(r, 6, f"{1 + i % 28:02d}/{1 + i % 12:02d}/20{15 + i % 15}")
        sheet.write(r, 7, ("High", "low", 3, "Critical", 1)[i % 5])
        sheet.write(r, 8, (i * 37) % 50_000)
        cost = costs[i % 7]
        if cost is not None:
            sheet.write(r, 9, cost)
    workbook.close()


def step(name: str, path: Path) -> dict[str, float]:
    """Run one measurement in this (child) process; return seconds and peak RSS."""
    if name == "fastexcel":
        import fastexcel

        start = time.perf_counter()
        batch = fastexcel.read_excel(str(path)).load_sheet(0, header_row=1).to_arrow()
        seconds = time.perf_counter() - start
        assert batch.num_rows > 0
    elif name == "pandas_openpyxl":
        import pandas as pd

        start = time.perf_counter()
        frame = pd.read_excel(path, sheet_name=0, header=1, engine="openpyxl")
        seconds = time.perf_counter() - start
        assert len(frame) > 0
    elif name == "estate_import":
        from estate.store import import_files

        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            summaries, _ = import_files(Path(folder) / "bench.duckdb", [path])
            seconds = time.perf_counter() - start
        assert summaries[0].rows["systems"] > 0
        return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "warnings": summaries[0].warnings}
    else:
        raise ValueError(name)
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, path: Path, repeat: int) -> dict[str, float]:
    """Return the fastest of `repeat` child-process runs of a step."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--step", name, str(path)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout))
    return min(runs, key=lambda r: r["seconds"])


def cli_wall_time(path: Path) -> float:
    """Return the wall time of the real `estate import` command, interpreter start-up included."""
    estate = Path(sys.executable).with_name("estate")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run(
            [str(estate), "import", str(path), "--db", str(Path(folder) / "cli.duckdb")],
            capture_output=True,
            check=True,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, Path(args.path))))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "systems_100k.xlsx"
        make_workbook(path, args.rows)
        results = {
            "fastexcel": measure("fastexcel", path, args.repeat),
            "pandas_openpyxl": measure("pandas_openpyxl", path, 1),
            "estate_import": measure("estate_import", path, args.repeat),
        }
        cli = min(cli_wall_time(path) for _ in range(args.repeat))
    base = results["fastexcel"]["seconds"]
    ours = results["estate_import"]["seconds"]
    print(
        f"{args.rows:,} rows x {len(HEADERS)} columns, {results['estate_import']['warnings']:,} warnings; "
        f"best of {args.repeat} (pandas: 1 run)\n"
    )
    print("| step | seconds | ratio to fastexcel | peak RSS (MB) |")
    print("|---|---|---|---|")
    for name, result in results.items():
        print(f"| {name} | {result['seconds']:.3f} | {result['seconds'] / base:.2f}x | {result['peak_rss_mb']:.0f} |")
    print(f"| `estate import` command (start-up included) | {cli:.3f} | {cli / base:.2f}x | |")
    print()
    print(f"estate import / fastexcel raw read = {ours / base:.2f}x (target <= 2x)")
    print(
        f"pandas+openpyxl / estate import = {results['pandas_openpyxl']['seconds'] / ours:.1f}x faster (target >= 10x)"
    )
    pandas_s = results["pandas_openpyxl"]["seconds"]
    rss = results["estate_import"]["peak_rss_mb"]
    emit([
        row(f"import {args.rows:,}-row sheet", ours, "fastexcel raw read", base, "<= 2x", ours <= 2 * base, rss),
        row(f"import {args.rows:,}-row sheet", ours, "pandas + openpyxl", pandas_s, "<= 0.1x (10x faster)",
            ours * 10 <= pandas_s, rss),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
