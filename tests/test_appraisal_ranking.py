"""Appraisal and ranking: a probabilistic Green Book NPV, a ranking that keeps magnitude, published methods."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costing.appraisal import build_weight, operating_weight, payback_years, present_values
from costing.methods import category_score, cddo_assessment
from costing.model import assess
from costing.ranking import rank_systems, top_n_share
from costing.risk import round_half_up
from dependency_graph import analyse_graph, build_graph
from pipeline.settings import load_parameters

PARAMS = load_parameters()
P = PARAMS.point()
AS_OF = date(2026, 11, 25)


def plain(**changes: float) -> dict[str, float]:
    """Central parameters with the appraisal's frills switched off, then `changes`."""
    base = dict(P, optimism_bias_benefits=0.0, legacy_cost_growth=0.0, dual_running_years=0.0,
                transition_cost_share=0.0, decommissioning_share_of_run_cost=0.0, new_run_cost_share=1.0,
                residual_hidden_share=0.0, asset_life_years=10.0)  # fmt: skip
    return base | changes


def loop_npv(run, premium, hidden, capex, duration, p) -> float:
    """The same appraisal year by year, fractions of a year pro rata, for checking the closed form."""
    life = int(p["operating_life_years"])
    v = 1 / (1 + p["discount_rate"])
    growth = p["legacy_cost_growth"] if premium + hidden > 0 else 0.0
    successor = (run - premium) * p["new_run_cost_share"] + (premium + hidden) * p["residual_hidden_share"]
    total = 0.0
    for t in range(int(np.ceil(duration)) + life + 1):
        in_build = min(max(duration - t, 0.0), 1.0)
        operating = min(max(t + 1 - duration, 0.0), 1.0) * min(max(duration + life - t, 0.0), 1.0)
        status_quo = run + hidden + (premium + hidden) * ((1 + growth) ** t - 1)
        saving = (1 - p["optimism_bias_benefits"]) * (status_quo - successor) * operating
        total += (saving - capex / duration * in_build) * v**t
    total -= (successor * p["dual_running_years"] + p["transition_cost_share"] * capex
              + p["decommissioning_share_of_run_cost"] * run) * v**duration  # fmt: skip
    total += capex * max(0.0, 1 - life / p["asset_life_years"]) * v ** (duration + life)
    return total


def test_npv_by_hand_without_frills():
    p = plain()
    v = 1 / 1.035
    # replace in exactly 2 years for 100; saves 30 a year for the 10 years after
    flows = present_values(np.array([100.0]), np.array([20.0]), np.array([10.0]), np.array([100.0]),
                           np.array([2.0]), p)  # fmt: skip
    savings = 30.0 * sum(v**t for t in range(2, 12))
    capex = 50.0 * (1 + v)
    assert flows.npv[0] == pytest.approx(savings - capex)
    assert flows.benefits[0] == pytest.approx(savings) and flows.costs[0] == pytest.approx(capex)


@pytest.mark.parametrize("duration", [0.5, 1.0, 2.5, 3.08, 7.3])
def test_npv_with_optimism_bias_dual_running_and_residual_value_matches_the_year_by_year_sum(duration):
    p = dict(P, optimism_bias_benefits=0.2, legacy_cost_growth=0.03, dual_running_years=0.5,
             transition_cost_share=0.1, decommissioning_share_of_run_cost=0.25, asset_life_years=12.0)  # fmt: skip
    run, premium, hidden, capex = 1_000_000.0, 300_000.0, 200_000.0, 3_000_000.0
    flows = present_values(np.array([run]), np.array([premium]), np.array([hidden]), np.array([capex]),
                           np.array([duration]), p)  # fmt: skip
    assert flows.npv[0] == pytest.approx(loop_npv(run, premium, hidden, capex, duration, p), rel=1e-9)
    residual = capex * (1 - 10 / 12) / 1.035 ** (duration + 10)
    assert residual > 0 and flows.benefits[0] > residual


