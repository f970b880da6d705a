"""Readers: header rows below titles, offsets, cached formula values, csv encodings and delimiters."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from estate.mapping import MappingProfile, layout_sheet
from estate.readers import column_index, column_letter, read_file
from estate.schema import SYSTEMS
from estate.validation import validate_file
from tests.conftest import run_estate, systems_rows, write_xlsx


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (16383, "XFD")])
def test_column_letters_round_trip(index, letters):
    assert column_letter(index) == letters
    assert column_index(letters) == index


@pytest.mark.parametrize("title_rows", [0, 1, 3, 9])
def test_header_found_below_title_rows(tmp_path, title_rows):
    rows = [["Department of Examples: application inventory"]] + [[]] * (title_rows - 1) if title_rows else []
    path = write_xlsx(tmp_path / "titled.xlsx", {"Systems": rows + systems_rows(2)})
    sheet = read_file(path)[0]
    layout = layout_sheet(sheet, SYSTEMS, MappingProfile())
    assert layout.header_row == title_rows + 1
    result = validate_file(path)
    assert result.ok, [i.as_text() for i in result.issues]
    assert result.tables["systems"][0].values.column("source_row").to_pylist() == [title_rows + 2, title_rows + 3]


def test_header_beyond_row_ten_is_not_found(tmp_path):
    path = write_xlsx(tmp_path / "deep.xlsx", {"Systems": [["title"]] * 10 + systems_rows(1)})
    result = validate_file(path)
    assert [i.code.value for i in result.issues] == ["no_header"]


def test_data_starting_away_from_a1_keeps_real_row_numbers_and_letters(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Systems"
    for r, row in enumerate(systems_rows(2), start=4):
        for c, value in enumerate(row, start=3):
            sheet.cell(row=r, column=c, value=value)
    sheet.cell(row=6, column=5).value = None  # blank Department on the second data row (E6)
    path = tmp_path / "offset.xlsx"
    workbook.save(path)
    result = validate_file(path)
    missing = [i for i in result.issues if i.code.value == "missing_value"]
    assert [(i.row, i.column) for i in missing] == [(6, "E")]


def test_formula_cells_use_cached_values(tmp_path):
    path = tmp_path / "formulas.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Systems")
    sheet.write_row(0, 0, ["System ID", "Name", "Department", "Users"])
    sheet.write_row(1, 0, ["S1", "Payroll", "HR"])
    sheet.write_formula(1, 3, "=10*12", None, 120)
    sheet.write_formula(2, 0, '="S"&"2"', None, "S2")
    sheet.write_row(2, 1, ["Ledger", "Finance", 5])
    workbook.close()
    result = validate_file(path)
    values = result.tables["systems"][0].values
    assert values.column("system_id").to_pylist() == ["S1", "S2"]
    assert values.column("users").to_pylist() == [120, 5]


def test_text_that_looks_like_a_formula_is_kept_verbatim(tmp_path):
    path = tmp_path / "text.csv"
    path.write_text('System ID,Name,Department\nS1,"=HYPERLINK(""x"")",+44 Ops\n', encoding="utf-8")
    values = validate_file(path).tables["systems"][0].values
    assert values.column("name").to_pylist() == ['=HYPERLINK("x")']
    assert values.column("department").to_pylist() == ["+44 Ops"]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("utf-16-le", b"\xff\xfe")],
)
def test_csv_encodings(tmp_path, encoding, bom):
    text = "System ID,Name,Department,Annual cost (£)\r\nS1,Café ledger,Finance,£1.2m\r\n"
    path = tmp_path / "systems.csv"
    path.write_bytes(bom + text.encode(encoding))
    result = validate_file(path)
    assert result.ok, [i.as_text() for i in result.issues]
    assert result.tables["systems"][0].values.column("name").to_pylist() == ["Café ledger"]
    assert result.tables["costs"][0].values.column("amount_gbp").to_pylist() == [1_200_000.0]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiters(tmp_path, delimiter):
    path = tmp_path / "inventory.csv"
    path.write_text(delimiter.join(["System ID", "Name", "Department"]) + "\n" + delimiter.join(["S1", "A", "B"]))
    assert validate_file(path).tables["systems"][0].values.num_rows == 1


def test_csv_blank_lines_keep_row_numbers(tmp_path):
    path = tmp_path / "systems.csv"
    path.write_text("Inventory\n\nSystem ID,Name,Department\n\nS1,A,\n")
    issues = validate_file(path).issues
    assert [(i.row, i.column, i.code.value) for i in issues] == [(5, "C", "missing_value")]


def test_csv_table_from_name_or_headers(tmp_path):
    named = tmp_path / "dwp_interfaces.csv"
    named.write_text("From,To\nA,B\n")
    unnamed = tmp_path / "export.csv"
    unnamed.write_text("System,Financial year,Category,Amount\nA,2024-25,Licence,5\n")
    assert list(validate_file(named).tables) == ["interfaces"]
    assert list(validate_file(unnamed).tables) == ["costs"]


def test_one_sheet_workbook_is_the_systems_sheet(tmp_path):
    path = write_xlsx(tmp_path / "one.xlsx", {"Apps 2025": systems_rows(2)})
    assert validate_file(path).rows("systems") == 2


def test_sheet_names_are_case_insensitive_with_synonyms(tmp_path):
    path = write_xlsx(
        tmp_path / "names.xlsx",
        {
            "APPLICATIONS": systems_rows(2),
            "data flows": [["From", "To"], ["S1", "S2"]],
            "README": [["notes"]],
        },
    )
    result = validate_file(path)
    assert (result.rows("systems"), result.rows("interfaces")) == (2, 1)
    assert result.issues == []


def test_unknown_columns_are_kept_and_reported(tmp_path):
    rows = systems_rows(2)
    rows[0].append("Favourite colour")
    rows[1].append("blue")
    path = write_xlsx(tmp_path / "extra.xlsx", {"Systems": rows})
    result = validate_file(path)
    assert [(i.code.value, i.column, i.row) for i in result.issues] == [("unknown_column", "H", 1)]
    extra = result.tables["systems"][0].values.column("extra").to_pylist()
    assert extra == [{"Favourite colour": "blue"}, {"Favourite colour": None}]


def test_read_file_returns_text_cells(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"Systems": [["a", 1, 2.5]]})
    cells = read_file(Path(path))[0].cells
    assert cells.to_pylist() == [{"A": "a", "B": "1", "C": "2.5"}]


def test_merged_title_above_the_header_is_accepted(tmp_path):
    path = write_xlsx(tmp_path / "title.xlsx", {"Systems": [["Inventory 2025"], *systems_rows(2)]})
    workbook = openpyxl.load_workbook(path)
    workbook["Systems"].merge_cells("A1:G1")
    workbook.save(path)
    result = validate_file(path)
    assert result.ok and result.rows("systems") == 2


def test_hidden_lookup_sheets_are_ignored_and_one_visible_sheet_is_systems(tmp_path):
    path = write_xlsx(
        tmp_path / "lists.xlsx",
        {"Apps": systems_rows(2), "Dropdowns": [["On Prem"], ["SaaS"]]},
        hidden=("Dropdowns",),
    )
    result = validate_file(path)
    assert result.issues == [] and result.rows("systems") == 2


def test_two_sheets_for_one_table_is_an_error(tmp_path):
    path = write_xlsx(tmp_path / "two.xlsx", {"Systems": systems_rows(1), "Applications": systems_rows(1)})
    assert [i.code.value for i in validate_file(path).issues] == ["duplicate_sheet"]


def test_profile_sheet_that_is_not_there_is_reported(tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", {"Systems": systems_rows(1)})
    issues = validate_file(path, MappingProfile(sheets={"interfaces": "Feeds"})).issues
    assert [(i.code.value, i.sheet) for i in issues] == [("missing_sheet", "Feeds")]


def test_profile_header_row_overrides_detection(tmp_path):
    rows = [["System ID", "Name", "Department"], ["ignored", "title", "row"], *systems_rows(1)]
    path = write_xlsx(tmp_path / "h.xlsx", {"Systems": rows})
    result = validate_file(path, MappingProfile(header_rows={"systems": 3}))
    assert result.ok and result.tables["systems"][0].values.column("source_row").to_pylist() == [4]


def test_parquet_tables_import_like_csv(tmp_path):
    from datetime import date

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table(
            {
                "System ID": ["P1", "P2"],
                "Name": ["Ledger", "=SUM(1)"],
                "Department": ["Finance", "HR"],
                "End of support": [date(2025, 3, 31), None],
                "Users": [120, 5],
                "Support FTE": [1.5, None],
            }
        ),
        tmp_path / "dept_systems.parquet",
    )
    pq.write_table(
        pa.table({"System": ["P1"], "FY": ["2024-25"], "Category": ["Licence"], "Amount": [1234.5]}),
        tmp_path / "dept_costs.parquet",
    )
    systems = validate_file(tmp_path / "dept_systems.parquet")
    assert systems.ok, [i.as_text() for i in systems.issues]
    values = systems.tables["systems"][0].values
    assert values.column("name").to_pylist() == ["Ledger", "=SUM(1)"]
    assert values.column("end_of_support").to_pylist() == [date(2025, 3, 31), None]
    assert values.column("users").to_pylist() == [120, 5] and values.column("source_row").to_pylist() == [2, 3]
    costs = validate_file(tmp_path / "dept_costs.parquet")
    assert costs.tables["costs"][0].values.column("amount_gbp").to_pylist() == [1234.5]


def test_a_broken_parquet_file_is_a_located_error(tmp_path):
    path = tmp_path / "systems.parquet"
    path.write_bytes(b"PAR1 not really")
    assert [i.code.value for i in validate_file(path).issues] == ["unreadable_file"]


REAL = Path(__file__).parents[2] / "shared" / "real-inventories"


@pytest.mark.skipif(not REAL.exists(), reason="the real inventories in ../shared are not here")
def test_validate_names_the_closest_unmapped_headers_on_a_real_register():
    register = REAL / "moj-modernisation-platform" / "converted" / "moj_modernisation_platform_applications.csv"
    result = run_estate("validate", str(register))
    assert result.returncode == 1
    missing = [line for line in result.stderr.splitlines() if "[missing_column]" in line]
    assert missing and all("closest unmapped" in line for line in missing)
    assert not any("'Department'" in line for line in missing)  # "business-unit" is a department synonym now
