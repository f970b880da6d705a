"""Hostile files (issue 8): each gets a clear outcome, in bounded memory, through the real `estate import`.

Every case runs the command in a child process that reports its own peak RSS; nothing is timed
(a subprocess timeout only guards against a hang).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from tests.conftest import snapshot

MEMORY_BOUND_MB = 1024
# The child's own peak: VmHWM is the high-water mark of this process image. (ru_maxrss is not: Linux carries it
# across exec, so a child started by vfork from a large pytest process reported the parent's resident size.)
MEASURED = (
    "import re, sys\n"
    "from pathlib import Path\n"
    "from app.cli import main\n"
    "sys.argv = ['estate', *sys.argv[1:]]\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    kb = int(re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1))\n"
    "    sys.stderr.write(f'PEAK_RSS_MB {kb // 1024}\\n')\n"
)


def import_measured(files: list[Path], db: Path) -> tuple[int, list[dict], int]:
    """Run `estate import --json` in a child; return (exit code, the issues it reports, peak RSS in MB)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, "import", *map(str, files), "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stderr.splitlines()
    peak = int(next(line for line in lines if line.startswith("PEAK_RSS_MB")).split()[1])
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)["issues"], peak


def _workbook(path: Path, write) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    write(book, book.add_worksheet("Systems"))
    book.close()
    return path


def widest_sheet(folder: Path) -> Path:
    def write(book, sheet):
        sheet.write_row(0, 0, ["System ID", "Name", "Department"] + [f"Extra {i}" for i in range(3, 16_384)])
        sheet.write_row(1, 0, ["H1", "One", "D"] + ["x"] * (16_384 - 3))
        sheet.write_row(2, 0, ["H2", "Two", "D"])

    return _workbook(folder / "wide.xlsx", write)


def million_formatted_empty_rows(folder: Path) -> Path:
    def write(book, sheet):
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, ["System ID", "Name", "Department"])
        sheet.write_row(1, 0, ["H1", "One", "D"])
        for row in range(2, 1_048_576):  # formatted cells with nothing in them, to the last row
            sheet.write_blank(row, 0, None, bold)

    return _workbook(folder / "empty_rows.xlsx", write)


def longest_cell(folder: Path) -> Path:
    return _workbook(folder / "long.xlsx", lambda _b, s: (s.write_row(0, 0, ["System ID", "Name", "Department"]),
                                                          s.write_row(1, 0, ["H1", "N" * 32_767, "D"])))  # fmt: skip


def overlong_id(folder: Path) -> Path:
    return _workbook(folder / "long_id.xlsx", lambda _b, s: (s.write_row(0, 0, ["System ID", "Name", "Department"]),
                                                             s.write_row(1, 0, ["S" * 300, "One", "D"])))  # fmt: skip


def ten_megabyte_csv_field(folder: Path) -> Path:
    path = folder / "systems.csv"
    path.write_text("System ID,Name,Department\nH1," + "y" * 10_000_000 + ",D\n", encoding="utf-8")
    return path


def cp1252_csv(folder: Path) -> Path:
    path = folder / "systems.csv"
    path.write_bytes('System ID,Name,Department,Annual cost (£)\nH9,Café system,D,"£1,200"\n'.encode("cp1252"))
    return path


def boms_and_zero_width_headers(folder: Path) -> Path:
    path = folder / "systems.csv"
    path.write_bytes("\ufeff\ufeffSystem ID,Name\u200b,Department\nH1,One,D\n".encode())
    return path


def formula_errors(folder: Path) -> Path:
    def write(book, sheet):
        sheet.write_row(0, 0, ["System ID", "Name", "Department", "Users", "Annual cost (£)"])
        sheet.write_row(1, 0, ["H1", "One", "D"])
        sheet.write_formula(1, 3, "=#REF!*2", None, "#REF!")
        sheet.write_formula(1, 4, "=1/0", None, "#DIV/0!")
        sheet.write_row(2, 0, ["H2", "Two"])
        sheet.write_formula(2, 2, "=#REF!", None, "#REF!")

    return _workbook(folder / "errors.xlsx", write)


