"""Outputs declared once and written one way: the results catalogue, one Results value, one emitter.

Hostile inventory text is inert in every csv estate writes; every JSON output is strict; every `__all__`
resolves; Parquet results are read as one run or refused, never a mix; results of other inputs are refused.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from estate.store import import_files
from pipeline.catalogue import COLUMNS
from pipeline.parquet import LOCK, PARTIAL, StagingError, read_result_tables, write_result_tables
from pipeline.results import RESULT_TABLES, NotAnalysed, ResultSource
from pipeline.run import analyse
from pipeline.settings import AnalysisSettings
from reporting.text import FORMULA_TRIGGERS, csv_text
from tests.conftest import SYSTEM_HEADERS, run_estate, write_xlsx

HOSTILE = ('=HYPERLINK("http://evil.example","Open")', "+SUM(A1:A2)", "@cmd", "-2+3", "=1+1", "\tTabbed")
SETTINGS = AnalysisSettings(date(2026, 11, 25), seed=3, draws=60)
ROOT = Path(__file__).parents[1]


def _hostile_inventory(path: Path, prefix: str = "H", departments: tuple[str, ...] = ("=1+1", "@Dept")) -> Path:
    systems = [list(SYSTEM_HEADERS)]
    costs = [["System ID", "Financial year", "Category", "Amount (£)"]]
    for i in range(18):
        name = HOSTILE[i % len(HOSTILE)] if i < 12 else f"System {i}"
        systems.append([f"{prefix}{i}", name, departments[i % len(departments)], "On Prem", "COBOL", "31/03/2020",
                        100 * (i + 1)])  # fmt: skip
        costs.append([f"{prefix}{i}", "2024-25", "Licence", 10_000 * (i + 1)])
    interfaces = [["Source system ID", "Target system ID", "Kind"]] + [[f"{prefix}{i}", f"{prefix}{i + 1}", "API"]
                                                                        for i in range(17)]  # fmt: skip
    book = write_xlsx(path, {"Systems": systems, "Costs": costs, "Interfaces": interfaces})
    workbook = openpyxl.load_workbook(book)
    for row in workbook["Systems"].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text a spreadsheet would run, stored as text (as an inventory holds it)
    workbook.save(book)
    return book


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "store.duckdb"
    import_files(db, [_hostile_inventory(folder / "hostile.xlsx")])
    analyse(db, SETTINGS)
    return db


def _formula_cells(text: str) -> list[str]:
    """Return every csv cell a spreadsheet would run as a formula."""
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if cell.startswith(FORMULA_TRIGGERS)]


def test_csv_text_makes_every_trigger_inert_and_keeps_numbers():
    frame = pd.DataFrame({"name": [*HOSTILE, "plain", None], "value": [-2.5, 1, 2, 3, 4, 5, 6, 7]})
    text = csv_text(frame)
    assert "\r\n" not in text and text.endswith("\n")
    assert _formula_cells(text) == ["-2.5"]  # a negative number stays a number; text never starts a formula
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows[: len(HOSTILE)]] == ["'" + h for h in HOSTILE]
    assert rows[-1]["name"] == ""


@pytest.mark.parametrize(
    "command",
    [("rank", "--format", "csv", "--all"), ("rank", "--format", "csv", "--method", "cddo"),
     ("gaps", "--format", "csv"), ("plan", "--budget", "1e9", "--capacity", "20", "--format", "csv")],
)  # fmt: skip
def test_hostile_inventory_text_is_inert_in_every_cli_csv(hostile, command):
    result = run_estate(*command, "--db", str(hostile))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") > 1
    assert _formula_cells(result.stdout) == [c for c in _formula_cells(result.stdout) if _is_number(c)]
    if command[0] == "rank":
        assert "'=HYPERLINK(" in result.stdout and "'+SUM(A1:A2)" in result.stdout and "'@cmd" in result.stdout


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_hostile_text_in_files_and_mappings_is_inert_in_validate_and_import_csv(tmp_path):
    book = _hostile_inventory(tmp_path / "=evil.xlsx")
    for command in (("validate", str(book), "--format", "csv"),
                    ("import", str(book), "--db", str(tmp_path / "s.duckdb"), "--format", "csv")):  # fmt: skip
        result = run_estate(*command)
        assert result.returncode == 0, result.stderr
        assert not [c for c in _formula_cells(result.stdout) if not _is_number(c)]


def test_hostile_text_is_inert_in_the_reports_csv_and_the_apps_downloads(hostile, tmp_path):
    report = run_estate("report", "--db", str(hostile), "--out", str(tmp_path / "report"), "--no-pdf")
    assert report.returncode == 0, report.stderr
    written = sorted((tmp_path / "report" / "data").glob("*.csv"))
    assert written
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "\r\n" not in text
        assert not [c for c in _formula_cells(text) if not _is_number(c)], path.name
    assert "'=HYPERLINK(" in (tmp_path / "report" / "data" / "system_assessment.csv").read_text(encoding="utf-8")
    # the app's downloads: the Candidates view and the Data quality issues, as the pages build them
    from reporting.views import issue_table, load_estate

    data = load_estate(hostile)
    for frame in (data.assessment, issue_table(data)):
        assert not [c for c in _formula_cells(csv_text(frame)) if not _is_number(c)]
    pages = [ROOT / "app" / "pages" / "1_Candidates.py", ROOT / "app" / "pages" / "6_Data_quality.py"]
    for page in pages:  # the pages write their downloads with the one csv writer, never pandas' own
        source = page.read_text(encoding="utf-8")
        assert "csv_text(" in source and ".to_csv(" not in source


def _strict(text: str):
    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "command",
    [("rank", "--format", "json", "--all"), ("rank", "--format", "json", "--method", "gao"),
     ("gaps", "--format", "json"), ("plan", "--budget", "1e9", "--capacity", "20", "--format", "json"),
     ("profiles", "--format", "json")],
)  # fmt: skip
def test_every_json_output_is_strict(hostile, command):
    result = run_estate(*command, *(("--db", str(hostile)) if command[0] != "profiles" else ()))
    assert result.returncode == 0, result.stderr
    assert _strict(result.stdout)


def test_analyse_json_is_strict_with_figures_that_cannot_be_computed(tmp_path):
    # one system with no cost lines: imputation has nothing to learn from, so its figures are null, not NaN
    book = write_xlsx(tmp_path / "one.xlsx", {"Systems": [list(SYSTEM_HEADERS),
                                                          ["A1", "Only", "D", "Cloud", "Java", "", 5]]})  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert run_estate("import", str(book), "--db", str(db)).returncode == 0
    result = run_estate("analyse", "--db", str(db), "--draws", "40", "--as-of", "2026-11-25", "--json")
    assert result.returncode == 0, result.stderr
    summary = _strict(result.stdout)
    assert summary["imputation"]["cv_mape"] is None
    assert summary["headline"]["systems"] == 1


def _modules() -> list[str]:
    names = []
    for package in ("estate", "dependency_graph", "costing", "pipeline", "reporting", "app"):
        names.append(package)
        for path in sorted((ROOT / package).glob("*.py")):
            if path.stem not in ("__init__", "Overview", "serve"):
                names.append(f"{package}.{path.stem}")
    return names


@pytest.mark.parametrize("name", _modules())
def test_every_all_name_resolves(name):
    module = importlib.import_module(name)
    for exported in getattr(module, "__all__", ()):
        assert getattr(module, exported, None) is not None, f"{name}.__all__ names {exported}, which does not exist"


def test_every_result_column_is_declared_once_with_a_unit_label_and_description():
    for table in RESULT_TABLES:
        for name, type_ in table.column_types():
            declared = COLUMNS[name]
            assert declared.label and declared.description.endswith((".", ")")), name
            assert type_ in ("VARCHAR", "DOUBLE", "BIGINT", "BOOLEAN", "DATE", "FLOAT[]")
            if name.endswith("_gbp"):
                assert declared.kind == "money" and declared.units.startswith("GBP"), name
    labels = [c.label for c in COLUMNS.values()]
    assert len(set(labels)) >= len(labels) - 3  # a few labels are shared by meaning (Method); none by accident


def test_stored_types_are_the_declared_ones(hostile):
    with duckdb.connect(str(hostile), read_only=True) as connection:
        stored = {(t, c): d for t, c, d in connection.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns").fetchall()}  # fmt: skip
    for table in RESULT_TABLES:
        for name, type_ in table.column_types():
            got = stored[(table.name, name)]
            assert got == type_ or (type_ == "FLOAT[]" and got.startswith("FLOAT[")), (table.name, name, got)


# ---------------------------------------------------------------- Parquet results: one run, or refused


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, hostile) -> tuple[Path, dict, dict]:
    """A store and the result tables of two analyses of it (different seeds), in memory."""
    from pipeline.results import current_import_ids, inputs_fingerprint
    from pipeline.run import compute, load_inputs, result_tables

    tables = []
    with duckdb.connect(str(hostile), read_only=True) as connection:
        inputs = load_inputs(connection)
        read = current_import_ids(connection), inputs_fingerprint(connection)
    for seed in (3, 4):
        analysis = compute(inputs, AnalysisSettings(date(2026, 11, 25), seed=seed, draws=60))
        tables.append(result_tables(analysis, *read))
    return hostile, tables[0], tables[1]


def _headline_adds_up(results: ResultSource) -> float:
    read = results.read()
    total = float(read.run["estate_hidden_cost_gbp"])
    assert total == pytest.approx(float(read.assessment["hidden_cost_gbp"].sum()), rel=1e-6)
    return total


KILL = """
import os, sys
import pipeline.parquet as parquet
from tests.test_outputs import _load
tables = _load(sys.argv[1])
limit, where = int(sys.argv[2]), sys.argv[3]
calls = [0]
real = parquet.os.replace if where == "swap" else parquet.pq.write_table
def dying(*args, **kwargs):
    if calls[0] == limit:
        os._exit(9)  # as SIGKILL: no cleanup, no finally
    calls[0] += 1
    return real(*args, **kwargs)
