"""Results kept as Parquet (`estate analyse --results DIR`) read by `estate rank/report/export --results DIR`,
and a Parquet source analysed on the embedded engine (`estate analyse --source DIR --results DIR`).

These run without Java: the embedded engine writes the Parquet; tests/test_spark.py reads folders Spark wrote.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from estate.sample import write_sample
from estate.store import import_files
from pipeline.parquet import StagingError, read_result_tables
from pipeline.results import RESULT_TABLES, NotAnalysed, ResultSource
from pipeline.run import analyse
from pipeline.settings import AnalysisSettings
from tests.conftest import run_estate, snapshot, write_xlsx

SETTINGS = AnalysisSettings(date(2026, 11, 25), seed=5, draws=120)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> tuple[Path, Path]:
    """An analysed store, and its result tables written as Parquet folders (RESULTS/NAME/part-0.parquet)."""
    folder = tmp_path_factory.mktemp("staging")
    write_sample(folder / "sample.xlsx", systems=60, seed=4)
    db = folder / "store.duckdb"
    import_files(db, [folder / "sample.xlsx"])
    results = folder / "results"
    analyse(db, SETTINGS, results=str(results))  # the store is only read
    with duckdb.connect(str(db), read_only=True) as connection:
        stored = {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert not stored & {t.name for t in RESULT_TABLES}
    analyse(db, SETTINGS)
    return db, results


def _inputs_only(db: Path, folder: Path) -> Path:
    """Return a copy of the store without its result tables: results live only in the Parquet folder."""
    copy = folder / "inputs.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as connection:
        for table in RESULT_TABLES:
            connection.execute(f"DROP TABLE {table.name}")
    return copy


@pytest.mark.parametrize("options", [(), ("--method", "cddo"), ("--weights", "risk=2,npv=1"), ("--all",)])
def test_rank_reads_parquet_results_as_it_reads_the_store(analysed, tmp_path, options):
    db, results = analysed
    inputs = _inputs_only(db, tmp_path)
    stored = run_estate("rank", "--db", str(db), "--format", "csv", *options)
    parquet = run_estate("rank", "--db", str(inputs), "--results", str(results), "--format", "csv", *options)
    assert stored.returncode == 0, stored.stderr
    assert parquet.returncode == 0, parquet.stderr
    assert parquet.stdout == stored.stdout  # --weights re-ranks with the decision draws read back from Parquet
    assert run_estate("rank", "--db", str(inputs)).returncode == 1  # the results are not in the store


def test_report_and_export_from_parquet_results_are_the_stored_ones_byte_for_byte(analysed, tmp_path):
    db, results = analysed
    inputs = _inputs_only(db, tmp_path)
    before = snapshot(inputs)
    assert run_estate("report", "--db", str(db), "--out", str(tmp_path / "stored"), "--no-pdf").returncode == 0
    made = run_estate("report", "--db", str(inputs), "--results", str(results), "--out", str(tmp_path / "parquet"),
                      "--no-pdf")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "parquet" / "manifest.json").read_bytes() == (tmp_path / "stored" / "manifest.json").read_bytes()
    assert run_estate("verify", str(tmp_path / "parquet")).returncode == 0
    book = run_estate("export", "--db", str(inputs), "--results", str(results), "--out", str(tmp_path / "f.xlsx"))
    assert book.returncode == 0, book.stderr
    assert run_estate("export", "--db", str(db), "--out", str(tmp_path / "g.xlsx")).returncode == 0
    for name in ("Ranking", "Departments", "Hidden costs"):
        pd.testing.assert_frame_equal(
            pd.read_excel(tmp_path / "f.xlsx", sheet_name=name), pd.read_excel(tmp_path / "g.xlsx", sheet_name=name)
        )
    assert snapshot(inputs) == before  # the store the inputs came from is only read


def test_results_of_other_inputs_are_refused_as_out_of_date(analysed, tmp_path):
    db, results = analysed
    changed = _inputs_only(db, tmp_path)
    extra = write_xlsx(tmp_path / "more.xlsx", {"Systems": [["System ID", "Name", "Department"], ["NEW-1", "N", "D"]]})
    import_files(changed, [extra])
    before = snapshot(changed)
    refused = run_estate("rank", "--db", str(changed), "--results", str(results))
    assert refused.returncode == 1 and "inventory changed since the last analysis" in refused.stderr
    assert snapshot(changed) == before


def test_a_results_folder_missing_a_table_or_column_is_named(analysed, tmp_path):
    db, results = analysed
    broken = tmp_path / "broken"
    shutil.copytree(results, broken)
    shutil.rmtree(broken / "department_costs")
    refused = run_estate("rank", "--db", str(db), "--results", str(broken))
    assert refused.returncode == 1
    assert f"{broken / 'department_costs'}: no readable result table department_costs" in refused.stderr
    shutil.copytree(results / "department_costs", broken / "department_costs")
    frame = pd.read_parquet(broken / "system_assessment").drop(columns=["npv_gbp"])
    frame.to_parquet(broken / "system_assessment" / "part-0.parquet")
    with pytest.raises(StagingError, match="system_assessment lacks column"):
        read_result_tables(str(broken))


def test_source_without_results_is_a_usage_error(analysed, tmp_path):
    db, results = analysed
    usage = run_estate("rank", "--db", str(db), "--source", str(tmp_path))
    assert usage.returncode == 2 and "--results" in usage.stderr
    with pytest.raises(StagingError, match="computed from a store's imports"):
        ResultSource(db, str(results), "x").read()
    with pytest.raises(NotAnalysed, match="give --results"):
        ResultSource(db, None, "x").read()


def test_a_parquet_source_analysed_embedded_gives_the_stored_ranking(analysed, tmp_path):
    from pipeline.spark import export_source  # writes Parquet with DuckDB: no Spark session

    db, _ = analysed
    source = export_source(db, tmp_path / "source")
    results = tmp_path / "out"
    made = run_estate("analyse", "--source", str(source), "--results", str(results), "--as-of", "2026-11-25",
                      "--seed", "5", "--draws", "120")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"written to {results}: system_assessment" in made.stdout and "hidden annual cost" in made.stdout
    ranked = run_estate("rank", "--source", str(source), "--results", str(results), "--all", "--format", "csv")
    assert ranked.returncode == 0, ranked.stderr
    assert ranked.stdout == run_estate("rank", "--db", str(db), "--all", "--format", "csv").stdout
    assert run_estate("analyse", "--source", str(source)).returncode == 2  # --results is where they go


def test_a_bad_parquet_source_is_refused_with_located_errors_and_nothing_written(analysed, tmp_path):
    from pipeline.relational import InputProblem
    from pipeline.run import analyse_source
    from pipeline.spark import export_source

    db, _ = analysed
    source = export_source(db, tmp_path / "source")
    systems = pd.read_parquet(source / "systems")
    systems.loc[3, "department"] = None
    systems.to_parquet(source / "systems" / "part-0.parquet")
    with pytest.raises(InputProblem) as refused:
        analyse_source(str(source), str(tmp_path / "out"), SETTINGS)
    found = refused.value.problems
    assert found[["table", "row", "column", "code"]].values.tolist() == [
        ["systems", int(systems.loc[3, "source_row"]), "department", "missing_value"]
    ]
    assert not (tmp_path / "out").exists()
    cli = run_estate("analyse", "--source", str(source), "--results", str(tmp_path / "out"))
    assert cli.returncode == 1 and f"systems:{int(systems.loc[3, 'source_row'])}:department" in cli.stderr
    pd.read_parquet(source / "costs").drop(columns=["financial_year"]).to_parquet(source / "costs" / "part-0.parquet")
    with pytest.raises(InputProblem, match="the costs table has no financial_year column"):
        analyse_source(str(source), str(tmp_path / "out"), SETTINGS)


@pytest.mark.parametrize(
    ("table", "column", "value", "code"),
    [
        ("systems", "users", -5, "negative_value"),
        ("systems", "criticality", 99, "out_of_range"),
        ("costs", "amount_gbp", float("nan"), "bad_number"),
        ("costs", "amount_gbp", float("inf"), "bad_number"),
        ("costs", "amount_gbp", 9e20, "out_of_range"),
    ],
)
def test_a_parquet_source_with_impossible_numbers_is_refused_not_analysed_to_nan(
    analysed, tmp_path, table, column, value, code
):
    from pipeline.relational import InputProblem
    from pipeline.run import analyse_source
    from pipeline.spark import export_source

    db, _ = analysed
    source = export_source(db, tmp_path / "source")
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.read_parquet(source / table)
    values = frame[column].astype("float64").tolist()
    values[2] = value
    written = pa.Table.from_pandas(frame, preserve_index=False)
    written = written.set_column(written.schema.get_field_index(column), column, pa.array(values, pa.float64()))
    pq.write_table(written, source / table / "part-0.parquet")  # NaN kept as NaN (pandas would write a null)
    with pytest.raises(InputProblem) as refused:
        analyse_source(str(source), str(tmp_path / "out"), SETTINGS)
    found = refused.value.problems
    located = found[["table", "row", "column", "code"]].values.tolist()
    assert [table, int(frame.loc[2, "source_row"]), column, code] in located
    assert not (tmp_path / "out").exists()


def test_a_parquet_source_whose_money_cannot_sum_exactly_is_refused(analysed, tmp_path):
    from pipeline.relational import InputProblem
    from pipeline.run import analyse_source
    from pipeline.spark import export_source

    db, _ = analysed
    source = export_source(db, tmp_path / "source")
    costs = pd.read_parquet(source / "costs")
    costs["amount_gbp"] = 9.9e11  # each line within the limit, the whole past what int64 hundredths of a penny hold
    pd.concat([costs] * (1000 // len(costs) + 1)).to_parquet(source / "costs" / "part-0.parquet")
    with pytest.raises(InputProblem, match="above the £900,000,000,000,000 estate sums exactly"):
        analyse_source(str(source), str(tmp_path / "out"), SETTINGS)