def test_weights_sum_to_the_build_and_operating_years():
    assert build_weight(1.0, np.array([2.5]))[0] == pytest.approx(2.5)
    assert operating_weight(1.0, np.array([2.5]), 10)[0] == pytest.approx(10.0)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(1e4, 1e8), st.floats(0, 0.9), st.floats(0, 2), st.floats(0.5, 20), st.floats(0.2, 8),
    st.floats(0, 0.08),
)  # fmt: skip
def test_cost_of_delay_is_never_positive_for_a_replacement_that_does_not_pay(
    run, premium_share, hidden_share, capex_multiple, duration, growth
):
    p = dict(P, legacy_cost_growth=growth)
    args = (np.array([run]), np.array([run * premium_share]), np.array([run * hidden_share]),
            np.array([run * capex_multiple]), np.array([duration]))  # fmt: skip
    now, later = present_values(*args, p), present_values(*args, p, delay=1)
    if now.npv[0] <= 0:
        assert now.npv[0] - later.npv[0] <= 1e-6 * run


def test_payback_is_the_first_year_the_cumulative_discounted_benefit_turns_positive():
    p = plain()
    years = payback_years(np.array([100.0, 100.0]), np.array([50.0, 0.0]), np.array([0.0, 0.0]),
                          np.array([100.0, 1e6]), np.array([1.0, 1.0]), p)  # fmt: skip
    # saves 50 a year from year 1 after 100 in year 0: cumulative -100, -51.7, -5.0, +40.1 -> year 4 (year 0 = 1)
    assert years[0] == 4 and np.isnan(years[1])


# ---------------------------------------------------------------- CDDO framework


def test_the_cddo_worked_example_scores_26_67_and_red():
    likelihood = category_score(np.array([[5, 5, 5, 5, 6, 6, 6]], float))[0]
    impact = category_score(np.array([[5, 5, 2, 5, 5, 4]], float))[0]
    assert likelihood == pytest.approx(5.714, abs=1e-3) and impact == pytest.approx(4.667, abs=1e-3)
    assert likelihood * impact == pytest.approx(26.67, abs=0.005)


def test_a_departments_own_cddo_scores_are_used_and_out_of_range_ones_are_not():
    frame = pd.DataFrame({
        "years_past_end_of_support": [0.0, 0.0], "end_of_support_known": [True, True], "legacy": [True, False],
        "platform": ["mainframe", "saas"], "contract_end": [None, None], "support_fte": [1.0, 1.0],
        "scarce_skills": [True, False], "incidents_per_year": [0.0, 0.0], "outage_hours_per_year": [0.0, 0.0],
        "manual_workaround_hours_per_month": [0.0, 0.0], "known_vulnerabilities": [0.0, 0.0],
        "criticality": [3.0, 3.0], "users": [10.0, 10.0], "run_cost_gbp": [1e5, 1e5],
        "transactions_per_year": [0.0, 0.0], "fan_out": [0.0, 0.0],
        **{f"cddo_l{i}": [s, 9] for i, s in enumerate((5, 5, 5, 5, 6, 6, 6), start=1)},
        **{f"cddo_c{i}": [s, np.nan] for i, s in enumerate((5, 5, 2, 5, 5, 4), start=1)},
    })  # fmt: skip
    result = cddo_assessment(frame, AS_OF)
    assert result["cddo_score"].iloc[0] == pytest.approx(26.67, abs=0.005) and result["cddo_red"].iloc[0]
    assert result["cddo_derived_criteria"].tolist() == [0, 13]  # 9 is outside 1-6: not used
    assert result["cddo_legacy"].iloc[0]


def test_rounding_is_half_up_not_to_even():
    assert round_half_up(np.array([0.5, 1.5, 2.5, 3.5, 2.4999])).tolist() == [1, 2, 3, 4, 2]


# ---------------------------------------------------------------- ranking


def frame_of(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"system_id": [f"S{i:03d}" for i in range(n)], "suggested_action": ["replatform"] * n,
            "total_cost_of_legacy_gbp": [1e6] * n, "risk_score": [10] * n, "blast_radius": [1] * n,
            "npv_per_capex": [0.0] * n, "ease": [-1.0] * n, "npv_gbp": [0.0] * n}  # fmt: skip
    return pd.DataFrame(base | columns)


