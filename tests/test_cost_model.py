"""Cost model v2: bounded, sourced components; unknown is not zero; expected values that add up; calibration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costing import hidden
from costing.hidden import COMPONENTS, HIDDEN_COMPONENTS, PREMIUM_COMPONENTS
from costing.imputation import MAX_CV_MDAPE, MIN_TRAINING_ROWS, impute_costs
from costing.inputs import PRIORS, SYSTEM_INPUTS, blocked_dependents, build_inputs, input_arrays
from costing.model import assess
from dependency_graph import analyse_graph, build_graph
from pipeline.settings import load_parameters

PARAMS = load_parameters()
P = PARAMS.point()
AS_OF = date(2026, 11, 25)
ROOT = Path(__file__).parents[1]
MS = {"esu_microsoft": 1.0}  # a Microsoft product (its extended support follows Microsoft's ESU terms)


def inputs(**values: float) -> dict[str, np.ndarray]:
    """One system's inputs: zeros except those given."""
    return {name: np.array([float(values.get(name, 0.0))]) for name in SYSTEM_INPUTS}


def one(function, **values) -> float:
    return float(function(inputs(**values), P)[0])


# ---------------------------------------------------------------- each component by hand


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # a Microsoft product: Extended Security Updates for 3 years at 75%, 100%, 125% of the licence
        ({"years_past_end_of_support": 0.5, "licence_cost_gbp": 100_000, **MS}, 100_000 * 0.75 / 1.75),  # year 1
        ({"years_past_end_of_support": 1.5, "licence_cost_gbp": 100_000, **MS}, 100_000 * 1.0 / 2.0),  # year 2
        ({"years_past_end_of_support": 2.5, "licence_cost_gbp": 100_000, **MS}, 100_000 * 1.25 / 2.25),  # year 3
        ({"years_past_end_of_support": 3.5, "licence_cost_gbp": 100_000, **MS}, 0),  # no longer sold: no premium
        ({"years_past_end_of_support": 0.5, "run_cost_gbp": 400_000, **MS}, 100_000 * 0.75 / 1.75),  # 25% of run
        ({"years_past_end_of_support": -1, "licence_cost_gbp": 100_000, **MS}, 0),  # still supported
        # any other vendor: esu_other_share (50%) for esu_other_years (2)
        ({"years_past_end_of_support": 0.5, "licence_cost_gbp": 100_000}, 100_000 * 0.5 / 1.5),
        ({"years_past_end_of_support": 1.5, "licence_cost_gbp": 100_000}, 100_000 * 0.5 / 1.5),
        ({"years_past_end_of_support": 2.5, "licence_cost_gbp": 100_000}, 0),  # past the vendor's window
    ],
)
def test_extended_support_is_priced_as_sold_and_within_the_lines(values, expected):
    premium = one(hidden.extended_support_premium, **values)
    assert premium == pytest.approx(expected)
    assert premium < values.get("licence_cost_gbp", 0.25 * values.get("run_cost_gbp", 0)) + 1


def test_each_component_by_hand():
    assert one(hidden.support_effort_premium, legacy=1, staff_cost_gbp=100_000) == pytest.approx(100_000 * 2 / 3)
    assert one(hidden.support_effort_premium, staff_cost_gbp=100_000) == 0
    assert one(hidden.support_effort_premium, legacy=1, support_fte=2, run_cost_gbp=1e6) == pytest.approx(
        130_000 * 2 / 3
    )
    assert one(hidden.support_effort_premium, legacy=1, run_cost_gbp=1e6) == pytest.approx(300_000 * 2 / 3)
    assert one(hidden.scarce_skills_premium, legacy=1, scarce_skills=1, staff_cost_gbp=100_000) == pytest.approx(
        100_000 / 3 * 0.1 / 1.1
    )
    assert one(hidden.scarce_skills_premium, scarce_skills=1, staff_cost_gbp=100_000) == pytest.approx(100_000 / 11)
    assert one(hidden.hosting_premium, mainframe=1, hosting_cost_gbp=150_000) == pytest.approx(75_000)
    assert one(hidden.hosting_premium, on_premises=1, run_cost_gbp=1e6) == pytest.approx(200_000 * 0.3 / 1.3)
    assert one(hidden.hosting_premium, hosting_cost_gbp=150_000) == 0
    assert one(hidden.manual_workaround_labour, manual_workaround_hours_per_month=10, manual_interfaces=2) == (
        pytest.approx((120 + 200) * 24)
    )
    assert one(hidden.outage_cost, outage_hours_per_year=10, users=1000) == pytest.approx((10 - 4.4) * 1000 * 0.01 * 12)
    assert one(hidden.outage_cost, outage_hours_per_year=3, users=10**7) == 0  # within a modern baseline
    unsupported = 0.002 * 3 * (1 + 0.5 * np.log(11))
    assert one(
        hidden.security_loss, end_of_support_known=1, years_past_end_of_support=5, known_vulnerabilities=10,
        users=100_000, legacy=1,
    ) == pytest.approx((unsupported - 0.002) * 3_580_000)  # fmt: skip
    assert one(hidden.security_loss, legacy=1) == pytest.approx(0.002 * 0.5 * 2 * 3_580_000 * 0.1)  # EOS unknown
    assert one(hidden.security_loss, end_of_support_known=1, users=10**6) == 0  # supported, no vulnerabilities
    assert one(hidden.blocking_cost, legacy=1, blocked_dependents=2.5) == pytest.approx(5_000)
    assert one(hidden.blocking_cost, blocked_dependents=2.5) == 0


