"""The analysis pipeline: one home for results, one transaction per analysis, databases that survive upgrades."""

from __future__ import annotations

import ast
import dataclasses
import gzip
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from datetime import date
from html import unescape
from pathlib import Path

import duckdb
import pytest

from costing.hidden import COMPONENTS
from costing.inputs import SYSTEM_INPUTS
from costing.parameters import ParameterError
from costing.ranking import RANKING_CRITERIA
from estate import store
from estate.schema import INTERFACE_KINDS, SYSTEMS
from estate.store import SCHEMA_VERSION, StoreError, connect
from pipeline.results import ASSESSMENT_COLUMNS, RESULT_TABLES, NotAnalysed, read_stored
from pipeline.run import analyse
from pipeline.settings import AnalysisSettings, load_parameters
from tests.conftest import DATA, ESTATE, run_estate, snapshot, systems_rows, write_xlsx

ROOT = Path(__file__).parents[1]
AS_OF = date(2026, 11, 25)
OLD_RELEASE = DATA / "estate-0.1.0.duckdb.gz"  # written by estate 0.1.0: 30 systems imported and analysed
RESULT_NAMES = {t.name for t in RESULT_TABLES}


def old_database(folder: Path) -> Path:
    db = folder / "old.duckdb"
    with gzip.open(OLD_RELEASE) as source, db.open("wb") as target:
        shutil.copyfileobj(source, target)
    return db


def input_rows(db: Path) -> dict[str, list]:
    """Return every stored input row (systems, interfaces, costs, imports), as the earlier release wrote them."""
    with duckdb.connect(str(db), read_only=True) as connection:
        rows = {}
        for table in ("systems", "interfaces", "costs"):
            columns = [
                r[0]
                for r in connection.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            ]
            rows[table] = connection.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()
        rows["imports"] = connection.execute("SELECT import_id, file_name, sha256 FROM imports").fetchall()
    return rows


def result_snapshot(db: Path) -> dict[str, list]:
    return {name: rows for name, rows in snapshot(db).items() if name in RESULT_NAMES}


# ---------------------------------------------------------------- schema evolution


def test_a_database_from_release_0_1_imports_and_analyses_keeping_every_row(tmp_path):
    db = old_database(tmp_path)
    before = input_rows(db)
    assert len(before["systems"]) == 30
    stale = run_estate("rank", "--db", str(db))
    assert stale.returncode == 1 and "earlier release" in stale.stderr and "estate analyse" in stale.stderr
    extra = write_xlsx(tmp_path / "more.xlsx", {"Systems": systems_rows(3, prefix="NEW-")})
    imported = run_estate("import", str(extra), "--db", str(db))
    assert imported.returncode == 0, imported.stderr
    analysed = run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "50")
    assert analysed.returncode == 0, analysed.stderr
    after = input_rows(db)
    for table in ("systems", "interfaces", "costs", "imports"):
        kept = [row[: len(before[table][0])] for row in after[table]] if before[table] else []
        assert set(before[table]) <= set(kept), table
    assert len(after["systems"]) == 33
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT value FROM estate_meta").fetchone()[0] == str(SCHEMA_VERSION)
    assert len(read_stored(db).assessment) == 33
    assert run_estate("rank", "--db", str(db), "--top", "3").returncode == 0


def test_reading_an_earlier_release_upgrades_it_once_and_keeps_the_rows(tmp_path):
    db = old_database(tmp_path)
    before = input_rows(db)
    with connect(db, read_only=True) as connection:
        assert store.stored_schema_version(connection) == SCHEMA_VERSION
    after = input_rows(db)
    for table in ("systems", "interfaces", "costs", "imports"):
        assert [row[: len(before[table][0])] for row in after[table]] == before[table], table
    assert len(after["systems"][0]) > len(before["systems"][0])  # the fields added since 0.1, empty