def test_retain_systems_are_never_ranked_among_candidates():
    frame = frame_of(suggested_action=["retain", "refactor", "retain", "retire"], npv_per_capex=[9, -1, 5, -2])
    ranked = rank_systems(frame, None, 2, 0.5, 0)
    assert ranked["system_id"].tolist() == ["S001", "S003", "S000", "S002"]
    assert ranked["candidate"].tolist() == [True, True, False, False]


def test_ties_at_the_threshold_are_not_counted_as_stable():
    values = np.array([[3.0] * 10, [2.0] * 10, [2.0] * 10, [1.0] * 10])
    assert top_n_share(values, 2).tolist() == [1.0, 0.0, 0.0, 0.0]
    assert top_n_share(values, 1).tolist() == [1.0, 0.0, 0.0, 0.0]


MONEY = ("total_cost_of_legacy_gbp", "npv_gbp")
system = st.fixed_dictionaries({
    "total_cost_of_legacy_gbp": st.floats(0, 1e9), "risk_score": st.integers(1, 25),
    "blast_radius": st.integers(0, 1000),
    "npv_per_capex": st.floats(-1, 1), "ease": st.floats(-50, 0), "npv_gbp": st.floats(-1e9, 1e9),
})  # fmt: skip
WEIGHTS = {"weight_hidden_cost": 0.3, "weight_risk": 0.25, "weight_blast_radius": 0.15, "weight_npv": 0.2,
           "weight_ease": 0.1}  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(system, min_size=3, max_size=30))
def test_order_survives_scaling_money_and_duplicating_the_estate(rows):
    frame = frame_of(**{k: [r[k] for r in rows] for k in rows[0]})
    for weights in (None, WEIGHTS):
        base = rank_systems(frame, weights, 5, 0.5, 0)["system_id"].tolist()
        scaled = frame.assign(**{m: frame[m] * 10 for m in MONEY})
        assert rank_systems(scaled, weights, 5, 0.5, 0)["system_id"].tolist() == base
        copy = frame.assign(system_id=frame["system_id"] + "-copy")
        doubled = rank_systems(pd.concat([frame, copy], ignore_index=True), weights, 5, 0.5, 0)["system_id"]
        assert [s for s in doubled if not s.endswith("-copy")] == base


@settings(max_examples=100, deadline=None)
@given(st.lists(system, min_size=2, max_size=20), st.integers(0, 19))
def test_a_system_that_dominates_another_on_every_criterion_ranks_above_it(rows, which):
    frame = frame_of(**{k: [r[k] for r in rows] for k in rows[0]})
    worse = frame.iloc[which % len(frame)]
    better = worse.copy()
    better["system_id"] = "BETTER"
    for column in ("total_cost_of_legacy_gbp", "risk_score", "blast_radius", "npv_per_capex", "ease", "npv_gbp"):
        better[column] = worse[column] + abs(worse[column]) * 0.5 + 1
    ranked = rank_systems(pd.concat([frame, better.to_frame().T], ignore_index=True).infer_objects(), WEIGHTS, 3,
                          0.5, 0)["system_id"].tolist()  # fmt: skip
    assert ranked.index("BETTER") < ranked.index(worse["system_id"])


# ---------------------------------------------------------------- GAO's most critical legacy systems


