"""The finance workbook: LibreOffice recalculates every formula to Python's figures; text cannot execute."""

from __future__ import annotations

import math
import os
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import run_estate, systems_rows, write_xlsx
from tests.recalc import libreoffice, recalculate

needs_libreoffice = pytest.mark.skipif(
    libreoffice() is None and not os.environ.get("CI"), reason="LibreOffice not installed (CI installs it)"
)
INJECTION = '=HYPERLINK("http://example.invalid","click")'


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("finance")
    technologies = ["COBOL", "Java 6", "SaaS", "Windows Server 2008"]
    rows = [
        [
            "System ID",
            "Name",
            "Department",
            "Platform",
            "Technology",
            "Users",
            "Annual cost (£)",
            "Manual workaround hours per month",
            "Known vulnerabilities",
            "Outage hours per year",
        ]
    ]
    for i in range(1, 41):
        rows.append(
            [
                f"S{i}",
                f"System {i}",
                f"Dept {i % 3}",
                ["Mainframe", "On Prem", "SaaS"][i % 3],
                technologies[i % 4],
                10 * i,
                100_000 * i if i % 5 else None,
                i,
                i % 7,
                i % 4,
            ]
        )
    rows[1][1] = INJECTION
    rows[2][1] = "<script>alert(1)</script>"
    rows[3][1] = "@SUM(1+1)"
    source = write_xlsx(
        folder / "inventory.xlsx",
        {
            "Systems": rows,
            "Interfaces": [
                ["From", "To", "Kind"],
                *[[f"S{i}", f"S{i + 1}", ["api", "manual", "batch"][i % 3]] for i in range(1, 40)],
            ],
        },
    )
    book = openpyxl.load_workbook(source)
    for cell in book["Systems"]["B"][1:4]:
        cell.data_type = "s"  # text that looks like a formula, as a user typed it (not a formula)
    book.save(source)
    db = folder / "e.duckdb"
    result = run_estate("import", str(source), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "100").returncode == 0
    out = folder / "finance.xlsx"
    result = run_estate("export", "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def _formula_cells(path: Path):
    formulas = openpyxl.load_workbook(path)
    for sheet in formulas.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    yield sheet.title, cell.coordinate


def _same(mine, theirs) -> bool:
    if mine in (None, "") and theirs in (None, ""):
        return True
    if isinstance(mine, (int, float)) and isinstance(theirs, (int, float)):
        return math.isclose(mine, theirs, rel_tol=1e-6, abs_tol=1e-6)
    return mine == theirs


@needs_libreoffice
def test_libreoffice_recalculates_every_formula_to_the_python_figure(workbook, tmp_path):
    recalculated = recalculate(workbook, tmp_path)
    python = openpyxl.load_workbook(workbook, data_only=True)
    office = openpyxl.load_workbook(recalculated, data_only=True)
    cells = list(_formula_cells(workbook))
    assert len(cells) > 1000
    wrong = [
        (s, c, python[s][c].value, office[s][c].value)
        for s, c in cells
        if not _same(python[s][c].value, office[s][c].value)
    ]
    assert wrong == []


@needs_libreoffice
def test_changing_an_assumption_recomputes_the_workbook(workbook, tmp_path):
    edited = tmp_path / "edited.xlsx"
    book = openpyxl.load_workbook(workbook)
    sheet = book["Assumptions"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "loaded_hourly_cost")
    sheet.cell(row, 2).value = sheet.cell(row, 2).value * 2
    book.save(edited)
    before = openpyxl.load_workbook(workbook, data_only=True)["Hidden costs"]
    after = openpyxl.load_workbook(recalculate(edited, tmp_path / "out"), data_only=True)["Hidden costs"]
    from costing.hidden import COMPONENTS

    header = next(f"{c.label} (£/year)" for c in COMPONENTS if c.column == "manual_workarounds_gbp")
    column = next(c for c in range(1, before.max_column + 1) if before.cell(1, c).value == header)
    pairs = [(before.cell(r, column).value, after.cell(r, column).value) for r in range(2, before.max_row + 1)]
    assert any(b > 0 for b, _ in pairs)
    assert all(a == pytest.approx(2 * b) for b, a in pairs)


@needs_libreoffice
def test_the_horizon_and_a_risk_threshold_drive_the_formulas(workbook, tmp_path):
    edited = tmp_path / "edited.xlsx"
    book = openpyxl.load_workbook(workbook)
    sheet = book["Assumptions"]
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(rows["optimism_bias_capex"], 2).value = 1.0  # half the uplift (from 200%): cheaper replacements
    sheet.cell(rows["risk_amber_threshold"], 2).value = 1  # the lowest score: nothing is green
    book.save(edited)
    before = openpyxl.load_workbook(workbook, data_only=True)
    after = openpyxl.load_workbook(recalculate(edited, tmp_path / "out"), data_only=True)

    def column(book, sheet_name, header):
        sheet = book[sheet_name]
        c = next(c for c in range(1, sheet.max_column + 1) if sheet.cell(1, c).value == header)
        return [sheet.cell(r, c).value for r in range(2, sheet.max_row + 1)]

    capex_before = column(before, "Appraisal", "Capex with optimism bias (£)")
    capex_after = column(after, "Appraisal", "Capex with optimism bias (£)")
    assert all(a == pytest.approx(b * 2 / 3) for a, b in zip(capex_after, capex_before, strict=True))
    assert "green" in column(before, "Ranking", "Risk RAG") and "green" not in column(after, "Ranking", "Risk RAG")
    ranks = column(after, "Ranking", "Rank")
    assert ranks == sorted(ranks) == list(range(1, len(ranks) + 1))  # rank is a formula, recomputed in order


def test_user_text_is_written_as_inert_text(workbook):
    book = openpyxl.load_workbook(workbook)
    names = {c.value: c for c in book["Systems"]["B"][1:]}
    for text in (INJECTION, "<script>alert(1)</script>", "@SUM(1+1)"):
        assert text in names, text
        assert names[text].data_type == "s"
    assert names[INJECTION].quotePrefix and names["@SUM(1+1)"].quotePrefix


def test_workbook_sheets_named_cells_and_formats(workbook):
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == [
        "README",
        "Totals",
        "Assumptions",
        "Systems",
        "Reported costs",
        "Hidden costs",
        "Appraisal",
        "Ranking",
        "Departments",
    ]
    assert "discount_rate" in book.defined_names and "breach_cost" in book.defined_names
    headers = [c.value for c in book["Appraisal"][1]]
    assert headers[10] == "NPV, central case (£)" and headers[12] == "NPV, expected (£)"
    assert book["Appraisal"]["K2"].value == "=H2+J2-I2" and book["Appraisal"]["M2"].value == "=K2+L2"
    # the optimism-bias upper bounds, reduced only by a recorded mitigation, drive capex and duration
    assert "optimism_bias_capex" in book["Appraisal"]["F2"].value and "Systems!" in book["Appraisal"]["F2"].value
    assert (
        "optimism_bias_duration" in book["Appraisal"]["G2"].value
        and "retirement_years" in book["Appraisal"]["G2"].value
    )
    assert book["Hidden costs"]["B2"].number_format.startswith("£")
    assert book["Systems"].freeze_panes == "B2" and book["Systems"].auto_filter.ref
    assert "SHA-256" in " ".join(str(c.value) for c in book["README"]["A"])


def test_export_before_analyse_and_bad_suffix(tmp_path):
    db = tmp_path / "e.duckdb"
    run_estate("import", str(write_xlsx(tmp_path / "i.xlsx", {"Systems": systems_rows(2)})), "--db", str(db))
    result = run_estate("export", "--db", str(db), "--out", str(tmp_path / "f.xlsx"))
    assert result.returncode == 1 and "estate analyse" in result.stderr and not (tmp_path / "f.xlsx").exists()
    assert run_estate("export", "--db", str(db), "--out", str(tmp_path / "f.csv")).returncode == 2


def test_fast_formula_path_still_expands_newer_functions(tmp_path):
    import xlsxwriter

    from reporting.finance import _FastFormulaWorksheet

    book = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    sheet = book.add_worksheet("S", worksheet_class=_FastFormulaWorksheet)
    assert sheet._prepare_formula("=SUMPRODUCT(A1:A2,B1:B2)") == "SUMPRODUCT(A1:A2,B1:B2)"
    assert sheet._prepare_formula("=XLOOKUP(1,A1:A2,B1:B2)") == "_xlfn.XLOOKUP(1,A1:A2,B1:B2)"
    book.close()


@needs_libreoffice
def test_large_estates_itemise_the_top_systems_and_total_the_rest(workbook, tmp_path):
    db = workbook.parent / "e.duckdb"
    out = tmp_path / "itemised.xlsx"
    result = run_estate("export", "--db", str(db), "--out", str(out), "--itemise", "15")
    assert result.returncode == 0, result.stderr
    full = openpyxl.load_workbook(workbook, data_only=True)
    book = openpyxl.load_workbook(recalculate(out, tmp_path), data_only=True)
    assert book["Hidden costs"].max_row == 16 and book["Ranking"].max_row == 16
    ranks = [book["Ranking"].cell(r, 1).value for r in range(2, 17)]
    assert ranks == list(range(1, 16))  # the highest-ranked 15
    assert "highest-ranked of 40 systems" in " ".join(str(c.value) for c in book["README"]["A"] if c.value)

    def column(sheet, header):
        c = next(c for c in range(1, sheet.max_column + 1) if sheet.cell(1, c).value == header)
        return {sheet.cell(r, 1).value: sheet.cell(r, c).value for r in range(2, sheet.max_row + 1)}

    # recalculated by LibreOffice: itemised formulas + not-itemised values = the whole estate's figures
    assert column(book["Departments"], "Systems, all") == column(full["Departments"], "Systems")
    everything = column(full["Departments"], "Hidden cost, expected (£/year)")
    for department, total in column(book["Departments"], "Hidden cost, all, expected (£/year)").items():
        assert total == pytest.approx(everything[department])
    not_itemised = column(book["Departments"], "Systems not itemised (value)")
    assert not_itemised.pop("All departments") == sum(not_itemised.values()) == 25


@needs_libreoffice
def test_every_surface_states_the_same_headline_to_the_pound(tmp_path):
    """CLI JSON, the sum over `rank --all`, the report's manifest and data, and the recalculated workbook agree."""
    import csv
    import json

    db = tmp_path / "e.duckdb"
    sample = Path(__file__).parents[1] / "sample_inventory.xlsx"
    assert run_estate("import", str(sample), "--db", str(db)).returncode == 0
    analysed = run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "100", "--json")
    headline = json.loads(analysed.stdout)["headline"]
    ranked = json.loads(run_estate("rank", "--db", str(db), "--all", "--top", "1000", "--format", "json").stdout)
    report = tmp_path / "report"
    assert run_estate("report", "--db", str(db), "--out", str(report), "--no-pdf").returncode == 0
    manifest = json.loads((report / "manifest.json").read_text())
    with (report / "data" / "system_assessment.csv").open() as handle:
        data = list(csv.DictReader(handle))
    out = tmp_path / "finance.xlsx"
    assert run_estate("export", "--db", str(db), "--out", str(out), "--itemise", "150").returncode == 0
    book = openpyxl.load_workbook(recalculate(out, tmp_path), data_only=True)

    def named(name: str) -> float:
        destination = next(iter(book.defined_names[name].destinations))
        return book[destination[0]][destination[1].replace("$", "")].value

    number = lambda text: float(text) if text not in ("", None) else 0.0  # noqa: E731
    figures = {
        "reported_cost_gbp": (sum(r["reported_cost_gbp"] or 0 for r in ranked),
                              sum(number(r["reported_cost_gbp"]) for r in data), named("total_reported_cost_gbp")),
        "imputed_cost_gbp": (sum(r["imputed_cost_gbp"] or 0 for r in ranked),
                             sum(number(r["imputed_cost_gbp"]) for r in data), named("total_imputed_cost_gbp")),
        "hidden_cost_gbp": (sum(r["hidden_cost_gbp"] for r in ranked),
                            sum(number(r["hidden_cost_gbp"]) for r in data), named("total_hidden_cost_gbp")),
    }  # fmt: skip
    for key in ("legacy_premium_gbp", "legacy_premium_unobserved_gbp", "hidden_cost_p10_gbp", "hidden_cost_p90_gbp"):
        assert named(f"total_{key}") == pytest.approx(headline[key], abs=1.0), key  # the whole headline, named
    assert named("total_legacy_premium_gbp") + named("total_legacy_premium_unobserved_gbp") == pytest.approx(
        sum(r["legacy_premium_gbp"] for r in ranked), abs=1.0
    )
    departments = book["Departments"]
    headers = {departments.cell(1, c).value: c for c in range(1, departments.max_column + 1)}
    estate_row = {h: departments.cell(departments.max_row, c).value for h, c in headers.items()}
    assert estate_row["Department"] == "All departments"  # the last row: the whole estate, recalculated
    assert estate_row["Systems, all"] == len(ranked)
    for header, key in (("Reported run cost, all (£/year)", "reported_cost_gbp"),
                        ("Imputed run cost, all (£/year)", "imputed_cost_gbp"),
                        ("Hidden cost, all, expected (£/year)", "hidden_cost_gbp"),
                        ("Hidden P10 (£, Monte Carlo value)", "hidden_cost_p10_gbp"),
                        ("Hidden P90 (£, Monte Carlo value)", "hidden_cost_p90_gbp")):  # fmt: skip
        assert estate_row[header] == pytest.approx(headline[key], abs=1.0), header
    opened = openpyxl.load_workbook(out)
    assert opened.sheetnames[:2] == ["README", "Totals"] and opened.active.title == "Totals"
    assert opened["Totals"].column_dimensions["A"].width >= 50  # the figures' names are read, not guessed
    assert manifest["headline"] == headline
    for key, values in figures.items():
        for value in values:
            assert value == pytest.approx(headline[key], abs=1.0), key  # to the pound
    assert headline["imputed_cost_gbp"] > 0 and headline["reported_cost_gbp"] > 0
