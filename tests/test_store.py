"""The DuckDB store: provenance, all-or-nothing imports, duplicates by hash, supersession, history."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from estate.cleaning import financial_year_of
from estate.store import StoreError, connect, import_files
from tests.conftest import run_estate, snapshot, systems_rows, write_xlsx


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_rows_carry_provenance(tmp_path, good_workbook):
    db = tmp_path / "e.duckdb"
    summaries, _ = import_files(db, [good_workbook])
    assert summaries[0].rows == {"systems": 3, "interfaces": 2, "costs": 1}
    assert _rows(db, "SELECT system_id, import_id, source_file, source_sheet, source_row FROM systems ORDER BY 1") == [
        ("S1", 1, "good.xlsx", "Systems", 2),
        ("S2", 1, "good.xlsx", "Systems", 3),
        ("S3", 1, "good.xlsx", "Systems", 4),
    ]
    assert _rows(db, "SELECT source_sheet, source_row, amount_gbp, category FROM costs") == [
        ("Costs", 2, 1200.0, "licence")
    ]
    assert _rows(db, "SELECT kind, source_row FROM interfaces ORDER BY source_row") == [("api", 2), ("batch", 3)]


def test_same_bytes_twice_change_nothing(tmp_path, good_workbook):
    db = tmp_path / "e.duckdb"
    import_files(db, [good_workbook])
    before = snapshot(db)
    summaries, _ = import_files(db, [good_workbook])
    assert summaries[0].status == "unchanged" and summaries[0].import_id == 1
    assert snapshot(db) == before
    result = run_estate("import", str(good_workbook), "--db", str(db))
    assert result.returncode == 0 and "unchanged" in result.stdout


def test_new_version_of_a_file_supersedes_its_rows_and_keeps_history(tmp_path):
    db = tmp_path / "e.duckdb"
    path = write_xlsx(tmp_path / "dept.xlsx", {"Systems": systems_rows(3)})
    import_files(db, [path])
    path = write_xlsx(tmp_path / "dept.xlsx", {"Systems": systems_rows(2, prefix="N")})
    summaries, _ = import_files(db, [path])
    assert summaries[0].superseded == [1]
    assert _rows(db, "SELECT system_id FROM systems ORDER BY 1") == [("N1",), ("N2",)]
    assert _rows(db, "SELECT import_id, status, superseded_by FROM imports ORDER BY 1") == [
        (1, "superseded", 2),
        (2, "current", None),
    ]


def test_departments_files_accumulate_side_by_side(tmp_path):
    db = tmp_path / "e.duckdb"
    a = write_xlsx(tmp_path / "a.xlsx", {"Systems": systems_rows(2, prefix="A", department="A")})
    b = write_xlsx(tmp_path / "b.xlsx", {"Systems": systems_rows(3, prefix="B", department="B")})
    import_files(db, [a])
    import_files(db, [b])
    assert _rows(db, "SELECT department, count(*) FROM systems GROUP BY 1 ORDER BY 1") == [("A", 2), ("B", 3)]


def test_three_sources_merge_field_by_field_with_the_conflict_reported(tmp_path):
    from estate.store import merged_systems_sql

    db = tmp_path / "e.duckdb"
    cmdb = [["System ID", "Name", "Department", "Platform", "Users"], ["S1", "Payments", "Dept A", "mainframe", 300],
            ["S2", "Grants", "Dept A", "saas", None]]  # fmt: skip
    security = [["System ID", "Name", "Department", "Known vulnerabilities"], ["S1", "Payments", "Dept A", 12]]
    owners = [["System ID", "Name", "Department", "Users", "Outage hours per year"],
              ["S1", "Payments", "Dept A", 500, 30], ["S2", "Grants", "Dept A", 40, None]]  # fmt: skip
    import_files(db, [write_xlsx(tmp_path / "cmdb.xlsx", {"Systems": cmdb})])
    import_files(db, [write_xlsx(tmp_path / "security.xlsx", {"Systems": security})])
    _, issues = import_files(db, [write_xlsx(tmp_path / "owners.xlsx", {"Systems": owners})])
    conflicts = [i for i in issues if i.code.value == "field_conflict"]
    assert len(conflicts) == 1 and conflicts[0].row == 2 and "'users' is '500' here but '300'" in conflicts[0].message
    assert "cmdb.xlsx:Systems:2" in conflicts[0].message
    query = (
        "SELECT system_id, users, known_vulnerabilities, outage_hours_per_year, platform, field_sources "
        f"FROM ({merged_systems_sql()}) ORDER BY 1"
    )
    merged = {r[0]: r for r in _rows(db, query)}
    assert merged["S1"][1:5] == (500, 12, 30.0, "mainframe")  # the later import wins; each source fills its own
    assert merged["S2"][1] == 40
    sources = json.loads(merged["S1"][5])
    assert sources["users"] == "owners.xlsx!Systems!2" and sources["known_vulnerabilities"] == "security.xlsx!Systems!2"
    assert sources["platform"] == "cmdb.xlsx!Systems!2"
    # a new version of one source supersedes only that source's values
    security[1][3] = 3
    import_files(db, [write_xlsx(tmp_path / "security.xlsx", {"Systems": security})])
    merged = _rows(db, f"SELECT users, known_vulnerabilities FROM ({merged_systems_sql()}) WHERE system_id = 'S1'")
    assert merged == [(500, 3)]


def test_the_same_bytes_with_another_profile_are_a_new_import(tmp_path):
    from estate.mapping import MappingProfile

    db = tmp_path / "e.duckdb"
    path = write_xlsx(tmp_path / "a.xlsx", {"Systems": systems_rows(2)})
    first, _ = import_files(db, [path])
    again, _ = import_files(db, [path])
    profile = MappingProfile.from_dict({"columns": {"systems": {"Users": "users"}}})
    profile.text = '[columns.systems]\n"Users" = "users"\n'
    other, _ = import_files(db, [path], profile)
    assert first[0].status == "imported" and again[0].status == "unchanged" and other[0].status == "imported"


def test_a_batch_with_one_bad_file_stores_nothing(tmp_path):
    db = tmp_path / "e.duckdb"
    import_files(db, [write_xlsx(tmp_path / "first.xlsx", {"Systems": systems_rows(1, prefix="F")})])
    before = snapshot(db)
    good = write_xlsx(tmp_path / "good.xlsx", {"Systems": systems_rows(2, prefix="G")})
    bad_rows = systems_rows(1, prefix="X")
    bad_rows[1][2] = None
    bad = write_xlsx(tmp_path / "bad.xlsx", {"Systems": bad_rows})
    result = run_estate("import", str(good), str(bad), "--db", str(db))
    assert result.returncode == 1
    assert "bad.xlsx:Systems:2:C: error [missing_value]" in result.stderr
    assert snapshot(db) == before


def test_warnings_are_stored_with_the_import(tmp_path):
    db = tmp_path / "e.duckdb"
    path = write_xlsx(
        tmp_path / "w.xlsx",
        {
            "Systems": systems_rows(2),
            "Interfaces": [["From", "To"], ["S1", "GHOST"], ["S2", "S2"]],
        },
    )
    import_files(db, [path])
    assert _rows(db, 'SELECT row, "column", code, severity FROM import_issues ORDER BY row') == [
        (2, "B", "dangling_reference", "warning"),
        (3, "B", "self_loop", "warning"),
    ]
    assert _rows(db, "SELECT warnings FROM imports") == [(2,)]


def test_interfaces_to_stored_systems_are_not_dangling(tmp_path):
    db = tmp_path / "e.duckdb"
    import_files(db, [write_xlsx(tmp_path / "systems.xlsx", {"Systems": systems_rows(2)})])
    _, issues = import_files(db, [write_xlsx(tmp_path / "flows.xlsx", {"Interfaces": [["From", "To"], ["S1", "S2"]]})])
    assert issues == []


def test_annual_cost_column_becomes_an_unspecified_cost_line(tmp_path):
    db = tmp_path / "e.duckdb"
    rows = systems_rows(2)
    rows[0].append("Annual cost (£)")
    rows[1].append("£1.2m")
    rows[2].append(None)
    import_files(db, [write_xlsx(tmp_path / "c.xlsx", {"Systems": rows})])
    assert _rows(db, "SELECT system_id, financial_year, category, amount_gbp, source_row FROM costs") == [
        ("S1", financial_year_of(date.today()), "unspecified", 1_200_000.0, 2)
    ]


def test_unknown_columns_and_unrecognised_values_are_kept_in_extra(tmp_path):
    db = tmp_path / "e.duckdb"
    rows = systems_rows(1)
    rows[0].append("Notes")
    rows[1].append("keep me")
    rows[1][3] = "Quantum computer"
    import_files(db, [write_xlsx(tmp_path / "x.xlsx", {"Systems": rows})])
    platform, extra = _rows(db, "SELECT platform, extra FROM systems")[0]
    assert platform is None
    assert json.loads(extra) == {"Platform": "Quantum computer", "Notes": "keep me"}


def test_end_of_support_is_derived_from_technology_when_blank(tmp_path):
    db = tmp_path / "e.duckdb"
    rows = systems_rows(2)
    rows[1][4], rows[1][5] = "Windows Server 2008 R2", None
    import_files(db, [write_xlsx(tmp_path / "d.xlsx", {"Systems": rows})])
    assert _rows(
        db, "SELECT system_id, end_of_support, end_of_support_derived, end_of_support_basis FROM systems ORDER BY 1"
    ) == [
        ("S1", date(2020, 1, 14), True, "Windows Server 2008 / 2008 R2"),
        ("S2", date(2027, 3, 31), False, None),
    ]


def test_a_database_in_use_gives_a_clear_retry_message(tmp_path, good_workbook):
    db = tmp_path / "busy.duckdb"
    import_files(db, [good_workbook])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreError, match="in use by another process"), connect(db):
            pass
        other = write_xlsx(tmp_path / "other.xlsx", {"Systems": systems_rows(1, prefix="O")})
        result = run_estate("import", str(other), "--db", str(db))
        assert result.returncode == 1 and "in use" in result.stderr and "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert _rows(db, "SELECT count(*) FROM systems") == [(3,)]


def test_reading_a_missing_database_says_what_to_do(tmp_path):
    with pytest.raises(StoreError, match="estate import"), connect(tmp_path / "absent.duckdb", read_only=True):
        pass


def test_env_var_chooses_the_default_database(tmp_path, good_workbook):
    db = tmp_path / "from_env.duckdb"
    result = run_estate("import", str(good_workbook), cwd=tmp_path, env={"ESTATE_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert db.exists() and not (tmp_path / "estate.duckdb").exists()