def test_a_dependent_of_several_legacy_systems_is_charged_once():
    interfaces = pd.DataFrame(
        {"source_system_id": ["A", "B", "A", "C", "A"], "target_system_id": ["C", "C", "D", "A", "A"]}
    )
    shared = blocked_dependents(interfaces, pd.Series(["A", "B", "C", "D"]), np.array([True, True, False, False]))
    assert shared.tolist() == [1.5, 0.5, 0.0, 0.0]  # C shared by A and B; D only A's; C -> A is not legacy's
    assert shared.sum() == 2  # the systems that depend on any legacy system


def test_components_are_zero_not_nan_for_an_empty_row():
    assert all(values[0] == 0 for values in hidden.hidden_components(inputs(end_of_support_known=1), P).values())
    assert all(np.isfinite(values[0]) for values in hidden.hidden_components(inputs(), P).values())


SYSTEM = st.fixed_dictionaries(
    {name: st.floats(0, 1e6 if "gbp" in name else 500, allow_nan=False) for name in SYSTEM_INPUTS}
    | {
        "years_past_end_of_support": st.floats(-10, 30),
        "legacy": st.sampled_from([0.0, 1.0]),
        "end_of_support_known": st.sampled_from([0.0, 1.0]),
    }
)


@settings(max_examples=200, deadline=None)
@given(SYSTEM, st.floats(0.1, 1000), st.integers(1, 100), st.floats(0.1, 500))
def test_more_workarounds_vulnerabilities_or_outages_never_lower_hidden_cost(row, hours, vulnerabilities, outage):
    base = hidden.hidden_total(inputs(**row), P)[0]
    for name, extra in (("manual_workaround_hours_per_month", hours), ("known_vulnerabilities", vulnerabilities),
                        ("outage_hours_per_year", outage)):  # fmt: skip
        assert hidden.hidden_total(inputs(**dict(row, **{name: row[name] + extra})), P)[0] >= base


@settings(max_examples=200, deadline=None)
@given(SYSTEM, st.floats(0, 20))
def test_more_years_past_support_never_lowers_the_security_loss(row, later_by):
    row = dict(row, end_of_support_known=1.0)
    earlier = dict(row, years_past_end_of_support=row["years_past_end_of_support"] - later_by)
    assert one(hidden.security_loss, **earlier) <= one(hidden.security_loss, **row)
    if earlier["years_past_end_of_support"] > 0 and row["years_past_end_of_support"] <= P["esu_years"]:
        assert one(hidden.extended_support_premium, **earlier) <= one(hidden.extended_support_premium, **row)


@settings(max_examples=200, deadline=None)
@given(SYSTEM)
def test_the_legacy_premium_never_exceeds_the_run_cost_it_sits_in(row):
    row = dict(row, licence_cost_gbp=0.0, staff_cost_gbp=0.0, hosting_cost_gbp=0.0)  # shares of run cost
    premium = hidden.legacy_premium_total(inputs(**row), P)[0]
    assert premium <= row["run_cost_gbp"] + 1e-6


