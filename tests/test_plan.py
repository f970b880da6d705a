"""`estate plan`: a roadmap under a budget and a capacity, optimal on small cases, never worse than greedy."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costing.plan import plan_replacements
from estate.cleaning import financial_year
from pipeline.roadmap import parse_budget, parse_financial_year
from tests.conftest import run_estate


def candidates(npv, capex, years, cluster=None) -> pd.DataFrame:
    n = len(npv)
    return pd.DataFrame({"system_id": [f"S{i}" for i in range(n)], "npv_gbp": npv, "capex_gbp": capex,
                         "duration_years": years, "cluster": cluster or list(range(n)),
                         "rank": list(range(1, n + 1))})  # fmt: skip


NO_LINKS = pd.DataFrame(columns=["source_system_id", "target_system_id"])


def test_a_small_plan_reaches_the_known_optimum():
    # budget 100 a year, one at a time: S1 (NPV 9) and S2 (NPV 8) beat S0 (NPV 10) whose 200 over 1 year never fits,
    # so S0 is left out for its capex; S1 then S2 in the two years
    frame = candidates([10.0, 9.0, 8.0, -1.0], [200.0, 100.0, 100.0, 5.0], [1.0, 1.0, 1.0, 1.0])
    plan = plan_replacements(frame, NO_LINKS, np.array([100.0, 100.0]), 1)
    assert plan.schedule[["system_id", "start"]].values.tolist() == [["S1", 0], ["S2", 1]]
    assert plan.value_gbp == pytest.approx(9 + 8 / 1.035)
    reasons = dict(plan.left_out.values.tolist())
    assert "above every year's budget" in reasons["S0"] and "not positive" in reasons["S3"]


def test_a_budget_too_small_for_anything_explains_itself():
    frame = candidates([10.0, 5.0], [1000.0, 900.0], [1.0, 1.0])
    plan = plan_replacements(frame, NO_LINKS, np.array([10.0] * 5), 2)
    assert plan.schedule.empty and plan.value_gbp == 0
    assert all("above every year's budget" in r for r in plan.left_out["reason"])


def test_a_coupled_cluster_larger_than_the_capacity_is_sequenced_in_waves_with_interim_interfaces_costed():
    # a cycle of 3 that must move together, but only 2 replacements can run at once: strangler-style waves
    frame = candidates([5.0, 5.0, 5.0], [10.0, 10.0, 10.0], [1.0, 1.0, 1.0], cluster=["c", "c", "c"])
    cycle = pd.DataFrame([("S0", "S1"), ("S1", "S2"), ("S2", "S0")], columns=["source_system_id", "target_system_id"])
    plan = plan_replacements(frame, cycle, np.array([100.0] * 3), 2, interim_interface_cost=1.0)
    start = dict(zip(plan.schedule["system_id"], plan.schedule["start"], strict=True))
    assert start == {"S0": 0, "S1": 0, "S2": 1}  # the first two by rank, the third after them
    # S2 talks to both earlier members (S1 -> S2, S2 -> S0): two interim interfaces for its year of build
    assert plan.schedule.set_index("system_id").loc["S2", "npv_gbp"] == pytest.approx(5.0 - 2 * 1.0)
    assert plan.left_out.empty
    # without the capacity to spare a second year, the later wave waits: it is never planned first
    short = plan_replacements(frame, cycle, np.array([100.0]), 2, interim_interface_cost=1.0)
    assert set(short.schedule["system_id"]) == {"S0", "S1"}


@st.composite
def estates(draw):
    n = draw(st.integers(2, 12))
    npv = draw(st.lists(st.floats(-5, 50), min_size=n, max_size=n))
    capex = draw(st.lists(st.floats(1, 60), min_size=n, max_size=n))
    years = draw(st.lists(st.floats(0.5, 4), min_size=n, max_size=n))
    # coupled clusters are strongly connected groups: contiguous here, so dependencies between them form a DAG
    clusters = sorted(draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n))
    links = pd.DataFrame(
        [(f"S{min(a, b)}", f"S{max(a, b)}") for a, b in edges if a != b],
        columns=["source_system_id", "target_system_id"],
    )  # fmt: skip (a DAG: lower feeds higher)
    budget = draw(st.lists(st.floats(10, 100), min_size=6, max_size=6))
    capacity = draw(st.integers(1, 4))
    return candidates(npv, capex, years, clusters), links, np.array(budget), capacity


@settings(max_examples=60, deadline=None)
@given(estates())
def test_budget_capacity_and_dependency_order_hold_and_the_plan_beats_greedy(case):
    frame, links, budget, capacity = case
    plan = plan_replacements(frame, links, budget, capacity, time_limit=10)
    assert plan.value_gbp >= plan.greedy_value_gbp - 1e-6
    assert (plan.spend_by_year <= budget + 1e-6).all()
    running = np.zeros(len(budget))
    start = dict(zip(plan.schedule["system_id"], plan.schedule["start"], strict=True))
    for row in plan.schedule.itertuples():
        running[row.start : row.start + row.years] += 1
        assert row.start + row.years <= len(budget)
    assert (running <= capacity).all()
    cluster = dict(zip(frame["system_id"], frame["cluster"], strict=True))
    for source, target in links.itertuples(index=False):
        if source in start and target in start and cluster[source] != cluster[target]:
            assert start[source] <= start[target]
    years = dict(zip(plan.schedule["system_id"], plan.schedule["years"], strict=True))
    for _, members in frame.sort_values("rank").groupby("cluster")["system_id"]:
        # a cluster within the capacity moves at once; a larger one in waves of at most the capacity, in rank
        # order, each wave at one start (or none planned), a wave only after the one before it has finished
        waves = [list(members)[k : k + capacity] for k in range(0, len(members), capacity)]
        finished = 0
        for k, wave in enumerate(waves):
            planned = {start.get(m) for m in wave}
            assert len(planned) == 1
            begun = planned.pop()
            if begun is None:
                assert all(start.get(m) is None for later in waves[k:] for m in later)
                break
            assert begun >= finished
            finished = begun + max(years[m] for m in wave)


def test_financial_years_and_budgets_parse():
    assert financial_year(2027) == "2027-28" and financial_year(2099, 1) == "2100-01"
    assert parse_financial_year("2027-28") == 2027
    for bad in ("2027-29", "2027/28", "27-28"):
        with pytest.raises(ValueError, match="financial year"):
            parse_financial_year(bad)
    assert parse_budget("5e6", 3).tolist() == [5e6] * 3 and parse_budget("1,2,3", 3).tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="3-year"):
        parse_budget("1,2", 3)


def test_the_plan_command_keeps_its_contract(tmp_path):
    from pathlib import Path

    db = tmp_path / "e.duckdb"
    sample = Path(__file__).parents[1] / "sample_inventory.xlsx"
    assert run_estate("import", str(sample), "--db", str(db)).returncode == 0
    assert run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "100").returncode == 0
    result = run_estate("plan", "--db", str(db), "--budget", "3e6", "--capacity", "2", "--start", "2027-28",
                        "--years", "6", "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert {"plan", "budget_gbp", "capacity", "value_gbp", "greedy_value_gbp", "gap", "left_out"} <= set(plan)
    assert plan["value_gbp"] >= plan["greedy_value_gbp"] - 1e-6
    years = [financial_year(2027, k) for k in range(6)]
    spend = dict.fromkeys(years, 0.0)
    for item in plan["plan"]:
        assert item["start_year"] in years and item["end_year"] in years and "." not in item["start_year"]
        for year, amount in item["capex_by_year"].items():
            spend[year] += amount
    assert all(spend[y] <= 3e6 + 1e-6 for y in years)
    assert all({"system_id", "reason"} <= set(item) for item in plan["left_out"])
    bad = run_estate("plan", "--db", str(db), "--budget", "lots", "--capacity", "2")
    assert bad.returncode == 2 and "--budget" in bad.stderr and "Traceback" not in bad.stderr


def test_estate_plan_schedules_a_cycle_larger_than_the_capacity_in_waves(tmp_path):
    # five critical, unsupported mainframe systems in one cycle (they must move together), capacity 2
    from tests.conftest import write_xlsx

    headers = ["System ID", "Name", "Department", "Platform", "Technology", "End of support", "Users",
               "Criticality", "Annual cost", "Workaround hours per month", "Replacement cost estimate",
               "Replacement years"]  # fmt: skip
    rows = [headers] + [[f"C{i}", f"Core {i}", "Dept A", "Mainframe", "COBOL", "31/03/2015", 50000, 5, 5_000_000,
                         400, 2_000_000, 1] for i in range(5)]  # fmt: skip
    links = [["From", "To", "Kind"]] + [[f"C{i}", f"C{(i + 1) % 5}", "batch"] for i in range(5)]
    book = write_xlsx(tmp_path / "cycle.xlsx", {"Systems": rows, "Interfaces": links})
    db = tmp_path / "e.duckdb"
    assert run_estate("import", str(book), "--db", str(db)).returncode == 0
    assert run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "100").returncode == 0
    result = run_estate("plan", "--db", str(db), "--budget", "1e8", "--capacity", "2", "--years", "8",
                        "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    starts = {item["system_id"]: item["start_year"] for item in plan["plan"]}
    assert set(starts) == {f"C{i}" for i in range(5)} and not plan["left_out"]
    by_year = sorted(starts.values())
    assert len(set(by_year)) == 3 and max(by_year.count(y) for y in by_year) == 2  # waves of at most 2, in turn
