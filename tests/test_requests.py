"""Data requests: workbooks that ask for the missing facts worth most, filled in and imported straight back."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from estate.issues import ImportRejected
from estate.requests import requested_ids
from estate.store import import_files
from pipeline.results import read_stored
from pipeline.run import analyse
from pipeline.settings import AnalysisSettings
from tests.conftest import run_estate, snapshot

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from datetime import date

    folder = tmp_path_factory.mktemp("requests")
    db = folder / "e.duckdb"
    import_files(db, [ROOT / "sample_inventory.xlsx"])
    analyse(db, AnalysisSettings(date(2026, 11, 25), draws=100))
    result = run_estate("requests", "--db", str(db), "--out", str(folder / "requests"))
    assert result.returncode == 0, result.stderr
    files = sorted((folder / "requests").glob("request-*.xlsx"))
    assert files
    return db, files


@pytest.fixture
def requested(written, tmp_path):
    """A copy of the analysed database (each test may import into it) and the request workbooks."""
    import shutil

    db, files = written
    copy = tmp_path / "e.duckdb"
    shutil.copy(db, copy)
    return copy, files


def fill(path: Path, out: Path, change=None) -> tuple[Path, dict[str, dict[str, float]]]:
    """Fill every open numeric cell of a request with a value; return the file and what was written."""
    book = openpyxl.load_workbook(path)
    sheet = book["Systems"]
    headers = [c.value for c in sheet[1]]
    written = {}
    for row in sheet.iter_rows(min_row=2):
        system_id = row[0].value
        for cell, header in zip(row[3:], headers[3:], strict=True):
            if header in ("Users", "Outage hours per year", "Known vulnerabilities",
                          "Manual workaround hours per month"):  # fmt: skip
                cell.value = 7
                written.setdefault(system_id, {})[header] = 7
    if change:
        change(sheet)
    book.save(out)
    return out, written


def test_request_workbooks_list_missing_facts_with_locked_ids(requested):
    _, files = requested
    book = openpyxl.load_workbook(files[0])
    sheet = book["Systems"]
    assert [c.value for c in sheet[1]][:3] == ["System ID", "Name", "Department"]
    assert sheet.protection.sheet and sheet["A2"].protection.locked and not sheet["D2"].protection.locked
    assert requested_ids(files[0]) == [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)]
    assert "Guidance" in book.sheetnames


def test_a_filled_request_imports_back_and_the_facts_are_used_as_observed(requested, tmp_path):
    from datetime import date

    db, files = requested
    numeric = {"Users": "users", "Outage hours per year": "outage_hours_per_year",
               "Known vulnerabilities": "known_vulnerabilities",
               "Manual workaround hours per month": "manual_workaround_hours_per_month"}  # fmt: skip
    target = next(f for f in files if any(c.value in numeric for c in openpyxl.load_workbook(f)["Systems"][1]))
    path, written = fill(target, tmp_path / "returned.xlsx")
    assert written
    before = read_stored(db, ("model_inputs",))["model_inputs"].set_index("system_id")
    assert run_estate("import", str(path), "--db", str(db)).returncode == 0
    analyse(db, AnalysisSettings(date(2026, 11, 25), draws=100))
    after = read_stored(db, ("model_inputs",))["model_inputs"].set_index("system_id")
    for system_id, values in written.items():
        for header in values:
            column = numeric[header]
            assert before.at[system_id, f"{column}_assumed"] and not after.at[system_id, f"{column}_assumed"]
            assert after.at[system_id, column] == 7


@pytest.mark.parametrize("change", ["edited id", "extra row", "negative value"])
def test_a_returned_request_with_edited_ids_extra_rows_or_bad_values_changes_nothing(requested, tmp_path, change):
    db, files = requested

    def edit(sheet):
        if change == "edited id":
            sheet["A2"].value = "NOT-ASKED"
        elif change == "extra row":
            sheet.append(["ZZZ-99999", "New", "Dept", 1])
        else:
            sheet["D2"].value = -5

    path, _ = fill(files[0], tmp_path / "returned.xlsx", edit)
    before = snapshot(db)
    with pytest.raises(ImportRejected) as rejected:
        import_files(db, [path])
    codes = {i.code.value for i in rejected.value.issues}
    assert codes & {"request_changed", "negative_value"}
    located = next(i for i in rejected.value.issues if i.code.value in ("request_changed", "negative_value"))
    assert located.file == "returned.xlsx" and located.sheet == "Systems" and located.row >= 2
    assert snapshot(db) == before