if where == "swap":
    parquet.os.replace = dying
else:
    parquet.pq.write_table = dying
parquet.write_result_tables(tables, sys.argv[4])
"""


def _load(path: str) -> dict:
    import pickle

    with open(path, "rb") as handle:
        return pickle.load(handle)


@pytest.mark.parametrize("where,limit", [("write", 0), ("write", 7), ("write", 19), ("swap", 0), ("swap", 1),
                                         ("swap", 11), ("swap", 39)])  # fmt: skip
def test_a_parquet_write_killed_at_any_point_is_read_as_one_run_or_refused(two_runs, tmp_path, where, limit):
    import pickle

    db, first, second = two_runs
    folder = tmp_path / "results"
    write_result_tables(first, str(folder))
    source = ResultSource(db, str(folder))
    earlier = _headline_adds_up(source)
    (tmp_path / "second.pickle").write_bytes(pickle.dumps(second))
    killed = subprocess.run([sys.executable, "-c", KILL, str(tmp_path / "second.pickle"), str(limit), where,
                             str(folder)], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert killed.returncode == 9, killed.stderr
    try:
        after = _headline_adds_up(source)
    except StagingError as refused:
        assert "different analyses" in str(refused) or "no readable result table" in str(refused)
        assert "interrupted" in str(refused)
    else:
        assert after == earlier  # killed before the swap: the earlier results, whole
    write_result_tables(second, str(folder))  # the next analysis cleans up and lands whole
    assert _headline_adds_up(source) != earlier
    assert not [p for p in folder.iterdir() if p.name.startswith(PARTIAL)]


def test_a_failed_parquet_write_leaves_the_earlier_results(two_runs, tmp_path, monkeypatch):
    import pipeline.parquet as parquet

    db, first, second = two_runs
    folder = tmp_path / "results"
    write_result_tables(first, str(folder))
    earlier = _headline_adds_up(ResultSource(db, str(folder)))
    real, calls = parquet.pq.write_table, []

    def full_disk(*args, **kwargs):
        calls.append(1)
        if len(calls) > 5:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(parquet.pq, "write_table", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_result_tables(second, str(folder))
    assert _headline_adds_up(ResultSource(db, str(folder))) == earlier
    assert not [p for p in folder.iterdir() if p.name.startswith(PARTIAL)]


def test_a_second_writer_to_the_same_folder_is_refused(two_runs, tmp_path):
    import fcntl

    db, first, second = two_runs
    folder = tmp_path / "results"
    write_result_tables(first, str(folder))
    with open(folder / LOCK, "a+b") as held:  # another analysis holds the folder
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(StagingError, match="another analysis is writing its results here"):
            write_result_tables(second, str(folder))
    assert _headline_adds_up(ResultSource(db, str(folder))) > 0


def test_two_analyses_writing_one_folder_at_once_never_leave_a_mix(hostile, tmp_path):
    folder = tmp_path / "results"
    runs = [
        subprocess.Popen([sys.executable, "-m", "app.cli", "analyse", "--db", str(hostile), "--results", str(folder),
                          "--draws", "60", "--seed", str(seed), "--as-of", "2026-11-25"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seed in (5, 6)
    ]  # fmt: skip
    outcomes = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    assert any(code == 0 for code, _ in outcomes), outcomes
    for code, stderr in outcomes:
        assert code == 0 or "another analysis is writing its results here" in stderr, stderr
    total = _headline_adds_up(ResultSource(hostile, str(folder)))
    seeds = {int(read_result_tables(str(folder), ("cost_model_runs",))["cost_model_runs"]["seed"].iloc[0])}
    assert seeds <= {5, 6} and total > 0


def test_a_folder_mixing_two_runs_is_refused_naming_the_tables(two_runs, tmp_path):
    db, first, second = two_runs
    write_result_tables(first, str(tmp_path / "a"))
    write_result_tables(second, str(tmp_path / "b"))
    shutil.rmtree(tmp_path / "a" / "system_assessment")
    shutil.copytree(tmp_path / "b" / "system_assessment", tmp_path / "a" / "system_assessment")
    refused = run_estate("report", "--db", str(db), "--results", str(tmp_path / "a"), "--out", str(tmp_path / "r"))
    assert refused.returncode == 1
    assert "come from different analyses" in refused.stderr and "system_assessment" in refused.stderr
    assert not (tmp_path / "r").exists()


def test_results_of_another_store_are_refused_even_with_the_same_import_ids(hostile, tmp_path):
    folder = tmp_path / "results"
    analyse(hostile, SETTINGS, results=str(folder))
    other = tmp_path / "other.duckdb"  # import ID 1 too, but another file
    import_files(other, [_hostile_inventory(tmp_path / "other.xlsx", prefix="O")])
    with pytest.raises(NotAnalysed, match="other inputs than this store"):
        ResultSource(other, str(folder)).read()
    refused = run_estate("rank", "--db", str(other), "--results", str(folder))
    assert refused.returncode == 1 and "other inputs than this store" in refused.stderr
    assert ResultSource(hostile, str(folder)).read().assessment["system_id"].str.startswith("H").all()


def test_reading_parquet_results_does_not_copy_the_store(hostile, tmp_path, monkeypatch):
    folder = tmp_path / "results"
    analyse(hostile, SETTINGS, results=str(folder))
    import tempfile

    made = []
    real = tempfile.TemporaryDirectory

    def watched(*args, **kwargs):
        made.append(kwargs.get("prefix"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryDirectory", watched)
    from reporting.export import load_finance_inputs

    data = load_finance_inputs(ResultSource(hostile, str(folder)))
    assert len(data.assessment) == 18 and not made  # no temporary store: the results are read where they are
