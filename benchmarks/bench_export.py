"""Export and report benchmark: a 10,000-system estate, against plain csv of the same tables.

python benchmarks/bench_export.py [--systems 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

import xlsxwriter
from summary import emit, peak_rss_mb, row
from synthetic import add_attributes, cost_lines, synthetic_estate, write_store

from pipeline.run import analyse
from pipeline.settings import AnalysisSettings
from reporting.export import load_finance_inputs
from reporting.finance import write_finance_workbook
from reporting.report import build_report


def cell_kinds(workbook: Path) -> tuple[int, int, int]:
    """Return (numbers, formulas, strings) written in a workbook's sheets, counted in their XML."""
    numbers = formulas = strings = 0
    with zipfile.ZipFile(workbook) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                data = archive.read(name)
                cells, f, t = data.count(b"<c "), data.count(b"<f>") + data.count(b"<f "), data.count(b't="s"')
                numbers, formulas, strings = numbers + cells - f - t, formulas + f, strings + t
    return numbers, formulas, strings


def raw_xlsxwriter(path: Path, numbers: int, formulas: int, strings: int, columns: int = 20) -> float:
    """Seconds for xlsxwriter alone to write as many number, formula and string cells (numbers and formulas with
    a money format, each formula with its cached value, as the workbook writes them): the yardstick."""
    start = time.perf_counter()
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    money = book.add_format({"num_format": "£#,##0"})
    for i in range(numbers):
        sheet.write_number(1 + i // columns, i % columns, i * 1.5, money)
    first = 2 + numbers // columns
    for i in range(formulas):
        r = first + i // columns
        sheet.write_formula(r, i % columns, f"=A{r}*B{r}+C{r}", money, 1.0)
    first += 2 + formulas // columns
    for i in range(strings):
        sheet.write_string(first + i // columns, i % columns, f"text {i % 1000}")
    book.close()
    return time.perf_counter() - start


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
        kinds = cell_kinds(workbook)
        t_raw = raw_xlsxwriter(folder / "raw.xlsx", *kinds)
        t_numbers = raw_xlsxwriter(folder / "numbers.xlsx", sum(kinds), 0, 0)  # the cheapest cells xlsxwriter writes
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
    print(f"raw xlsxwriter, the same {sum(kinds):,} cells ({kinds[0]:,} numbers, {kinds[1]:,} formulas, "
          f"{kinds[2]:,} strings): {t_raw:.2f} s; the workbook = {t_xlsx / t_raw:.2f}x it (target <= 2x)")  # fmt: skip
    print(f"raw xlsxwriter, as many number cells: {t_numbers:.2f} s; the workbook = {t_xlsx / t_numbers:.2f}x it "
          "(its own formula cells cost more than numbers: the workbook's skip its formula rewriting)")  # fmt: skip
    rss = peak_rss_mb()
    emit(
        [
            row(
                f"finance workbook, {args.systems:,} systems ({sum(kinds):,} cells)",
                t_xlsx,
                "raw xlsxwriter, the same cells",
                t_raw,
                "<= 2x",
                t_xlsx <= 2 * t_raw,
                rss,
            ),
            row(
                f"finance workbook, {args.systems:,} systems ({sum(kinds):,} cells)",
                t_xlsx,
                "raw xlsxwriter, as many number cells",
                t_numbers,
                "",
                None,
                rss,
            ),
            row(f"finance workbook, {args.systems:,} systems", t_xlsx, "the same tables as csv", t_csv, "", None, rss),
            row(f"report folder, {args.systems:,} systems", t_report, "the same tables as csv", t_csv, "", None, rss),
        ]
    )


if __name__ == "__main__":
    main()