def dates_before_1900(folder: Path) -> Path:
    def write(book, sheet):
        sheet.write_row(0, 0, ["System ID", "Name", "Department", "End of support", "Go-live year"])
        sheet.write_row(1, 0, ["H1", "One", "D", "31/12/1899", 1990])
        sheet.write_row(2, 0, ["H2", "Two", "D", "01/01/2020", 1850])

    return _workbook(folder / "old.xlsx", write)


def huge_numbers(folder: Path) -> Path:
    path = folder / "systems.csv"
    path.write_text(f"System ID,Name,Department,Users,Annual cost\nH1,One,D,{'9' * 400},1e400\n", encoding="utf-8")
    return path


# case -> (file maker, expected exit code, located issues expected as (code, "SHEET:ROW:COLUMN"))
CASES = {
    "16,384 columns": (widest_sheet, 0, [("unknown_column", "Systems:1:XFD")]),
    "a million formatted empty rows": (million_formatted_empty_rows, 0, []),
    "a 32,767-character cell": (longest_cell, 0, []),
    "a 300-character ID": (overlong_id, 1, [("too_long", "Systems:2:A")]),
    "a 10 MB csv field": (ten_megabyte_csv_field, 1, [("unreadable_file", "::")]),
    "cp1252 csv with £": (cp1252_csv, 0, []),
    "BOMs and zero-width characters": (boms_and_zero_width_headers, 0, []),
    "#REF! and #DIV/0!": (
        formula_errors,
        1,
        [("formula_error", "Systems:2:D"), ("formula_error", "Systems:2:E"), ("formula_error", "Systems:3:C")],
    ),
    "dates before 1900": (dates_before_1900, 1, [("impossible_date", "Systems:2:D"), ("out_of_range", "Systems:3:E")]),
    "numbers too large to store": (huge_numbers, 1, [("bad_number", "systems:2:D"), ("bad_number", "systems:2:E")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_gets_a_clear_outcome_in_bounded_memory(case, tmp_path, good_workbook):
    make, expected_exit, expected_issues = CASES[case]
    db = tmp_path / "estate.duckdb"
    assert import_measured([good_workbook], db)[0] == 0
    before = snapshot(db)
    folder = tmp_path / "hostile"
    folder.mkdir()
    path = make(folder)
    code, issues, peak = import_measured([path], db)
    assert code == expected_exit, issues[:5]
    assert peak < MEMORY_BOUND_MB
    located = {(i["code"], f"{i['sheet']}:{i['row'] or ''}:{i['column']}") for i in issues}
    assert set(expected_issues) <= located, sorted(located)[:10]
    assert all(i["file"] == path.name for i in issues)
    assert all(len(i["message"]) < 400 and len(i["value"]) <= 240 for i in issues)  # long values are cut short
    if expected_exit:
        assert snapshot(db) == before  # nothing stored, nothing lost
    else:
        assert len(snapshot(db)["imports"]) == 2


def test_hostile_values_are_stored_as_written(tmp_path):
    db = tmp_path / "e.duckdb"
    folder = tmp_path / "files"
    folder.mkdir()
    for make in (longest_cell, cp1252_csv):
        assert import_measured([make(folder)], db)[0] == 0
    with duckdb.connect(str(db), read_only=True) as connection:
        names = dict(connection.execute("SELECT source_file, name FROM systems").fetchall())
        cost = connection.execute("SELECT amount_gbp FROM costs").fetchone()[0]
        extra = connection.execute("SELECT count(*) FROM systems WHERE extra IS NOT NULL").fetchone()[0]
    assert names["long.xlsx"] == "N" * 32_767 and names["systems.csv"] == "Café system"
    assert cost == 1200.0 and extra == 0


def test_every_unknown_column_of_the_widest_sheet_is_kept(tmp_path):
    db = tmp_path / "e.duckdb"
    code, _, _ = import_measured([widest_sheet(tmp_path)], db)
    assert code == 0
    with duckdb.connect(str(db), read_only=True) as connection:
        extra = json.loads(connection.execute("SELECT extra FROM systems WHERE system_id = 'H1'").fetchone()[0])
    assert len(extra) == 16_381 and extra["Extra 16383"] == "x"