def gao_estate(interfaces: bool, capex: bool, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """200 modern cloud systems and 11 shaped like GAO-25-107795's most critical legacy systems."""
    rng = np.random.default_rng(seed)
    rows, costs = [], []
    for i in range(200):
        rows.append({"system_id": f"M{i:03d}", "name": f"Modern {i}", "department": f"D{i % 8}",
                     "platform": rng.choice(["public_cloud", "saas"]), "technology": "Java 21", "go_live_year": 2020,
                     "end_of_support": pd.Timestamp("2031-03-31"), "criticality": float(rng.integers(2, 6)),
                     "users": float(rng.integers(100, 1_000_000)), "known_vulnerabilities": float(rng.integers(0, 3)),
                     "outage_hours_per_year": 4.0, "manual_workaround_hours_per_month": 0.0,
                     "transactions_per_year": 1e6})  # fmt: skip
        costs.append({"system_id": f"M{i:03d}", "financial_year": "2024-25", "category": "hosting",
                      "amount_gbp": float(rng.uniform(2e5, 5e6))})  # fmt: skip
    for i in range(11):
        run = float(rng.uniform(10e6, 60e6))
        rows.append({"system_id": f"GAO{i:02d}", "name": f"Critical legacy {i}", "department": f"D{i % 8}",
                     "platform": "mainframe", "technology": rng.choice(["COBOL", "Assembler"]),
                     "go_live_year": int(rng.integers(1966, 2003)),
                     "end_of_support": pd.Timestamp(f"{rng.integers(2005, 2020)}-03-31"), "criticality": 5.0,
                     "users": float(rng.integers(10_000, 5_000_000)),
                     "known_vulnerabilities": float(rng.integers(20, 200)),
                     "outage_hours_per_year": float(rng.integers(10, 80)),
                     "manual_workaround_hours_per_month": float(rng.integers(50, 400)), "transactions_per_year": 1e8,
                     "replacement_cost_estimate_gbp": run * float(rng.uniform(3, 8)) if capex else np.nan,
                     "replacement_years": float(rng.uniform(3, 6)) if capex else np.nan})  # fmt: skip
        for category, share in (("hosting", 0.45), ("staff", 0.3), ("licence", 0.15), ("support_contract", 0.1)):
            costs.append({"system_id": f"GAO{i:02d}", "financial_year": "2024-25", "category": category,
                          "amount_gbp": run * share})  # fmt: skip
    systems = pd.DataFrame(rows)
    for column in ("business_service", "owner", "vendor", "contract_end", "cddo_risk", "incidents_per_year",
                   "support_fte", "replacement_cost_estimate_gbp", "replacement_years"):  # fmt: skip
        if column not in systems:
            systems[column] = np.nan
    links = []
    if interfaces:
        for i in range(11):
            for j in rng.choice(200, 8, replace=False):
                links.append({"interface_id": f"I{len(links)}", "source_system_id": f"GAO{i:02d}",
                              "target_system_id": f"M{j:03d}", "kind": "batch"})  # fmt: skip
        for _ in range(400):
            a, b = rng.choice(200, 2, replace=False)
            links.append({"interface_id": f"I{len(links)}", "source_system_id": f"M{a:03d}",
                          "target_system_id": f"M{b:03d}", "kind": "api"})  # fmt: skip
    return systems, pd.DataFrame(costs), pd.DataFrame(links, columns=["interface_id", "source_system_id",
                                                                       "target_system_id", "kind"])  # fmt: skip


@pytest.mark.parametrize(("interfaces", "capex"), [(True, False), (False, False), (True, True)],
                         ids=["with interfaces", "without interfaces", "with replacement capex estimates"])  # fmt: skip
def test_gao_shaped_critical_legacy_systems_all_rank_in_the_top_20(interfaces, capex):
    systems, costs, links = gao_estate(interfaces, capex)
    metrics = analyse_graph(build_graph(systems, links), 16, 0).metrics
    ranked = assess(systems, costs, links, metrics, PARAMS, AS_OF, seed=0, draws=300).systems
    gao = ranked[ranked["system_id"].str.startswith("GAO")]
    assert (gao["rank"] <= 20).all(), gao[["system_id", "rank", "suggested_action"]]
    candidates = ranked[ranked["candidate"]]
    assert not candidates["suggested_action"].isin(["retain"]).any()
    assert (ranked.loc[~ranked["candidate"], "suggested_action"] == "retain").all()
    assert (ranked["npv_p10_gbp"] <= ranked["npv_gbp"]).all() and (ranked["npv_gbp"] <= ranked["npv_p90_gbp"]).all()
    assert ranked["probability_npv_positive"].between(0, 1).all()
    not_paying = ranked["npv_gbp"] <= 0
    assert (ranked.loc[not_paying, "cost_of_delay_gbp"] <= 1e-6).all()
