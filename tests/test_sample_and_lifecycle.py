"""The synthetic sample and the lifecycle reference data."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import fastexcel
import pytest

from estate.lifecycle import LIFECYCLE_CSV, lookup_end_of_support
from estate.sample import SYNTHETIC_NOTICE, generate, sample_files, write_sample
from estate.store import import_files

ROOT = Path(__file__).parents[1]


def test_same_seed_same_bytes_and_different_seed_different_data(tmp_path):
    a, b = write_sample(tmp_path / "a.xlsx", 50, 3), write_sample(tmp_path / "b.xlsx", 50, 3)
    assert a == b
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert generate(50, 4) != generate(50, 3)


def test_committed_sample_is_what_the_generator_makes(tmp_path):
    write_sample(tmp_path / "sample.xlsx")
    assert (tmp_path / "sample.xlsx").read_bytes() == (ROOT / "sample_inventory.xlsx").read_bytes(), (
        "sample_inventory.xlsx is stale: run `make sample`"
    )


def test_committed_sample_is_labelled_synthetic_and_imports_cleanly(tmp_path):
    path = ROOT / "sample_inventory.xlsx"
    readme = fastexcel.read_excel(str(path)).load_sheet("README", header_row=None).to_arrow()
    assert SYNTHETIC_NOTICE in readme.column(0).to_pylist()
    summaries, issues = import_files(tmp_path / "e.duckdb", [path])
    rows = summaries[0].rows
    assert rows["systems"] == 400 and rows["interfaces"] == 5 * 400  # ~5 interfaces per system
    assert 18 * 400 <= rows["costs"] <= 22 * 400  # ~20 ledger-level cost lines per system
    assert {i.code.value for i in issues} <= {"dangling_reference", "support_before_go_live"}
    assert sum(i.code.value == "dangling_reference" for i in issues) == 5


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_large_tables_are_written_beside_the_workbook_and_import_with_it(kind, tmp_path, monkeypatch):
    import estate.sample

    monkeypatch.setattr(estate.sample, "SHEET_ROW_LIMIT", 250)  # as --systems 100000 does at 100,000 rows
    workbook = tmp_path / "big.xlsx"
    counts = write_sample(workbook, 60, 5, kind)
    files = sample_files(workbook, counts, kind)
    assert [f.name for f in files] == ["big.xlsx", f"big_interfaces.{kind}", f"big_costs.{kind}"]
    sheets = fastexcel.read_excel(str(workbook)).sheet_names
    assert "Systems" in sheets and "Costs" not in sheets and "Interfaces" not in sheets
    readme = fastexcel.read_excel(str(workbook)).load_sheet("README", header_row=None).to_arrow().column(0)
    assert f"Costs: {counts['Costs']:,} rows in big_costs.{kind} (import it too)" in readme.to_pylist()
    again = tmp_path / "again"
    again.mkdir()
    write_sample(again / "big.xlsx", 60, 5, kind)
    assert all((again / f.name).read_bytes() == f.read_bytes() for f in files)  # same seed, same bytes
    summaries, issues = import_files(tmp_path / "e.duckdb", files)
    stored = {table: sum(s.rows.get(table, 0) for s in summaries) for table in ("systems", "interfaces", "costs")}
    assert stored == {"systems": 60, "interfaces": counts["Interfaces"], "costs": counts["Costs"]}
    assert {i.code.value for i in issues} <= {"dangling_reference", "support_before_go_live"}


def test_sample_refuses_an_unknown_large_table_format(tmp_path):
    with pytest.raises(ValueError, match="parquet or csv"):
        write_sample(tmp_path / "x.xlsx", 5, 1, "xlsb")


def test_sample_has_the_mix_later_features_need():
    data = generate()
    systems = data["Systems"]
    assert len({row[2] for row in systems}) == 12
    platforms = {row[5] for row in systems}
    assert {"mainframe", "on_premises", "saas", "public_cloud"} <= platforms
    assert any("COBOL" in row[6] for row in systems) and any("Oracle Forms" in row[6] for row in systems)
    costed = {row[0] for row in data["Costs"]}
    assert 0 < len(set(r[0] for r in systems) - costed) < len(systems) * 0.25
    assert {row[1] for row in data["Costs"]} == {"2022-23", "2023-24", "2024-25"}


def _lifecycle_rows() -> list[dict[str, str]]:
    with LIFECYCLE_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("row", _lifecycle_rows(), ids=lambda r: r["product"])
def test_every_lifecycle_row_is_sourced_and_valid(row):
    re.compile(row["pattern"])
    assert date(1990, 1, 1) < date.fromisoformat(row["end_of_support"]) < date(2040, 1, 1)
    assert row["source_title"] and row["source_url"].startswith("https://")


@pytest.mark.parametrize(
    ("technology", "product"),
    [
        ("Windows Server 2008 R2", "Windows Server 2008 / 2008 R2"),
        ("RHEL 6", "Red Hat Enterprise Linux 6"),
        ("Oracle Database 11g", "Oracle Database 11g Release 2"),
        ("Oracle Forms 6i", "Oracle Forms 6i"),
        ("SQL Server 2012", "SQL Server 2012"),
        ("Java 6", "Java SE 6"),
        ("JDK 1.6", "Java SE 6"),
        (".NET Framework 4.6.1", ".NET Framework 4.5.2, 4.6, 4.6.1"),
        ("SAP ECC 6.0", "SAP ECC 6.0 (EHP 6-8)"),
        ("z/OS 2.4", "z/OS 2.4"),
        ("COBOL on z/OS 2.4", "z/OS 2.4"),  # a stack: the product it names, a slash kept
        ("Java 17", "Java SE 17"),  # in the catalogue since the lifecycle catalogue grew
        ("W2K8 R2", "Windows Server 2008 / 2008 R2"),
        ("Java 8 on Windows Server 2008", "Windows Server 2008 / 2008 R2"),  # the earliest of a stack's dates
        ("VB6", "Visual Basic 6.0 (IDE)"),
        ("Visual Basic 6", "Visual Basic 6.0 (IDE)"),
    ],
)
def test_lifecycle_lookup(technology, product):
    assert lookup_end_of_support(technology).product == product


@pytest.mark.parametrize("technology", ["COBOL", "Java 23", "Salesforce", "JavaScript", "Oracle Forms 12c"])
def test_lifecycle_does_not_guess(technology):
    assert lookup_end_of_support(technology) is None
