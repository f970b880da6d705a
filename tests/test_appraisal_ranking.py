"""Appraisal and ranking: a probabilistic Green Book NPV, a ranking that keeps magnitude, published methods."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costing.appraisal import BusinessAsUsual, ExtendedSupport, appraise, capex_and_duration, payback_years
from costing.hidden import extended_support_premium, extended_support_terms
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
                residual_hidden_share=0.0, asset_life_years=1e9, appraisal_years=15.0)  # fmt: skip
    return base | changes


def steady(run: float, premium: float, hidden: float, risk: float = 0.0, risk_lapsed: float = 0.0,
           lapses: float = np.inf, esu: ExtendedSupport | None = None) -> BusinessAsUsual:  # fmt: skip
    """Business as usual with constant parts (no extended support unless `esu` gives it)."""
    arrays = [np.array([x]) for x in (run, premium, premium, hidden, risk, risk_lapsed, lapses)]
    return BusinessAsUsual(arrays[0], arrays[1], esu or ExtendedSupport.none(np.zeros(1)), np.zeros(1), arrays[3],
                           arrays[4], arrays[5], arrays[6])  # fmt: skip


def act(bau: BusinessAsUsual, capex: float, duration: float, p, retire: float = 0.0, yearly: bool = False):
    """Return (now, a year later) for one system."""
    return appraise(bau, np.array([capex]), np.array([capex]), np.array([duration]), np.array([retire]), p,
                    yearly=yearly)  # fmt: skip


def test_npv_by_hand_over_the_one_appraisal_period():
    p = plain()
    v = 1 / 1.035
    # build over exactly 2 years for 100; saves 20 (premium) + 10 (hidden) a year from year 2 to year 14
    now, later = act(steady(100.0, 20.0, 10.0), 100.0, 2.0, p)
    savings = 30.0 * sum(v**t for t in range(2, 15))
    assert now.npv[0] == pytest.approx(savings - 50.0 * (1 + v) + 100.0 * v**15)  # residual: no depreciation here
    assert now.cash_npv[0] == pytest.approx(20.0 * sum(v**t for t in range(2, 15)) - 50.0 * (1 + v))
    # a year later: the same period, so one year of savings is lost and the build is a year later
    late_savings = 30.0 * sum(v**t for t in range(3, 15))
    assert later.npv[0] == pytest.approx(late_savings - 50.0 * (v + v**2) + 100.0 * v**15)
    assert now.npv[0] - later.npv[0] > 0  # replacing pays, so waiting costs


def test_extended_support_is_charged_only_while_it_is_sold_then_the_unsupported_risk_applies():
    p = plain()
    s = {
        "years_past_end_of_support": np.array([2.5]),
        "licence_cost_gbp": np.array([100.0]),
        "staff_cost_gbp": np.zeros(1),
        "hosting_cost_gbp": np.zeros(1),
        "run_cost_gbp": np.array([1000.0]),
        "esu_microsoft": np.ones(1),
    }  # fmt: skip (Microsoft's ESU terms)

    def esu(t):
        return extended_support_premium({**s, "years_past_end_of_support": s["years_past_end_of_support"] + t}, p)

    lines, window, microsoft = extended_support_terms(s, p)
    by_year = ExtendedSupport(esu(0), lines, window, microsoft, s["years_past_end_of_support"])
    bau = steady(1000.0, float(esu(0)[0]), 0.0, risk=1.0, risk_lapsed=7.0, lapses=1.0, esu=by_year)
    assert all(by_year.at(t, p)[0] == pytest.approx(esu(t)[0]) for t in range(15))
    # 2.5 years past: the third year of ESU (75% + 2 x 25% = 125%) in year 0, none from year 1 (past 3 years)
    assert bau.cash(0, p)[0] == pytest.approx(1000.0) and esu(0)[0] == pytest.approx(100 * 1.25 / 2.25)
    assert bau.cash(1, p)[0] == pytest.approx(1000.0 - 100 * 1.25 / 2.25)
    assert bau.hidden(0)[0] == 1.0 and bau.hidden(1)[0] == 7.0 and bau.hidden(14)[0] == 7.0


def test_no_premium_grows_for_ever():
    p = plain(legacy_cost_growth=0.05, legacy_cost_growth_years=10.0)
    bau = BusinessAsUsual(np.array([100.0]), np.array([40.0]), ExtendedSupport.none(np.zeros(1)), np.array([40.0]),
                          np.zeros(1), np.zeros(1), np.zeros(1), np.array([np.inf]))  # fmt: skip
    assert bau.cash(10, p)[0] == pytest.approx(100 + 40 * (1.05**10 - 1))
    assert bau.cash(14, p)[0] == bau.cash(10, p)[0]


def test_payback_is_on_expected_flows_and_exists_whenever_the_expected_npv_is_positive():
    p = plain()
    now, _ = act(steady(100.0, 50.0, 0.0), 100.0, 1.0, p, yearly=True)
    # -100 in year 0, then +50 a year discounted: cumulative -100, -51.7, -5.0, +40.1 -> year 4 (year 0 = 1)
    assert payback_years(now.yearly_net)[0] == 4
    assert now.yearly_net.sum() == pytest.approx(now.npv[0])
    never, _ = act(steady(100.0, 1.0, 0.0), 1e6, 1.0, p, yearly=True)
    assert np.isnan(payback_years(never.yearly_net)[0])


@settings(max_examples=300, deadline=None)
@given(
    st.floats(1e4, 1e8), st.floats(0, 0.9), st.floats(0, 2), st.floats(0.2, 20), st.floats(0.2, 8),
    st.floats(0, 0.08), st.floats(0, 1),
)  # fmt: skip
def test_cost_of_delay_is_positive_whenever_replacing_pays_and_cash_npv_never_exceeds_economic(
    run, premium_share, hidden_share, capex_multiple, duration, growth, retire
):
    p = dict(P, legacy_cost_growth=growth)
    bau = BusinessAsUsual(np.array([run]), np.array([run * premium_share]), ExtendedSupport.none(np.zeros(1)),
                          np.array([run * premium_share / 2]), np.array([run * hidden_share]), np.zeros(1),
                          np.zeros(1), np.array([np.inf]))  # fmt: skip
    capex = np.array([run * capex_multiple])
    now, later = appraise(bau, capex * 3, capex, np.array([duration]), np.array([float(retire > 0.5)]), p)
    assert now.cash_npv[0] <= now.npv[0] + 1e-6 * run
    if now.npv[0] > 1e-6 * run:
        assert now.npv[0] - later.npv[0] > 0


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
    paying = ranked["npv_gbp"] > 0
    assert (ranked.loc[paying, "cost_of_delay_gbp"] > 0).all() and ranked.loc[paying, "payback_year"].notna().all()
    assert (ranked["cash_npv_gbp"] <= ranked["npv_gbp"] + 1e-6).all()
    # the risk they carry is valued: a major failure of a critical service, beside the security loss
    assert (gao["failure_loss_gbp"] > gao["security_loss_gbp"]).all()


def test_the_reference_class_outturns_fall_inside_the_capex_and_duration_p10_to_p90():
    """Each published programme's outturn, against estate's P10-P90 from its approved budget and plan."""
    reference = pd.read_csv(Path(__file__).parents[1] / "costing" / "reference_class.csv")
    assert len(reference) >= 5 and reference["url"].str.startswith("https://").all()
    capex, duration, _ = capex_and_duration(
        np.ones(len(reference)), reference["approved_capex"].to_numpy(float),
        reference["planned_years"].to_numpy(float), P["prior_run_cost"], P,
    )  # fmt: skip
    z = 1.2815515655446004  # the standard normal's 90th percentile

    def covered(central, outturn, sigma):  # over the programmes whose outturn is published
        low, high = central * np.exp(-z * sigma - sigma**2 / 2), central * np.exp(z * sigma - sigma**2 / 2)
        known = np.isfinite(outturn)
        assert known.sum() >= 4
        return ((low <= outturn) & (outturn <= high))[known]

    assert covered(capex, reference["outturn_capex"].to_numpy(float), P["capex_outturn_sigma"]).mean() >= 0.6
    assert covered(duration, reference["outturn_years"].to_numpy(float), P["duration_outturn_sigma"]).mean() >= 0.6
