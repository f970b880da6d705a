"""The real `estate` command: exit codes, output formats, help text and README documentation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer.main

from app.cli import app
from tests.conftest import run_estate, write_xlsx

CLI_DOCS = Path(__file__).parents[1] / "docs" / "cli.md"
COMMANDS = sorted(c.name for c in typer.main.get_command(app).commands.values())
LOCATED = re.compile(r"^[^:]+:[^:]*:\d*:[A-Z]*: (error|warning) \[[a-z_]+\] .+")


def test_the_commands_this_issue_delivers_exist():
    assert COMMANDS == [
        "analyse",
        "app",
        "export",
        "gaps",
        "graph",
        "import",
        "plan",
        "profiles",
        "rank",
        "report",
        "requests",
        "sample",
        "sync",
        "template",
        "validate",
        "verify",
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = run_estate(command, "--help")
    assert result.returncode == 0
    assert "Example: estate " + command in result.stdout.replace("\n", " ").replace("  ", " ")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command):
    assert f"### `estate {command}`" in CLI_DOCS.read_text(encoding="utf-8")


def test_import_prints_a_summary_and_exit_0(tmp_path, good_workbook):
    result = run_estate("import", str(good_workbook), "--db", str(tmp_path / "e.duckdb"))
    assert result.returncode == 0, result.stderr
    assert "good.xlsx: import 1: 3 systems, 2 interfaces, 1 costs; 0 warning(s)" in result.stdout
    assert "3 systems in 1 department(s)" in result.stdout


def test_import_json(tmp_path, good_workbook):
    result = run_estate("import", str(good_workbook), "--db", str(tmp_path / "e.duckdb"), "--json")
    payload = json.loads(result.stdout)
    assert payload["stored"] is True
    assert payload["files"][0]["rows"] == {"systems": 3, "interfaces": 2, "costs": 1}


def test_validate_reports_mapping_and_located_problems_without_a_database(tmp_path):
    rows = [["Title row"], ["App ID", "Application", "Dept", "EOS"], ["A1", "Payroll", "HR", "31/13/2024"]]
    path = write_xlsx(tmp_path / "messy.xlsx", {"Apps": rows})
    result = run_estate("validate", str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert "column D 'EOS' -> end_of_support (synonym)" in result.stdout
    errors = [line for line in result.stderr.splitlines() if "error [" in line]
    assert errors == [
        "messy.xlsx:Apps:3:D: error [impossible_date] column 'EOS' has '31/13/2024': "
        "no such day: expected day/month/year like 31/03/2025"
    ]
    assert all(LOCATED.match(line) for line in errors)
    assert not list(tmp_path.glob("*.duckdb"))


def test_validate_json_lists_every_issue(tmp_path):
    rows = [["System ID", "Name", "Department", "Users"], ["A", "", "HR", "x"], ["A", "B", "", "-1"]]
    path = write_xlsx(tmp_path / "v.xlsx", {"Systems": rows})
    result = run_estate("validate", str(path), "--json")
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    found = {(i["row"], i["column"], i["code"]) for i in payload["issues"]}
    assert found == {
        (2, "B", "missing_value"),
        (2, "D", "bad_number"),
        (3, "A", "duplicate_id"),
        (3, "C", "missing_value"),
        (3, "D", "negative_value"),
    }
    assert set(payload["issues"][0]) == {
        "file",
        "sheet",
        "row",
        "column",
        "value",
        "code",
        "severity",
        "message",
        "record",
    }


def test_mapping_profile_maps_odd_headers_and_sheets(tmp_path):
    path = write_xlsx(
        tmp_path / "odd.xlsx",
        {
            "Cover": [["Read me"]],
            "Kit list": [["Ref", "Thing", "Team", "Kit"], ["K1", "Ledger", "Finance", "Java 6"]],
        },
    )
    profile = tmp_path / "profile.toml"
    profile.write_text(
        '[sheets]\nsystems = "Kit list"\n\n[columns.systems]\n"Ref" = "system_id"\n"Thing" = "name"\n'
        '"Team" = "department"\n"Kit" = "technology"\n'
    )
    result = run_estate("validate", str(path), "--mapping", str(profile))
    assert result.returncode == 0, result.stderr
    assert "column A 'Ref' -> system_id (profile)" in result.stdout


def test_usage_errors_exit_2(tmp_path):
    assert run_estate("import").returncode == 2
    assert run_estate("import", str(tmp_path / "missing.xlsx")).returncode == 2
    assert run_estate("frobnicate").returncode == 2


def test_template_is_written_from_the_schema(tmp_path):
    out = tmp_path / "template.xlsx"
    result = run_estate("template", "--out", str(out))
    assert result.returncode == 0 and out.exists()


def test_sample_writes_a_synthetic_workbook(tmp_path):
    out = tmp_path / "s.xlsx"
    result = run_estate("sample", "--out", str(out), "--systems", "30", "--seed", "7")
    assert result.returncode == 0
    assert "30 systems" in result.stdout and "(synthetic)" in result.stdout


def test_version_and_a_usage_error_through_the_console_script(tmp_path):
    from tests.conftest import run_console_script

    result = run_console_script("--version")  # the installed entry point, in its own process
    assert result.returncode == 0 and result.stdout.startswith("estate ")
    bad = run_console_script("rank", "--format", "xml", "--db", str(tmp_path / "none.duckdb"))
    assert bad.returncode == 2 and "xml" in bad.stderr and "Traceback" not in bad.stderr
    assert run_estate("rank", "--format", "xml").returncode == 2  # in process: the same outcome


def test_app_with_sample_loads_an_empty_database_once(tmp_path):
    from pipeline.run import import_sample_if_empty
    from tests.conftest import snapshot

    db = tmp_path / "e.duckdb"
    assert import_sample_if_empty(db)
    first = snapshot(db)
    assert len(first["systems"]) == 400 and len(first["system_assessment"]) == 400
    assert import_sample_if_empty(db) == []  # a database with systems is left as it is
    assert snapshot(db) == first


def test_export_itemise_default_is_the_library_default():
    from reporting.export import ITEMISED_SYSTEMS

    command = typer.main.get_command(app).commands["export"]
    assert next(p for p in command.params if p.name == "itemise").default == ITEMISED_SYSTEMS


def test_commands_that_print_rows_speak_table_csv_and_json(tmp_path, good_workbook):
    import csv
    import io

    db = tmp_path / "e.duckdb"
    imported = run_estate("import", str(good_workbook), "--db", str(db), "--format", "csv")
    assert imported.returncode == 0, imported.stderr
    (row,) = list(csv.DictReader(io.StringIO(imported.stdout)))
    assert row["status"] == "imported" and int(row["rows_systems"]) > 0
    mapping = run_estate("validate", str(good_workbook), "--format", "csv")
    columns = list(csv.DictReader(io.StringIO(mapping.stdout)))
    assert {"file", "sheet", "column", "header", "field", "how"} == set(columns[0])
    assert any(c["field"] == "system_id" for c in columns)
    profiles = run_estate("profiles", "--format", "json")
    assert {p["name"] for p in json.loads(profiles.stdout)} >= {"archi", "itdashboard", "leanix", "servicenow"}
    assert run_estate("profiles").stdout.startswith("profile")  # the table has a header
    assert run_estate("profiles", "--format", "xml").returncode == 2
    again = run_estate("import", str(good_workbook), "--db", str(db))
    assert "financial year(s)" in again.stdout and "reported)" not in again.stdout  # all years' lines, not "reported"


def test_help_reflows_to_the_terminal_width():
    import os

    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["rank", "--help"], env={**os.environ, "COLUMNS": "80", "TERM": "dumb"})
    prose = [line for line in result.output.splitlines() if line.strip() and "─" not in line and "│" not in line]
    assert all(len(line) <= 80 for line in prose)
    assert "rehost, replatform, refactor" in result.output  # a docstring paragraph reflows: no stranded short lines