# ---------------------------------------------------------------- estates


def estate(systems: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (systems, costs, interfaces) of a synthetic estate from the sample generator, as the store holds them."""
    from estate.sample import sample_frames

    return sample_frames(systems, seed)


def assessed(systems: pd.DataFrame, costs: pd.DataFrame, interfaces: pd.DataFrame, draws: int = 300):
    metrics = analyse_graph(build_graph(systems, interfaces), 16, 0).metrics
    return assess(systems, costs, interfaces, metrics, PARAMS, AS_OF, seed=0, draws=draws)


@pytest.fixture(scope="module")
def sample_assessment():
    return assessed(*estate(400))


def test_components_add_up_to_totals_everywhere(sample_assessment):
    systems = sample_assessment.systems
    premium = systems[[c.column for c in PREMIUM_COMPONENTS]].sum(axis=1)
    hidden_sum = systems[[c.column for c in HIDDEN_COMPONENTS]].sum(axis=1)
    assert np.allclose(premium, systems["legacy_premium_gbp"], rtol=1e-9)
    assert np.allclose(hidden_sum, systems["hidden_cost_gbp"], rtol=1e-9)
    assert np.allclose(systems["total_cost_of_legacy_gbp"], premium + hidden_sum, rtol=1e-9)
    departments = sample_assessment.uncertainty.departments
    observed = systems["cost_basis"].eq("observed")
    by_department = (
        systems.assign(
            observed_premium=systems["legacy_premium_gbp"].where(observed, 0.0),
            unobserved_premium=systems["legacy_premium_gbp"].where(~observed, 0.0),
        )
        .groupby("department")[["hidden_cost_gbp", "observed_premium", "unobserved_premium"]]
        .sum()
    )
    joined = departments.set_index("department").merge(
        by_department, left_index=True, right_index=True, how="left", suffixes=("", "_systems")
    )
    assert np.allclose(joined["hidden_cost_gbp"], joined["hidden_cost_gbp_systems"], rtol=1e-9)
    # the premium "within reported cost" sums the observed systems; premium on imputed/assumed costs apart
    assert np.allclose(joined["legacy_premium_gbp"], joined["observed_premium"], rtol=1e-9)
    assert np.allclose(joined["legacy_premium_unobserved_gbp"], joined["unobserved_premium"], rtol=1e-9)
    assert (~observed).any() and joined["legacy_premium_unobserved_gbp"].sum() > 0
    estate_totals = sample_assessment.uncertainty.estate
    assert estate_totals["legacy_premium_gbp"] == pytest.approx(systems.loc[observed, "legacy_premium_gbp"].sum())
    reported = systems.loc[observed, "reported_cost_gbp"]
    assert (systems.loc[observed, "legacy_premium_gbp"] <= reported + 1e-6).all()  # the premium inside the ledger
    assert estate_totals["hidden_cost_gbp"] == pytest.approx(systems["hidden_cost_gbp"].sum(), rel=1e-9)
    assert estate_totals["hidden_cost_p10_gbp"] <= estate_totals["hidden_cost_gbp"] <= estate_totals[
        "hidden_cost_p90_gbp"]  # fmt: skip
    assert (systems["hidden_cost_p10_gbp"] <= systems["hidden_cost_p90_gbp"]).all()


def test_reported_cost_excludes_imputed_cost(sample_assessment):
    systems = sample_assessment.systems
    imputed = systems["cost_basis"] == "imputed"
    assert imputed.any() and systems.loc[imputed, "reported_cost_gbp"].isna().all()
    assert systems.loc[~imputed, "imputed_cost_gbp"].isna().all()
    assert np.allclose(systems.loc[imputed, "run_cost_gbp"], systems.loc[imputed, "imputed_cost_gbp"])


def test_modern_systems_carry_almost_no_hidden_cost_and_old_mainframes_a_real_one(sample_assessment):
    systems = sample_assessment.systems
    ratio = systems["hidden_cost_gbp"] / systems["run_cost_gbp"]
    modern = ~systems["legacy"].astype(bool)
    assert ratio[modern].median() < 0.05
    old = systems["platform"].eq("mainframe") & (systems["years_past_end_of_support"] > 3)
    total = systems["total_cost_of_legacy_gbp"] / systems["run_cost_gbp"]
    assert old.sum() >= 5 and 0.3 <= total[old].median() <= 10


def test_a_modern_supported_cloud_system_has_hidden_cost_below_5_percent_of_run_cost():
    systems = pd.DataFrame({
        "system_id": ["M1"], "name": ["Modern"], "department": ["D"], "platform": ["public_cloud"],
        "technology": ["Java 21"], "end_of_support": [pd.Timestamp("2031-03-31")], "go_live_year": [2022],
        "criticality": [4.0], "users": [np.nan], "outage_hours_per_year": [np.nan], "known_vulnerabilities": [np.nan],
        "manual_workaround_hours_per_month": [0.0], "support_fte": [np.nan], "transactions_per_year": [np.nan],
        "replacement_cost_estimate_gbp": [np.nan], "replacement_years": [np.nan], "cddo_risk": [None],
        "incidents_per_year": [np.nan], "business_service": [None],
    })  # fmt: skip
    costs = pd.DataFrame({"system_id": ["M1"], "financial_year": ["2024-25"], "category": ["hosting"],
                          "amount_gbp": [200_000.0]})  # fmt: skip
    interfaces = pd.DataFrame(columns=["interface_id", "source_system_id", "target_system_id", "kind"])
    row = assessed(systems, costs, interfaces).systems.iloc[0]
    assert row["hidden_cost_gbp"] < 0.05 * row["run_cost_gbp"] and row["legacy_premium_gbp"] == 0


def test_duplicating_an_estate_doubles_its_cost_of_legacy_not_quadruples_it():
    systems, costs, interfaces = estate(200, seed=5)
    copy = lambda frame, columns: frame.assign(**{c: frame[c].astype(str) + "-copy" for c in columns})  # noqa: E731
    doubled = (
        pd.concat([systems, copy(systems, ["system_id"])], ignore_index=True),
        pd.concat([costs, copy(costs, ["system_id"])], ignore_index=True),
        pd.concat([interfaces, copy(interfaces, ["interface_id", "source_system_id", "target_system_id"])],
                  ignore_index=True),
    )  # fmt: skip
    one_copy, two_copies = assessed(systems, costs, interfaces, 1500), assessed(*doubled, 1500)  # blocking: 0/1 draws
    for column in ("hidden_cost_gbp", "legacy_premium_gbp", "blocking_gbp"):
        assert two_copies.systems[column].sum() == pytest.approx(2 * one_copy.systems[column].sum(), rel=0.05)


def test_the_hidden_to_reported_ratio_does_not_grow_with_the_estate():
    ratios = []
    for size in (400, 4000):
        result = assessed(*estate(size, seed=11), draws=100).systems
        ratios.append(result["hidden_cost_gbp"].sum() / result["run_cost_gbp"].sum())
    assert ratios[1] == pytest.approx(ratios[0], rel=0.5)


def test_unknown_inputs_widen_the_interval_and_never_read_as_zero():
    systems, costs, interfaces = estate(60, seed=2)
    legacy_prior = {column: PARAMS.values[pair[0]].mean for column, pair in PRIORS.items()}
    known = systems.assign(platform="mainframe", technology="COBOL", **legacy_prior)
    unknown = known.assign(**{column: np.nan for column in PRIORS})
    with_facts, without = assessed(known, costs, interfaces), assessed(unknown, costs, interfaces)
    width = lambda frame: (frame["hidden_cost_p90_gbp"] - frame["hidden_cost_p10_gbp"]).sum()  # noqa: E731
    assert width(without.systems) > width(with_facts.systems)
    assert (without.systems["hidden_cost_gbp"] > 0).all()
    assert without.systems["hidden_cost_gbp"].sum() == pytest.approx(with_facts.systems["hidden_cost_gbp"].sum(),
                                                                     rel=0.5)  # fmt: skip
    assert without.coverage.set_index("input").loc["users", "share_of_systems"] == 0
    assert (without.systems["assumed_share"] > 0).all()


def test_a_component_far_above_run_cost_is_listed_as_an_outlier(sample_assessment):
    systems = sample_assessment.systems
    limit = PARAMS["outlier_multiple"] * systems["run_cost_gbp"]
    for component in COMPONENTS:
        above = systems[component.column] > limit
        assert systems.loc[above, "outliers"].str.contains(component.column).all()


def test_calibration_sets_the_estate_beside_the_published_anchors(sample_assessment):
    table = sample_assessment.calibration.set_index("anchor")
    share = table.loc["legacy share of systems"]
    assert share["published"] == 0.28 and abs(share["estate"] - 0.28) < 0.08  # the sample is shaped on it
    assert table.loc["legacy share of run cost", "estate"] == pytest.approx(0.5, abs=0.2)
    assert table["source"].str.len().gt(20).all()


# ---------------------------------------------------------------- imputation


def costed_frame(n: int, seed: int = 0, noise: float = 0.2) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "platform": rng.choice(["mainframe", "saas", "on_premises"], n),
            "department": rng.choice(["A", "B"], n),
            "technology": rng.choice(["COBOL", "Java"], n),
            "users": rng.integers(10, 100_000, n).astype(float),
            "support_fte": rng.uniform(0.5, 10, n),
            "criticality": rng.integers(1, 6, n).astype(float),
            "age_years": rng.integers(1, 40, n).astype(float),
            "transactions_per_year": rng.integers(1000, 10**7, n).astype(float),
        }
    )
    cost = 20_000 * frame["users"] ** 0.4 * np.where(frame["platform"] == "mainframe", 3, 1)
    return frame, pd.Series(cost * np.exp(rng.normal(0, noise, n)))


def test_imputed_totals_are_unbiased_and_measured_on_held_out_rows():
    frame, cost = costed_frame(600, noise=0.5)
    missing = cost.copy()
    missing.iloc[:200] = np.nan
    result = impute_costs(frame, missing, random_state=0)
    assert result.imputed and list(result.predicted_gbp.index) == list(range(200))
    assert result.smearing_factor > 1.0  # log-scale noise: the plain back-transform would be low
    expected = (costed_frame(600, noise=0.0)[1].iloc[:200] * np.exp(0.5**2 / 2)).sum()  # E[cost] under the noise
    plain = (result.predicted_gbp / result.smearing_factor).sum()
    assert abs(result.predicted_gbp.sum() / expected - 1) < 0.1 < abs(plain / expected - 1)
    assert 0.7 <= result.interval_coverage <= 0.9 and result.cv_mdape < MAX_CV_MDAPE
    assert (result.low_gbp <= result.high_gbp).all() and (result.sigma > 0).all()


def test_repeated_rows_cannot_leak_between_folds():
    # an estate listed twice (the same systems, attributes and costs): the cross-validated error is what it was,
    # not halved by each copy predicting its twin, and the imputed costs do not move
    frame, cost = costed_frame(300, noise=0.5)
    missing = cost.copy()
    missing.iloc[:60] = np.nan
    once = impute_costs(frame, missing, random_state=0)
    twice = impute_costs(pd.concat([frame, frame], ignore_index=True), pd.concat([missing, missing], ignore_index=True),
                         random_state=0)  # fmt: skip
    assert twice.cv_mdape == pytest.approx(once.cv_mdape) and twice.interval_coverage == once.interval_coverage
    assert twice.training_rows == once.training_rows  # a system listed twice is one piece of evidence
    assert np.allclose(twice.predicted_gbp.iloc[:60].to_numpy(), once.predicted_gbp.to_numpy())
    assert np.allclose(twice.predicted_gbp.iloc[60:].to_numpy(), once.predicted_gbp.to_numpy())


def test_too_few_training_rows_means_unknown_not_imputed():
    frame, cost = costed_frame(MIN_TRAINING_ROWS + 2)
    cost.iloc[:5] = np.nan
    result = impute_costs(frame, cost)
    assert not result.imputed and result.predicted_gbp.empty and "at least 30" in result.message


def test_a_model_that_cannot_predict_is_not_used():
    frame, _ = costed_frame(300)
    noise = pd.Series(np.exp(np.random.default_rng(9).normal(12, 2.0, 300)))  # unrelated to every feature
    noise.iloc[:30] = np.nan
    result = impute_costs(frame, noise)
    assert not result.imputed and "median error" in result.message


def test_a_reported_zero_is_a_value_not_missing():
    frame, cost = costed_frame(100)
    cost.iloc[0] = 0.0
    cost.iloc[1] = np.nan
    result = impute_costs(frame, cost)
    assert list(result.predicted_gbp.index) == [1]


def test_the_inputs_frame_flags_assumed_values_and_fills_them_with_the_prior_mean():
    systems, costs, interfaces = estate(30, seed=4)
    systems["users"] = np.nan
    metrics = analyse_graph(build_graph(systems, interfaces), 16, 0).metrics
    means = {name: PARAMS.values[name].mean for pair in PRIORS.values() for name in pair}
    frame = build_inputs(systems, costs, interfaces, metrics, (), AS_OF, means, lists=PARAMS.lists,
                         central=PARAMS.point())  # fmt: skip
    assert frame["users_assumed"].all()
    legacy = frame["legacy"].to_numpy(np.float64)  # P(legacy): the prior mixes the two by it
    expected = legacy * means["prior_users_legacy"] + (1 - legacy) * means["prior_users_modern"]
    assert np.allclose(frame["users"], expected)
    assert not np.isnan(np.stack(list(input_arrays(frame.assign(run_cost_gbp=1.0)).values()))).any()


def test_analyse_json_carries_the_headline_coverage_and_calibration(tmp_path):
    import json

    from tests.conftest import run_estate

    db = tmp_path / "e.duckdb"
    assert run_estate("import", str(ROOT / "sample_inventory.xlsx"), "--db", str(db)).returncode == 0
    result = run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "100", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    figures = summary["headline"]
    for key in ("reported_cost_gbp", "imputed_cost_gbp", "legacy_premium_gbp", "hidden_cost_gbp",
                "hidden_cost_p10_gbp", "hidden_cost_p90_gbp", "assumed_share"):  # fmt: skip
        assert isinstance(figures[key], float), key
    assert figures["hidden_cost_p10_gbp"] <= figures["hidden_cost_gbp"] <= figures["hidden_cost_p90_gbp"]
    assert set(summary["coverage"]) >= {"run_cost_gbp", "end_of_support", *PRIORS}
    assert all(0 <= share <= 1 for share in summary["coverage"].values())
    anchors = {row["anchor"]: row for row in summary["calibration"]}
    assert anchors["legacy share of systems"]["published"] == 0.28
    assert all({"anchor", "source", "published", "estate"} <= set(row) for row in summary["calibration"])
    ranked = json.loads(run_estate("rank", "--db", str(db), "--top", "400", "--all", "--format", "json").stdout)
    assert sum(r["hidden_cost_gbp"] for r in ranked) == pytest.approx(figures["hidden_cost_gbp"], rel=1e-9)
    assert sum(r["reported_cost_gbp"] or 0 for r in ranked) == pytest.approx(figures["reported_cost_gbp"], rel=1e-9)
    assert all(r["imputed_cost_gbp"] is None for r in ranked if r["reported_cost_gbp"] is not None)


def test_the_monte_carlo_is_reproducible_and_does_not_depend_on_chunking(monkeypatch):
    import costing.uncertainty as uncertainty

    frames = estate(120, seed=8)
    first, again = assessed(*frames, 200), assessed(*frames, 200)
    columns = ["hidden_cost_gbp", "legacy_premium_gbp", "hidden_cost_p10_gbp", "hidden_cost_p90_gbp"]
    assert first.systems[columns].equals(again.systems[columns])
    monkeypatch.setattr(uncertainty, "SYSTEMS_PER_CHUNK", 7)
    chunked = assessed(*frames, 200)
    assert np.array_equal(first.systems[columns].to_numpy(), chunked.systems[columns].to_numpy())
    assert first.uncertainty.estate["hidden_cost_gbp"] == pytest.approx(chunked.uncertainty.estate["hidden_cost_gbp"])


def test_the_tornado_is_centred_on_the_headline(sample_assessment):
    from costing.sensitivity import tornado

    headline = sample_assessment.uncertainty.estate["hidden_cost_gbp"]
    inputs = sample_assessment.systems  # the assessed frame holds every model input
    centred, plain = tornado(inputs, PARAMS, centre=headline), tornado(inputs, PARAMS)
    assert (centred["central_gbp"] == headline).all()
    assert np.allclose(centred["swing_gbp"], plain["swing_gbp"])  # the same swings, moved onto the headline
    assert np.allclose(centred["estate_at_low_gbp"] - headline, plain["estate_at_low_gbp"] - plain["central_gbp"])
