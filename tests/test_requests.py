"""Data requests: workbooks that ask for the missing facts worth most, filled in and imported straight back."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from estate.issues import ImportRejected
from estate.requests import request_file_names, request_identity
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
    kind, request_id = request_identity(files[0])
    assert kind == "id" and len(request_id) == 32
    import json

    import duckdb

    db, _ = requested
    with duckdb.connect(str(db), read_only=True) as connection:
        (asked,) = connection.execute("SELECT systems FROM data_requests WHERE request_id = ?", [request_id]).fetchone()
    assert [a["system_id"] for a in json.loads(asked)] == [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)]
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


@pytest.mark.parametrize("change", ["edited id", "extra row", "negative value", "renamed", "moved"])
def test_a_returned_request_with_edited_ids_extra_rows_or_bad_values_changes_nothing(requested, tmp_path, change):
    db, files = requested

    def edit(sheet):
        if change == "edited id":
            sheet["A2"].value = "NOT-ASKED"
        elif change == "extra row":
            sheet.append(["ZZZ-99999", "New", "Dept", 1])
        elif change == "renamed":
            sheet["B2"].value = "A name of my choosing"
        elif change == "moved":
            sheet["C2"].value = "Another department"
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


def _rewrite_custom(source: Path, target: Path, custom: bytes | None) -> Path:
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename == "docProps/custom.xml":
                if custom is not None:
                    new.writestr(item, custom)
            else:
                new.writestr(item, old.read(item))
    return target


@pytest.mark.parametrize("damage", ["deleted", "truncated", "edited id", "another store's id", "legacy ids"])
def test_a_request_whose_identity_is_missing_or_edited_is_refused_not_imported_as_a_plain_file(
    requested, tmp_path, damage
):
    import zipfile

    db, files = requested
    filled, _ = fill(files[0], tmp_path / "filled.xlsx")
    custom = zipfile.ZipFile(filled).read("docProps/custom.xml")
    _, request_id = request_identity(filled)
    changed = {
        "deleted": None,
        "truncated": custom[: len(custom) // 2],
        "edited id": custom.replace(request_id.encode(), b"not-an-id"),
        "another store's id": custom.replace(request_id.encode(), b"0" * 32),
        "legacy ids": custom.replace(b"estate_request", b"estate_request_ids").replace(request_id.encode(), b"[]"),
    }[damage]
    path = _rewrite_custom(filled, tmp_path / "returned.xlsx", changed)
    before = snapshot(db)
    with pytest.raises(ImportRejected) as rejected:
        import_files(db, [path])
    refusal = next(i for i in rejected.value.issues if i.code.value == "request_changed")
    assert refusal.file == "returned.xlsx" and "this data request cannot be imported" in refusal.message
    assert snapshot(db) == before


def test_the_same_return_under_a_second_name_is_refused_so_nothing_is_counted_twice(requested, tmp_path):
    db, files = requested
    first, _ = fill(files[0], tmp_path / "returned.xlsx")
    assert run_estate("import", str(first), "--db", str(db)).returncode == 0
    second = tmp_path / "returned again.xlsx"
    fill(first, second, lambda sheet: None)  # the same return, saved again: other bytes, another name
    before = snapshot(db)
    result = run_estate("import", str(second), "--db", str(db))
    assert result.returncode == 1 and "already imported as 'returned.xlsx'" in result.stderr
    assert snapshot(db) == before
    (tmp_path / "corrected").mkdir()
    corrected, _ = fill(first, tmp_path / "corrected" / "returned.xlsx", lambda sheet: None)
    assert run_estate("import", str(corrected), "--db", str(db)).returncode == 0  # same name: a new version


def test_owner_names_that_make_the_same_safe_name_get_separate_workbooks():
    names = request_file_names(["Team A/B", "Team A-B", "Team A B", "Team A?B", "Other"])
    assert len(set(names.values())) == 5 and names["Other"] == "request-Other.xlsx"
    assert all(n.startswith("request-Team-A-B-") for k, n in names.items() if k != "Other")


def test_requests_into_an_existing_file_is_a_message(written, tmp_path):
    db, _ = written
    taken = tmp_path / "taken"
    taken.write_text("mine")
    result = run_estate("requests", "--db", str(db), "--out", str(taken))
    assert result.returncode == 1 and "it is a file" in result.stderr and "Traceback" not in result.stderr
    assert taken.read_text() == "mine"
