"""One department scope on every read path (pipeline.scope): what a department user's readers can see."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pytest

from estate.store import connect
from pipeline.results import RESULT_TABLES, ResultSource
from pipeline.roadmap import plan_from_store
from pipeline.scope import ESTATE_LEVEL, HIDDEN, apply_scope
from reporting.export import export_finance_workbook
from reporting.views import headline, load_estate, scenario_inputs
from tests.conftest import analysed_sample


@pytest.fixture(scope="module")
def estate_db(tmp_path_factory) -> Path:
    return analysed_sample(tmp_path_factory.mktemp("scope"), systems=90, seed=11, draws=200)


def departments(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return [r[0] for r in connection.execute("SELECT DISTINCT department FROM systems ORDER BY 1").fetchall()]


def test_a_department_sees_only_its_systems_costs_results_and_totals(estate_db):
    chosen = departments(estate_db)[0]
    whole = load_estate(estate_db)
    mine = load_estate(estate_db, frozenset({chosen}))
    ids = set(whole.systems.loc[whole.systems["department"] == chosen, "system_id"])
    assert set(mine.systems["system_id"]) == ids and set(mine.systems["department"]) == {chosen}
    assert set(mine.assessment["system_id"]) == ids
    ends = mine.interfaces[["source_system_id", "target_system_id"]]
    assert (ends["source_system_id"].isin(ids) | ends["target_system_id"].isin(ids)).all()
    for table in RESULT_TABLES:
        frame = mine.results.get(table.name)
        if frame is None or not hasattr(frame, "columns"):
            continue
        if "system_id" in frame.columns:
            assert set(frame["system_id"]) <= ids, table.name
        if "department" in frame.columns:
            assert set(frame["department"]) <= {chosen}, table.name
        if table.name in ESTATE_LEVEL:
            assert frame.empty, table.name
    draws = mine.results["decision_draws"]  # read lazily: scoped all the same
    assert set(draws.column("system_id").to_pylist()) <= ids
    # their totals, not the estate's: the department's own figures, P10/P90 included
    department = whole.results["department_costs"].set_index("department").loc[chosen]
    figures = headline(mine.assessment, mine.results["model_inputs"], mine.run)
    assert figures["hidden_cost_gbp"] == pytest.approx(department["hidden_cost_gbp"])
    assert figures["hidden_cost_p10_gbp"] == pytest.approx(department["hidden_cost_p10_gbp"])
    assert figures["legacy_premium_gbp"] == pytest.approx(department["legacy_premium_gbp"])
    assert figures["systems"] == len(ids) and figures["departments"] == 1


def test_the_whole_estate_as_a_scope_gives_the_estates_totals(estate_db):
    whole = load_estate(estate_db)
    every = load_estate(estate_db, frozenset(departments(estate_db)))
    figures = headline(every.assessment, every.results["model_inputs"], every.run)
    stated = headline(whole.assessment, whole.results["model_inputs"], whole.run)
    for name in ("hidden_cost_gbp", "legacy_premium_gbp", "reported_cost_gbp", "implied_breaches_per_year",
                 "assumed_share", "systems"):  # fmt: skip
        assert figures[name] == pytest.approx(stated[name], rel=1e-9), name


def test_downloads_plans_and_scenarios_are_scoped_too(estate_db, tmp_path):
    assessment = load_estate(estate_db).assessment
    worth = assessment[assessment["candidate"].astype(bool) & (assessment["npv_gbp"] > 0)]
    chosen = worth["department"].value_counts().index[0]  # a department with candidates worth planning
    scope = frozenset({chosen})
    source = ResultSource(estate_db, scope=scope)
    out = export_finance_workbook(source, tmp_path / "finance.xlsx")
    workbook = openpyxl.load_workbook(out, read_only=True)
    listed = {row[0] for row in workbook["Departments"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert chosen in listed and listed <= {chosen, "All departments", "Department"}
    inputs = scenario_inputs(estate_db, scope)
    assert set(inputs.systems["department"]) == {chosen}
    plan = plan_from_store(source, np.full(5, 5e7), 3, 2026, time_limit=10).as_json()
    mine = set(load_estate(estate_db, scope).systems["system_id"])
    planned = {row["system_id"] for row in plan["plan"]}
    assert planned and planned <= mine


def test_hidden_tables_are_empty_and_the_store_is_unchanged(estate_db):
    chosen = departments(estate_db)[0]
    with connect(estate_db, read_only=True) as connection:
        before = connection.execute("SELECT count(*) FROM systems").fetchone()[0]
        apply_scope(connection, {chosen})
        for name in HIDDEN:
            present = connection.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                         [name]).fetchone()[0]  # fmt: skip
            if present:
                assert connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == 0, name
        assert connection.execute("SELECT count(*) FROM systems").fetchone()[0] < before
    with connect(estate_db, read_only=True) as connection:  # a new connection: the whole store, untouched
        assert connection.execute("SELECT count(*) FROM systems").fetchone()[0] == before


def test_a_departments_return_refuses_other_departments_rows_located(tmp_path):
    from estate.issues import IssueCode
    from estate.returns import out_of_scope
    from estate.validation import validate_file
    from tests.conftest import write_xlsx

    path = write_xlsx(tmp_path / "return.xlsx", {
        "Systems": [["System ID", "Name", "Department"], ["MOJ-1", "Case file", "Justice"],
                    ["HMRC-9", "Tax", "HMRC"], ["DWP-1", "Taken ID", "Justice"]],
        "Costs": [["System ID", "Financial year", "Category", "Amount"], ["MOJ-1", "2024-25", "hosting", 10],
                  ["DWP-2", "2024-25", "hosting", 5]],
    })  # fmt: skip
    result = validate_file(path)
    stored = {"DWP-1": "DWP", "DWP-2": "DWP", "MOJ-0": "Justice"}
    found = {(i.sheet, i.row, i.column, i.value) for i in out_of_scope([result], {"Justice"}, stored)}
    assert all(i.code is IssueCode.OUT_OF_SCOPE for i in out_of_scope([result], {"Justice"}, stored))
    assert found == {("Systems", 3, "C", "HMRC"), ("Systems", 4, "A", "DWP-1"), ("Costs", 3, "A", "DWP-2")}
    assert out_of_scope([result], {"Justice", "HMRC", "DWP"}, stored) == []


def test_other_departments_systems_appear_only_as_far_ends_by_id_name_and_department(estate_db):
    whole = load_estate(estate_db)
    links = whole.interfaces
    departments_of = whole.systems.set_index("system_id")["department"]
    crossing = links[links["source_system_id"].map(departments_of) != links["target_system_id"].map(departments_of)]
    crossing = crossing.dropna(subset=["source_system_id"])
    chosen = departments_of[crossing["source_system_id"].iloc[0]]
    mine = load_estate(estate_db, frozenset({chosen}))
    assert list(mine.far_ends.columns) == ["system_id", "name", "department"] and len(mine.far_ends)
    assert chosen not in set(mine.far_ends["department"])
    assert not set(mine.far_ends["system_id"]) & set(mine.assessment["system_id"])  # no figure of theirs
    ends = set(mine.interfaces["source_system_id"]) | set(mine.interfaces["target_system_id"])
    assert set(mine.far_ends["system_id"]) <= ends
