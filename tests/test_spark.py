"""The Spark engine (issue 18): the same analysis on Spark local mode and through Spark Connect.

Marked `spark` (deselect with `pytest -m "not spark"` on a machine without Java); `make test` installs
Debian's openjdk-17-jre-headless and runs them. Equivalence: every result table equal between the embedded
engine and Spark, money to the bit (the Monte Carlo chunks are reduced in the same order), ranks identical.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estate.sample import write_sample
from estate.store import import_files
from pipeline.results import RESULT_TABLES
from pipeline.run import analyse, analyse_source
from pipeline.settings import AnalysisSettings
from tests.conftest import run_console_script, run_estate, write_xlsx

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        shutil.which("java") is None and not os.environ.get("CI"),
        reason="Java is not installed (make test installs openjdk-17-jre-headless as root)",
    ),
]
SETTINGS = AnalysisSettings(date(2026, 11, 25), seed=3, draws=150)
RUN_COLUMNS = {"analysed_at", "import_ids"}  # when and from what: the same inputs, recorded per run


@pytest.fixture(scope="module")
def spark():
    from pipeline.spark import session

    session_ = session("local[2]", app_name="estate-tests")
    session_.sparkContext.setLogLevel("ERROR")
    yield session_
    session_.stop()


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spark")
    write_sample(folder / "sample.xlsx", systems=120, seed=11)
    db = folder / "store.duckdb"
    import_files(db, [folder / "sample.xlsx"])
    return db


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return {
            t.name: connection.sql(f"SELECT * FROM {t.name}").df().drop(columns=list(RUN_COLUMNS), errors="ignore")
            for t in RESULT_TABLES
        }


def _both(store: Path, spark, folder: Path) -> tuple[dict, dict]:
    from pipeline.spark import analyse_on_spark

    embedded, on_spark = folder / "duckdb.duckdb", folder / "spark.duckdb"
    shutil.copy(store, embedded)
    shutil.copy(store, on_spark)
    analyse(embedded, SETTINGS)
    analyse_on_spark(spark, SETTINGS, db=on_spark)
    return _tables(embedded), _tables(on_spark)


def test_every_result_table_is_the_same_on_spark_as_embedded(sample_store, spark, tmp_path):
    embedded, on_spark = _both(sample_store, spark, tmp_path)
    for name, frame in embedded.items():
        pd.testing.assert_frame_equal(frame, on_spark[name], check_exact=True, obj=name)
    assert on_spark["system_assessment"]["rank"].tolist() == embedded["system_assessment"]["rank"].tolist()


def test_spark_tasks_of_several_chunks_give_the_embedded_bits(sample_store, spark, tmp_path, monkeypatch):
    import costing.uncertainty
    import pipeline.spark

    monkeypatch.setattr(costing.uncertainty, "SYSTEMS_PER_CHUNK", 13)  # 120 systems: 10 chunks (the driver's
    monkeypatch.setattr(pipeline.spark, "CHUNKS_PER_TASK", 3)  # choice, which the executors obey), 4 tasks
    embedded, on_spark = _both(sample_store, spark, tmp_path)
    for name, frame in embedded.items():
        pd.testing.assert_frame_equal(frame, on_spark[name], check_exact=True, obj=name)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(systems=st.integers(3, 25), seed=st.integers(0, 1000))
def test_small_generated_estates_give_the_same_results(spark, tmp_path_factory, systems, seed):
    folder = tmp_path_factory.mktemp("gen")
    write_sample(folder / "s.xlsx", systems=systems, seed=seed)
    store = folder / "s.duckdb"
    import_files(store, [folder / "s.xlsx"])
    embedded, on_spark = _both(store, spark, folder)
    for name in ("system_assessment", "department_costs", "cost_model_runs", "information_parameters"):
        pd.testing.assert_frame_equal(embedded[name], on_spark[name], rtol=1e-9, obj=name)


@pytest.fixture(scope="module")
def embedded_store(sample_store, tmp_path_factory) -> Path:
    """The sample store analysed on the embedded engine with SETTINGS."""
    embedded = tmp_path_factory.mktemp("embedded") / "embedded.duckdb"
    shutil.copy(sample_store, embedded)
    analyse(embedded, SETTINGS)
    return embedded


def _cli(*args: str) -> str:
    done = run_estate(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_parquet_source_and_results_give_the_same_ranking_and_totals(sample_store, embedded_store, spark, tmp_path):
    from pipeline.spark import analyse_on_spark, export_source

    source = export_source(sample_store, tmp_path / "source")
    results = tmp_path / "results"
    analyse_on_spark(spark, SETTINGS, source=str(source), results=str(results))
    mine = _tables(embedded_store)["system_assessment"]
    theirs = pd.read_parquet(results / "system_assessment")
    assert theirs["system_id"].tolist() == mine["system_id"].tolist()  # the same ranking
    for column in ("hidden_cost_gbp", "legacy_premium_gbp", "reported_cost_gbp", "npv_gbp"):
        assert theirs[column].sum() == pytest.approx(mine[column].sum(), rel=1e-9)
    # estate rank reads them from the same place, with the source they were computed from
    ranked = _cli("rank", "--source", str(source), "--results", str(results), "--all", "--format", "csv")
    assert ranked == _cli("rank", "--db", str(embedded_store), "--all", "--format", "csv")
    other = run_estate("rank", "--source", str(tmp_path), "--results", str(results))
    assert other.returncode == 1 and f"computed from the source {source}, not the source {tmp_path}" in other.stderr
    store = run_estate("rank", "--db", str(sample_store), "--results", str(results))
    assert store.returncode == 1 and "give --source" in store.stderr
    _cli("report", "--source", str(source), "--results", str(results), "--out", str(tmp_path / "r"), "--no-pdf")
    checked = run_estate("verify", str(tmp_path / "r"))
    assert checked.returncode == 1 and "which a report does not carry" in checked.stdout + checked.stderr


def test_rank_report_and_export_read_results_spark_wrote_as_parquet(sample_store, embedded_store, spark, tmp_path):
    """The contract: analyse --engine spark --results DIR, then rank/report/export --results DIR, as from a store."""
    from pipeline.spark import analyse_on_spark

    on_spark = tmp_path / "inputs.duckdb"
    shutil.copy(sample_store, on_spark)
    results = tmp_path / "results"
    analyse_on_spark(spark, SETTINGS, db=on_spark, results=str(results))
    assert run_estate("rank", "--db", str(on_spark)).returncode == 1  # nothing was written to the store
    for options in ((), ("--method", "gao"), ("--weights", "risk=3")):
        assert _cli("rank", "--db", str(on_spark), "--results", str(results), "--format", "csv", *options) == _cli(
            "rank", "--db", str(embedded_store), "--format", "csv", *options)  # fmt: skip
    _cli("report", "--db", str(on_spark), "--results", str(results), "--out", str(tmp_path / "spark"), "--no-pdf")
    _cli("report", "--db", str(embedded_store), "--out", str(tmp_path / "embedded"), "--no-pdf")
    assert (tmp_path / "spark" / "manifest.json").read_bytes() == (tmp_path / "embedded" / "manifest.json").read_bytes()
    _cli("verify", str(tmp_path / "spark"))  # Spark's results reproduce on the embedded engine, byte for byte
    _cli("export", "--db", str(on_spark), "--results", str(results), "--out", str(tmp_path / "spark.xlsx"))
    _cli("export", "--db", str(embedded_store), "--out", str(tmp_path / "embedded.xlsx"))
    for sheet in ("Ranking", "Departments", "Appraisal"):
        pd.testing.assert_frame_equal(pd.read_excel(tmp_path / "spark.xlsx", sheet_name=sheet),
                                      pd.read_excel(tmp_path / "embedded.xlsx", sheet_name=sheet))  # fmt: skip


def test_bad_input_on_spark_is_refused_with_located_errors(sample_store, spark, tmp_path):
    from pipeline.relational import InputProblem
    from pipeline.spark import analyse_on_spark, export_source

    source = export_source(sample_store, tmp_path / "source")
    systems = pd.read_parquet(source / "systems")
    systems.loc[4, "name"] = None
    systems.loc[7, "system_id"] = systems.loc[6, "system_id"]
    systems["users"] = systems["users"].astype("float64")
    systems.loc[8, "users"] = -5  # issue 30: these gave a NaN headline with exit 0 on both engines
    systems.loc[9, "criticality"] = 99
    systems.to_parquet(source / "systems" / "part-0.parquet")
    costs = pd.read_parquet(source / "costs")
    costs.loc[2, "amount_gbp"] = -5.0
    costs.loc[3, "amount_gbp"] = 9e20  # past the money limit, and past what int64 hundredths of a penny hold
    costs.to_parquet(source / "costs" / "part-0.parquet")
    with pytest.raises(InputProblem) as refused:
        analyse_on_spark(spark, SETTINGS, source=str(source), results=str(tmp_path / "results"))
    found = refused.value.problems
    assert {"missing_value", "duplicate_id", "negative_money", "negative_value", "out_of_range"} <= set(found["code"])
    assert {("systems", "users"), ("systems", "criticality"), ("costs", "amount_gbp")} <= set(
        zip(found["table"], found["column"], strict=True)
    )
    assert int(found.loc[found["code"] == "missing_value", "row"].iloc[0]) == int(systems.loc[4, "source_row"])
    assert int(found.loc[found["code"] == "negative_money", "row"].iloc[0]) == int(costs.loc[2, "source_row"])
    assert not (tmp_path / "results").exists()  # nothing written
    with pytest.raises(InputProblem) as embedded:  # the same expression on DuckDB: the same located errors
        analyse_source(str(source), str(tmp_path / "results"), SETTINGS)

    def located(problems: pd.DataFrame) -> list:
        # the value as each engine prints it differs for large floats (9e+20, 9.0E20); where and why do not
        return [(r.table, int(r.row), r.column, r.code) for r in problems.itertuples()]

    assert located(embedded.value.problems) == located(found)
    assert str(embedded.value) == str(refused.value)


def test_a_source_lacking_a_required_column_is_refused_naming_it(sample_store, spark, tmp_path):
    from pipeline.relational import InputProblem
    from pipeline.spark import analyse_on_spark, export_source

    source = export_source(sample_store, tmp_path / "source")
    pd.read_parquet(source / "costs").drop(columns=["amount_gbp"]).to_parquet(source / "costs" / "part-0.parquet")
    with pytest.raises(InputProblem, match="the costs table has no amount_gbp column"):
        analyse_on_spark(spark, SETTINGS, source=str(source), results=str(tmp_path / "results"))


def test_the_cli_runs_the_spark_engine_into_the_same_store(tmp_path):
    rows = [[f"S{i}", f"System {i}", "Dept", "mainframe" if i % 2 else "saas", 10_000 * i] for i in range(1, 13)]
    header = ["System ID", "Name", "Department", "Platform", "Annual cost (£)"]
    source = write_xlsx(tmp_path / "inv.xlsx", {"Systems": [header, *rows]})
    db = tmp_path / "e.duckdb"
    assert run_estate("import", str(source), "--db", str(db)).returncode == 0
    result = run_estate("analyse", "--db", str(db), "--engine", "spark", "--as-of", "2026-11-25", "--draws", "50",
                        "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    headline = json.loads(result.stdout)["headline"]
    ranked = json.loads(run_estate("rank", "--db", str(db), "--all", "--format", "json").stdout)
    assert sum(r["hidden_cost_gbp"] for r in ranked) == pytest.approx(headline["hidden_cost_gbp"], rel=1e-9)
    bad = run_estate("analyse", "--db", str(db), "--engine", "spark", "--source", str(tmp_path))
    assert bad.returncode == 2 and "--source needs --results" in bad.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_spark_connect_runs_the_same_analysis(sample_store, tmp_path):
    """A local Spark Connect server (the same protocol as Databricks Connect) runs it without code changes."""
    import pyspark

    home = Path(pyspark.__file__).parent
    port = _free_port()
    server = subprocess.Popen(
        [str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
         "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.ui.enabled=false",
         "--master", "local[2]", "--name", "estate-connect-test", "spark-internal"],
        env={**os.environ, "PYSPARK_PYTHON": sys.executable}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, "the Spark Connect server exited"
            time.sleep(0.5)
        on_connect, embedded = tmp_path / "connect.duckdb", tmp_path / "embedded.duckdb"
        shutil.copy(sample_store, on_connect)
        shutil.copy(sample_store, embedded)
        # a client process of its own (this one already runs a classic session), through the command line
        result = run_console_script("analyse", "--db", str(on_connect), "--engine", "spark", "--spark-remote",
                            f"sc://127.0.0.1:{port}", "--as-of", SETTINGS.as_of.isoformat(), "--seed",
                            str(SETTINGS.seed), "--draws", str(SETTINGS.draws))  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        analyse(embedded, SETTINGS)
        mine, theirs = _tables(embedded), _tables(on_connect)
        pd.testing.assert_frame_equal(mine["system_assessment"], theirs["system_assessment"], check_exact=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)
