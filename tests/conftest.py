"""Shared helpers: real workbooks written with openpyxl/xlsxwriter, and the real `estate` command."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import settings

ESTATE = str(Path(sys.executable).with_name("estate"))
DATA = Path(__file__).parent / "data"

SYSTEM_HEADERS = ["System ID", "Name", "Department", "Platform", "Technology", "End of support", "Users"]


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> Path:
    """Write a workbook with openpyxl: sheet name -> rows."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    workbook.save(path)
    return path


def analysed_sample(folder: Path, systems: int, seed: int, draws: int, as_of: date = date(2026, 1, 1)) -> Path:
    """Write the synthetic sample into `folder`, import it into folder/estate.duckdb and analyse it (seed 0)."""
    from estate.sample import write_sample
    from estate.store import import_files
    from pipeline.run import analyse
    from pipeline.settings import AnalysisSettings

    workbook = folder / "sample.xlsx"
    write_sample(workbook, systems=systems, seed=seed)
    db = folder / "estate.duckdb"
    import_files(db, [workbook])
    analyse(db, AnalysisSettings(as_of, seed=0, draws=draws))
    return db


def systems_rows(n: int = 3, prefix: str = "S", department: str = "Dept A") -> list[list[object]]:
    """Return a header and n valid Systems rows."""
    rows: list[list[object]] = [list(SYSTEM_HEADERS)]
    for i in range(1, n + 1):
        rows.append([f"{prefix}{i}", f"System {i}", department, "On Prem", "COBOL", "31/03/2027", 10 * i])
    return rows


def run_console_script(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the installed `estate` console script in a new process and capture its output (start-up, signals)."""
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    full_env.pop("ESTATE_DB", None) if env is None or "ESTATE_DB" not in env else None
    return subprocess.run([ESTATE, *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120)


def run_estate(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `estate` in this process (typer's CliRunner: no second of start-up per call) and capture its output.

    Behaves as the console script does: the same exit codes, stdout and stderr; an error the command line
    turns into a message (OutputError) is that message; any other exception is its traceback on stderr
    with exit 1, so a test that says "no traceback" still sees one.
    """
    import contextlib
    import traceback

    from typer.testing import CliRunner

    from app.cli import app
    from estate.files import OutputError

    variables = {"COLUMNS": "200", "NO_COLOR": "1", "ESTATE_DB": None, **(env or {})}
    with contextlib.chdir(cwd or Path.cwd()):
        result = CliRunner().invoke(app, list(args), env=variables, catch_exceptions=True)
    stderr, code = result.stderr, result.exit_code
    error = result.exception
    if isinstance(error, OutputError):
        stderr, code = stderr + f"Error: {error}\n", 1
    elif error is not None and not isinstance(error, SystemExit):
        stderr += "".join(traceback.format_exception(error))
        code = 1
    return subprocess.CompletedProcess([ESTATE, *args], code, result.stdout, stderr)


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Return every row of every table in a database, sorted, for before/after comparisons."""
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as connection:
        tables = [r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {t: sorted(map(repr, connection.execute(f'SELECT * FROM "{t}"').fetchall())) for t in sorted(tables)}


@pytest.fixture
def good_workbook(tmp_path: Path) -> Path:
    """A small valid inventory with Systems, Interfaces and Costs sheets."""
    return write_xlsx(
        tmp_path / "good.xlsx",
        {
            "Systems": systems_rows(3),
            "Interfaces": [
                ["Source system ID", "Target system ID", "Kind"],
                ["S1", "S2", "API"],
                ["S2", "S3", "batch"],
            ],
            "Costs": [
                ["System ID", "Financial year", "Category", "Amount (£)"],
                ["S1", "2024-25", "Licence", "£1,200"],
            ],
        },
    )


settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