def test_a_database_from_a_newer_release_is_refused_and_not_modified(tmp_path):
    db = tmp_path / "new.duckdb"
    with connect(db) as connection:
        connection.execute("UPDATE estate_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    for read_only in (False, True):
        with pytest.raises(StoreError, match="newer release of estate"), connect(db, read_only=read_only):
            pass
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    result = run_estate("import", str(write_xlsx(tmp_path / "a.xlsx", {"Systems": systems_rows(2)})), "--db", str(db))
    assert result.returncode == 1 and "newer release" in result.stderr and "Traceback" not in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_a_field_added_to_the_schema_is_added_to_existing_databases(tmp_path, monkeypatch):
    db = old_database(tmp_path)
    before = input_rows(db)
    text_field = next(f for f in SYSTEMS.stored_fields if f.duckdb_type == "VARCHAR" and not f.required)
    added = dataclasses.replace(text_field, name="hosting_region", synonyms=())
    grown = dataclasses.replace(SYSTEMS, fields=(*SYSTEMS.fields, added))
    monkeypatch.setattr(store, "TABLES", tuple(grown if t.name == "systems" else t for t in store.TABLES))
    monkeypatch.setattr(store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with connect(db) as connection:
        columns = [r[0] for r in connection.execute("DESCRIBE systems").fetchall()]
        assert "hosting_region" in columns
        assert connection.execute("SELECT count(*) FROM systems WHERE hosting_region IS NULL").fetchone()[0] == 30
    summaries, _ = store.import_files(db, [write_xlsx(tmp_path / "b.xlsx", {"Systems": systems_rows(2, "B-")})])
    assert summaries[0].status == "imported"
    after = input_rows(db)
    assert set(before["systems"]) <= {row[: len(before["systems"][0])] for row in after["systems"]}


# ---------------------------------------------------------------- one transaction


@pytest.fixture
def analysed(tmp_path) -> Path:
    db = tmp_path / "e.duckdb"
    store.import_files(db, [ROOT / "sample_inventory.xlsx"])
    analyse(db, AnalysisSettings(AS_OF, seed=0, draws=50))
    return db


def test_a_failure_inside_the_cost_model_leaves_every_result_as_it_was(analysed, monkeypatch):
    import pipeline.run

    before = snapshot(analysed)

    def broken(*args, **kwargs):
        raise RuntimeError("costing failed")

    monkeypatch.setattr(pipeline.run, "assess", broken)
    with pytest.raises(RuntimeError, match="costing failed"):
        analyse(analysed, AnalysisSettings(AS_OF, seed=1, draws=50))
    assert snapshot(analysed) == before


def test_a_failure_while_writing_leaves_every_result_as_it_was(analysed, monkeypatch):
    import pipeline.results

    before = snapshot(analysed)
    real = pipeline.results.conform

    def half_written(tables):
        conformed = real(tables)
        conformed["cost_model_runs"] = object()  # the last table cannot be written: the others were
        return conformed

    monkeypatch.setattr(pipeline.results, "conform", half_written)
    with pytest.raises(Exception):  # noqa: B017 - whatever DuckDB raises, nothing may change
        analyse(analysed, AnalysisSettings(AS_OF, seed=1, draws=50))
    assert snapshot(analysed) == before


def test_a_bad_parameter_file_changes_nothing(analysed, tmp_path):
    before = snapshot(analysed)
    bad = tmp_path / "bad.toml"
    bad.write_text('[parameters.breach_cost]\nvalue = "a lot"\n')
    result = run_estate("analyse", "--db", str(analysed), "--params", str(bad))
    assert result.returncode == 2 and "breach_cost" in result.stderr
    with pytest.raises(ParameterError):
        analyse(analysed, AnalysisSettings(AS_OF, parameter_text="[parameters.nope]\nvalue = 1\n"))
    assert snapshot(analysed) == before


def _consistent(db: Path, seed: int) -> bool:
    """Return True when every result table is the complete output of the run with this seed."""
    with duckdb.connect(str(db), read_only=True) as connection:
        runs = connection.execute("SELECT seed FROM cost_model_runs").fetchall()
        systems = connection.execute("SELECT count(*) FROM systems").fetchone()[0]
        counts = {
            name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("system_assessment", "model_inputs", "system_metrics")
        }
    return runs == [(seed,)] and all(n == systems for n in counts.values())


@pytest.mark.parametrize("moment", ["while computing", "while writing"])
def test_killing_analyse_leaves_the_earlier_results_intact(analysed, moment):
    before = result_snapshot(analysed)
    wal = analysed.with_name(analysed.name + ".wal")
    process = subprocess.Popen(
        [ESTATE, "analyse", "--db", str(analysed), "--as-of", "2026-11-25", "--draws", "400", "--seed", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    if moment == "while computing":
        time.sleep(2.0)
    else:  # as soon as the transaction has started writing its log
        while time.monotonic() < deadline and process.poll() is None:
            if wal.exists() and wal.stat().st_size > 0:
                break
            time.sleep(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    after = result_snapshot(analysed)  # opening the file replays or discards the log
    assert after == before or _consistent(analysed, seed=1)
    if moment == "while computing":
        assert after == before


# ---------------------------------------------------------------- one reader, one error


def test_every_reader_says_the_same_thing_before_analyse(tmp_path, good_workbook):
    db = tmp_path / "e.duckdb"
    assert run_estate("import", str(good_workbook), "--db", str(db)).returncode == 0
    messages = set()
    for command in (["rank"], ["export", "--out", str(tmp_path / "f.xlsx")], ["report", "--out", str(tmp_path / "r")]):
        result = run_estate(*command, "--db", str(db))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        messages.add(result.stderr.strip())
    assert messages == {"Error: The inventory has not been analysed yet: run `estate analyse` (or commit an import "
                        "in the app)."}  # fmt: skip


def test_results_are_stale_once_the_inventory_changes(analysed, tmp_path):
    assert len(read_stored(analysed).assessment) == 400
    store.import_files(analysed, [write_xlsx(tmp_path / "more.xlsx", {"Systems": systems_rows(2, "X-")})])
    with pytest.raises(NotAnalysed, match="changed since the last analysis"):
        read_stored(analysed)
    from reporting.views import load_estate, require_analysis

    with pytest.raises(NotAnalysed, match="changed since"):
        require_analysis(load_estate(analysed))


def test_analyse_records_its_settings_once_and_verify_reuses_them(analysed, tmp_path):
    params = tmp_path / "p.toml"
    params.write_text("[parameters.loaded_hourly_cost]\nvalue = 40\n")
    settings = AnalysisSettings.with_parameter_file(params, as_of=AS_OF, seed=3, draws=60, betweenness_samples=8)
    analyse(analysed, settings)
    stored = read_stored(analysed)
    assert stored.settings == settings
    assert stored.settings.parameters()["loaded_hourly_cost"] == 40
    out = tmp_path / "report"
    assert run_estate("report", "--db", str(analysed), "--out", str(out), "--no-pdf").returncode == 0
    assert run_estate("verify", str(out)).returncode == 0


# ---------------------------------------------------------------- pure core


IO_MODULES = {"duckdb", "os", "io", "pathlib", "shutil", "tempfile", "sqlite3", "estate.store", "estate.files",
              "importlib.resources", "subprocess", "socket", "urllib", "requests", "pyarrow.parquet"}  # fmt: skip
IO_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "to_csv", "to_parquet", "read_csv",
            "read_parquet", "connect", "to_excel"}  # fmt: skip


PURE_MODULES = sorted((ROOT / "costing").glob("*.py")) + sorted((ROOT / "dependency_graph").glob("*.py"))


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_costing_and_dependency_graph_do_no_io(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            assert name not in IO_CALLS, f"{path.name}:{node.lineno} calls {name}"
            continue
        else:
            continue
        for name in names:
            assert name not in IO_MODULES and name.split(".")[0] not in {"duckdb", "pathlib"}, (
                f"{path.name} imports {name}"
            )


# ---------------------------------------------------------------- declared once


class Recorder(dict):
    """A mapping that remembers which keys were read."""

    def __init__(self, values):
        super().__init__(values)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.column)
def test_a_component_reads_exactly_what_it_declares(component):
    import numpy as np

    inputs = Recorder({name: np.ones(2) for name in SYSTEM_INPUTS})
    parameters = Recorder(load_parameters().point())
    component.function(inputs, parameters)
    assert inputs.read == set(component.inputs)
    assert parameters.read == set(component.parameters)
    placeholders = set(re.findall(r"\{(\w+)\}", component.excel)) - {"r"}
    assert placeholders == set(component.inputs), "the Excel formula reads the same inputs"
    bare = set(re.findall(r"(?<![{\w])([a-z][a-z0-9_]+)(?![}\w(])", component.excel)) - set(INTERFACE_KINDS)
    assert bare == set(component.parameters), "the Excel formula names the same parameters"
    assert component.kind in ("cash-releasing", "non-cash-releasing", "risk")
    assert component.column.endswith("_gbp") and component.column in ASSESSMENT_COLUMNS


def test_every_surface_shows_the_declared_components(analysed, tmp_path):
    import openpyxl

    from reporting.views import cost_waterfall, load_estate

    data = load_estate(analysed)
    waterfall = cost_waterfall(data.assessment.iloc[0].to_dict())
    assert [c.label for c in COMPONENTS] == waterfall["component"].tolist()[1:-1]
    labels = [c.label for c in COMPONENTS]
    assert len(set(labels)) == len(labels)
    out = tmp_path / "f.xlsx"
    assert run_estate("export", "--db", str(analysed), "--out", str(out)).returncode == 0
    headers = [c.value for c in openpyxl.load_workbook(out, read_only=True)["Hidden costs"][1]]
    assert [f"{c.label} (£/year)" for c in COMPONENTS] == headers[1 : 1 + len(COMPONENTS)]  # labels, not codes
    report = tmp_path / "report"
    assert run_estate("report", "--db", str(analysed), "--out", str(report), "--no-pdf").returncode == 0
    html = (report / "report.html").read_text(encoding="utf-8")
    readme = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for component in COMPONENTS:
        assert component.label in html and component.formula in unescape(html)
        assert f"`{component.column}`" in readme


def test_ranking_criteria_are_declared_once():
    parameters = load_parameters()
    help_text = run_estate("rank", "--help").stdout
    for criterion in RANKING_CRITERIA:
        assert criterion.weight in parameters.values
        assert criterion.column in ASSESSMENT_COLUMNS
        assert criterion.key in help_text


def test_every_result_table_is_declared_with_its_columns(analysed):
    with duckdb.connect(str(analysed), read_only=True) as connection:
        for table in RESULT_TABLES:
            stored = [r[0] for r in connection.execute(f"DESCRIBE {table.name}").fetchall()]
            assert stored == list(table.columns), table.name
