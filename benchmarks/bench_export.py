"""Export and report benchmark: a 10,000-system estate, against plain csv of the same tables.

python benchmarks/bench_export.py [--systems 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from summary import emit, peak_rss_mb, row
from synthetic import add_attributes, cost_lines, synthetic_estate, write_store

from pipeline.run import analyse
from pipeline.settings import AnalysisSettings
from reporting.export import load_finance_inputs
from reporting.finance import write_finance_workbook
from reporting.report import build_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=10_000)
    args = parser.parse_args()
    systems, interfaces = synthetic_estate(args.systems, args.systems * 5)
    systems = add_attributes(systems)
    costs = cost_lines(systems, 10)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db = folder / "bench.duckdb"
        write_store(db, systems, interfaces, costs)
        analyse(db, AnalysisSettings(date(2026, 11, 25)))
        start = time.perf_counter()
        data = load_finance_inputs(db)
        t_load = time.perf_counter() - start
        start = time.perf_counter()
        workbook = write_finance_workbook(data, folder / "finance.xlsx")
        t_xlsx = time.perf_counter() - start
        start = time.perf_counter()
        csv_bytes = 0
        for name, frame in (
            ("assessment", data.assessment),
            ("inputs", data.inputs),
            ("parameters", data.parameters),
            ("departments", data.departments),
            ("reported", data.reported),
        ):
            path = folder / f"{name}.csv"
            frame.to_csv(path, index=False)
            csv_bytes += path.stat().st_size
        t_csv = time.perf_counter() - start
        size = workbook.stat().st_size
        start = time.perf_counter()
        manifest = build_report(db, folder / "report")
        t_report = time.perf_counter() - start
        report_bytes = sum(p.stat().st_size for p in (folder / "report").rglob("*") if p.is_file())
        html_bytes = (folder / "report" / "report.html").stat().st_size
        pdf_bytes = (folder / "report" / "report.pdf").stat().st_size
    print(f"{args.systems:,} systems, {len(costs):,} cost lines (synthetic)\n")
    print("| output | seconds | size (MB) | ratio to csv time |")
    print("|---|---|---|---|")
    print(f"| finance workbook (xlsx, live formulas) | {t_xlsx:.2f} | {size / 1e6:.1f} | {t_xlsx / t_csv:.1f}x |")
    print(f"| same tables as plain csv (pandas) | {t_csv:.2f} | {csv_bytes / 1e6:.1f} | 1.0x |")
    print(
        f"| report folder ({len(manifest['files'])} files: html {html_bytes / 1e6:.2f} MB, pdf "
        f"{pdf_bytes / 1e6:.2f} MB, data csv+parquet, inputs) | {t_report:.2f} | {report_bytes / 1e6:.1f} | "
        f"{t_report / t_csv:.1f}x |"
    )
    print(f"\nloading the stored results for the workbook: {t_load:.2f} s")
    rss = peak_rss_mb()
    emit(
        [
            row(f"finance workbook, {args.systems:,} systems", t_xlsx, "the same tables as csv", t_csv, "", None, rss),
            row(f"report folder, {args.systems:,} systems", t_report, "the same tables as csv", t_csv, "", None, rss),
        ]
    )


if __name__ == "__main__":
    main()
