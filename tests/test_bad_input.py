"""Every malformed file: exit 1, a located message naming the file, no traceback, database unchanged."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from msoffcrypto.format.ooxml import OOXMLFile

from tests.conftest import run_estate, snapshot, systems_rows, write_xlsx


def _csv_named_xlsx(d: Path) -> Path:
    path = d / "inventory.xlsx"
    path.write_text("System ID,Name,Department\nS9,X,Y\n")
    return path


def _truncated_zip(d: Path) -> Path:
    good = write_xlsx(d / "src.xlsx", {"Systems": systems_rows(50, prefix="T")})
    path = d / "truncated.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return path


def _corrupt_zip(d: Path) -> Path:
    path = d / "corrupt.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    return path


def _password_protected(d: Path) -> Path:
    plain = write_xlsx(d / "plain.xlsx", {"Systems": systems_rows(2, prefix="P")})
    path = d / "locked.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        office = OOXMLFile(source)
        office.encrypt("secret", target)
    return path


def _empty_workbook(d: Path) -> Path:
    return write_xlsx(d / "empty.xlsx", {"Systems": []})


def _no_systems_sheet(d: Path) -> Path:
    return write_xlsx(d / "nosystems.xlsx", {"Budget": [["a", "b"], [1, 2]], "Staff": [["c"], [3]]})


def _no_recognisable_header(d: Path) -> Path:
    return write_xlsx(d / "noheader.xlsx", {"Systems": [["Colour", "Shape"], ["red", "round"]]})


def _merged_cells(d: Path) -> Path:
    path = write_xlsx(d / "merged.xlsx", {"Systems": systems_rows(3, prefix="M")})
    workbook = openpyxl.load_workbook(path)
    workbook["Systems"].merge_cells("C2:C4")
    workbook.save(path)
    return path


def _hidden_sheet(d: Path) -> Path:
    return write_xlsx(
        d / "hidden.xlsx",
        {"Systems": systems_rows(2, prefix="H"), "Interfaces": [["From", "To"], ["H1", "H2"]]},
        hidden=("Systems",),
    )


def _rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes], extra: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, change(item.filename, zin.read(item.filename)))
        for name, data in extra.items():
            zout.writestr(name, data)
    return target


def _zip_bomb(d: Path) -> Path:
    good = write_xlsx(d / "src.xlsx", {"Systems": systems_rows(2, prefix="Z")})
    return _rewrite(good, d / "bomb.xlsx", lambda _n, b: b, {"xl/media/padding.bin": b"\0" * (64 * 1024**2)})


def _xml_entities(d: Path) -> Path:
    good = write_xlsx(d / "src.xlsx", {"Systems": systems_rows(2, prefix="X")})
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )

    def inject(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return laughs + (data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data)
        return data

    return _rewrite(good, d / "entities.xlsx", inject, {})


def _huge_dimension(d: Path) -> Path:
    path = d / "wide.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Systems")
    sheet.write_row(0, 0, ["System ID", "Name", "Department"])
    sheet.write(1_048_575, 16_383, "far corner")
    workbook.close()
    return path


def _zero_bytes(d: Path) -> Path:
    path = d / "zero.xlsx"
    path.write_bytes(b"")
    return path


def _binary_csv(d: Path) -> Path:
    path = d / "systems.csv"
    path.write_bytes(bytes(range(256)) * 10)
    return path


def _legacy_xls(d: Path) -> Path:
    path = d / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    return path


def _bad_values(d: Path) -> Path:
    rows = systems_rows(3, prefix="B")
    rows[1][5] = "31/13/2024"
    rows[2][6] = "lots"
    rows[3][0] = "B1"
    return write_xlsx(d / "values.xlsx", {"Systems": rows})


CASES = {
    "csv_named_xlsx": (_csv_named_xlsx, "unreadable_file", "inventory.xlsx::"),
    "truncated_zip": (_truncated_zip, "unreadable_file", "truncated.xlsx::"),
    "corrupt_zip": (_corrupt_zip, "unreadable_file", "corrupt.xlsx::"),
    "password_protected": (_password_protected, "password_protected", "locked.xlsx::"),
    "empty_workbook": (_empty_workbook, "empty_file", "empty.xlsx:Systems:"),
    "no_systems_sheet": (_no_systems_sheet, "no_systems_sheet", "nosystems.xlsx::"),
    "no_recognisable_header": (_no_recognisable_header, "no_header", "noheader.xlsx:Systems:"),
    "merged_cells": (_merged_cells, "merged_cells", "merged.xlsx:Systems:2:C"),
    "hidden_sheet": (_hidden_sheet, "hidden_sheet", "hidden.xlsx:Systems:"),
    "zip_bomb": (_zip_bomb, "unsafe_file", "bomb.xlsx::"),
    "xml_entities": (_xml_entities, "unsafe_file", "entities.xlsx::"),
    "huge_dimension": (_huge_dimension, "too_large", "wide.xlsx:Systems:"),
    "zero_bytes": (_zero_bytes, "empty_file", "zero.xlsx::"),
    "binary_csv": (_binary_csv, "unreadable_file", "systems.csv::"),
    "legacy_xls": (_legacy_xls, "unsupported_file_type", "old.xls::"),
    "bad_values": (_bad_values, "impossible_date", "values.xlsx:Systems:2:F"),
}


@pytest.fixture
def populated_db(tmp_path: Path, good_workbook: Path) -> Path:
    db = tmp_path / "estate.duckdb"
    result = run_estate("import", str(good_workbook), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_refused_with_a_located_error_and_nothing_changes(tmp_path, populated_db, case):
    make, code, location = CASES[case]
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = make(bad_dir)
    before = snapshot(populated_db)
    result = run_estate("import", str(bad), "--db", str(populated_db))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"error [{code}]" in result.stderr
    assert any(line.startswith(location) for line in result.stderr.splitlines()), result.stderr
    assert snapshot(populated_db) == before
    validated = run_estate("validate", str(bad))
    assert validated.returncode == 1 and f"[{code}]" in validated.stderr


def test_bad_values_are_all_reported_at_once(tmp_path):
    bad = _bad_values(tmp_path)
    result = run_estate("validate", str(bad))
    codes = {line.split("[")[1].split("]")[0] for line in result.stderr.splitlines() if "[" in line}
    assert {"impossible_date", "bad_number", "duplicate_id"} <= codes


def test_a_full_height_sheet_reads_in_bounded_memory(tmp_path):
    path = tmp_path / "tall.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Systems")
    sheet.write_row(0, 0, ["System ID", "Name", "Department"])
    sheet.write_row(1, 0, ["S1", "First", "Dept"])
    sheet.write_row(1_048_575, 0, ["S2", "Last", "Dept"])
    workbook.close()
    db = tmp_path / "tall.duckdb"
    result = run_estate("import", str(path), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    rows = snapshot(db)["systems"]
    assert len(rows) == 2 and "1048576" in rows[1]


def test_bad_mapping_profile_is_a_usage_error(tmp_path, good_workbook):
    profile = tmp_path / "profile.toml"
    profile.write_text('[columns.systems]\n"Kit" = "tecnology"\n')
    result = run_estate("validate", str(good_workbook), "--mapping", str(profile))
    assert result.returncode == 2
    assert "unknown field 'tecnology'" in result.stderr and "Traceback" not in result.stderr
    profile.write_text("not toml = = =")
    assert run_estate("validate", str(good_workbook), "--mapping", str(profile)).returncode == 2


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[sheets]\nsystems = ["Sheet1", 3]\n', "sheets.systems"),
        ('[columns.systems]\n"Kit" = 3\n', "columns.systems.'Kit'"),
        ("sheets = 5\n", "[sheets]"),
        ('[header_rows]\nsystems = "2"\n', "header_rows.systems"),
    ],
)
def test_every_profile_value_is_type_checked(tmp_path, good_workbook, text, named):
    profile = tmp_path / "profile.toml"
    profile.write_text(text)
    result = run_estate("validate", str(good_workbook), "--mapping", str(profile))
    assert result.returncode == 2 and named in result.stderr and "Traceback" not in result.stderr
