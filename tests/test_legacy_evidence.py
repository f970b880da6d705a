"""Evidence from the inventories departments keep: legacy status as a probability, never "unknown = modern".

Real inventories are read in place from ../shared/real-inventories (skipped when the folder is absent), each
with its built-in profile; a ServiceNow Business Application export is made here in the shape the form exports.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from app.cli import app
from costing.legacy import ASSUMED, EVIDENCE, OBSERVED_LEGACY, OBSERVED_MODERN, legacy_evidence, legacy_probability
from estate.mapping import MappingProfile, builtin_profile
from estate.store import import_files
from pipeline.settings import load_parameters
from tests.conftest import write_xlsx

REAL = Path(__file__).parents[2] / "shared" / "real-inventories"
needs_real = pytest.mark.skipif(not REAL.exists(), reason="the real inventories in ../shared are not here")
PARAMETERS = load_parameters()
POINT = PARAMETERS.point()
LISTS = dict(PARAMETERS.lists)
PRIOR = PARAMETERS.values["prior_legacy_share"]


def _strict(text: str) -> dict:
    """Parse JSON as a strict reader does: NaN or Infinity is an error."""

    def refuse(token: str) -> None:
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def _analyse(db: Path, draws: int = 120) -> dict:
    result = CliRunner().invoke(app, ["analyse", "--db", str(db), "--draws", str(draws), "--json"])
    assert result.exit_code == 0, result.output
    return _strict(result.stdout)


# ---------------------------------------------------------------- the evidence model


def _frame(**columns) -> pd.DataFrame:
    base = {
        "system_id": ["S"], "name": ["Case system"], "technology": [None], "platform": [None], "vendor": [None],
        "go_live_year": [np.nan], "years_past_end_of_support": [0.0], "end_of_support_known": [False],
        "scarce_skills": [False], "mainframe": [False], "cddo_risk": [None], "cio_rating": [np.nan],
        "lifecycle_status": [None], "description": [None], "business_service": [None],
    }  # fmt: skip
    base.update({k: [v] for k, v in columns.items()})
    return pd.DataFrame(base)


def _probability(**columns) -> tuple[str, float]:
    evidence = legacy_evidence(_frame(**columns), LISTS, 2026)
    status = evidence["legacy_status"].to_numpy(object)
    return status[0], float(legacy_probability(status, evidence[list(EVIDENCE)].to_numpy(np.float64), POINT)[0])


def test_unknown_is_neither_modern_nor_zero_it_is_the_published_prior():
    status, probability = _probability()
    assert status == ASSUMED
    assert probability == pytest.approx(PRIOR.value)  # SDGR 2025: 28% of central government systems
    assert PRIOR.low == pytest.approx(0.10) and PRIOR.high == pytest.approx(0.70)


@pytest.mark.parametrize(
    ("columns", "status"),
    [
        ({"years_past_end_of_support": 2.0, "end_of_support_known": True}, OBSERVED_LEGACY),
        ({"scarce_skills": True}, OBSERVED_LEGACY),
        ({"mainframe": True}, OBSERVED_LEGACY),
        ({"lifecycle_status": "endOfLife"}, OBSERVED_LEGACY),
        ({"technology": "Python 3.12", "platform": "public_cloud", "years_past_end_of_support": -2.0,
          "end_of_support_known": True}, OBSERVED_MODERN),
        ({"technology": "Workday", "platform": "saas"}, OBSERVED_MODERN),
        ({"platform": "saas"}, ASSUMED),  # SaaS of an unknown product: evidence, not proof
        ({"technology": "Python 3.12", "years_past_end_of_support": -2.0, "end_of_support_known": True}, ASSUMED),
    ],
)  # fmt: skip
def test_facts_settle_the_status_and_anything_less_is_assumed(columns, status):
    assert _probability(**columns)[0] == status


EVIDENCE_STEPS = st.fixed_dictionaries({
    "go_live_year": st.one_of(st.just(np.nan), st.integers(1970, 2026).map(float)),
    "platform": st.sampled_from([None, "on_premises", "private_cloud", "public_cloud", "saas"]),
    "cio_rating": st.sampled_from([np.nan, 1.0, 3.0, 5.0]),
    "lifecycle_status": st.sampled_from([None, "active", "plan", "phaseOut"]),
    "description": st.sampled_from([None, "case management", "serverless API"]),
})  # fmt: skip
LEGACY_STEPS = [
    {"description": "legacy green screen front end"},
    {"cddo_risk": "red"},
    {"lifecycle_status": "phaseOut"},
    {"platform": "on_premises"},
]


@settings(max_examples=150, deadline=None)
@given(EVIDENCE_STEPS, st.sampled_from(LEGACY_STEPS), st.integers(1, 30))
def test_each_piece_of_legacy_evidence_raises_the_probability_and_none_makes_it_modern(base, step, older):
    status, before = _probability(**base)
    assert status != OBSERVED_MODERN and before > 0.0  # no fact says modern: never read as modern
    _, after = _probability(**{**base, **step})
    if all(base.get(k) is None or base.get(k) == v for k, v in step.items()):
        assert after >= before - 1e-12
    if base["go_live_year"] == base["go_live_year"]:  # known age: older is never less likely legacy
        _, aged = _probability(**{**base, "go_live_year": base["go_live_year"] - older})
        assert aged >= before - 1e-12


def test_a_probability_is_drawn_per_system_in_the_monte_carlo_and_its_mean_is_the_expected_status():
    from costing.legacy import evidence_matrix

    frame = pd.concat([_frame(), _frame(platform="on_premises", cddo_risk="red")], ignore_index=True)
    evidence = legacy_evidence(frame, LISTS, 2026)
    draws = PARAMETERS.draws(4000, np.random.default_rng(1))
    probability = legacy_probability(evidence["legacy_status"].to_numpy(object), evidence_matrix(evidence), draws)
    assert probability.shape == (2, 4000)
    assert probability[1].mean() > probability[0].mean() > 0.1
    assert probability[0].min() >= 0.10 and probability[0].max() <= 0.70 + 1e-9  # the prior's own range


def test_a_ranking_is_determined_only_when_its_top_stands_out_from_chance():
    from costing.ranking import separation

    rng = np.random.default_rng(0)
    alike = rng.normal(0.0, 1.0, (10, 500))  # ten systems the evidence cannot tell apart
    short = separation(alike, alike.mean(axis=1), top_n=20)
    assert short["top_n"] == 5 and short["chance"] == 0.5  # a short list is not stable because all fit in a top 20
    assert short["stability"] < 0.65
    apart = rng.normal(np.arange(10.0)[:, None] * 3.0, 1.0, (10, 500))  # clearly ordered
    separated = separation(apart, apart.mean(axis=1), top_n=20)
    assert separated["stability"] > 0.95
    assert separation(np.empty((0, 5)), np.empty(0), top_n=20) == {"top_n": 0, "stability": 0.0, "chance": 1.0}


# ---------------------------------------------------------------- a ServiceNow Business Application export


SERVICENOW_HEADER = [
    "Number", "Name", "Application type", "Install type", "Platform", "Department", "Business Unit",
    "Technology stack", "Business criticality", "Installed", "User base", "Planned disposition",
]  # fmt: skip


def _servicenow(tmp_path: Path) -> Path:
    rows = [SERVICENOW_HEADER]
    legacy = [
        ("Benefit payments", "On-Premises", "IBM z/OS", "COBOL; CICS; DB2"),
        ("Case records", "Hybrid", "Windows", "Oracle Forms 6i"),
        ("Pensions ledger", "Third Party Hosted", "IBM z/OS", "PL/I; IMS"),
    ]
    modern = [("Staff portal", "Cloud", "Linux", "Python 3.12"), ("HR", "SaaS", "", "Workday")]
    number = 0
    for group in (legacy, modern):
        for name, install, platform, stack in group:
            number += 1
            rows.append([f"APM{number:04d}", name, "Business application", install, platform, "Home Office",
                         "Digital", stack, "1 - most critical", "2001-05-01 09:00:00", 20000, "Retain"])  # fmt: skip
    return write_xlsx(tmp_path / "cmdb_ci_business_app.xlsx", {"Page 1": rows})


def test_a_servicenow_export_imports_with_its_profile_and_ranks_its_legacy_above_its_modern(tmp_path):
    db = tmp_path / "e.duckdb"
    summaries, issues = import_files(db, [_servicenow(tmp_path)], builtin_profile("servicenow"))
    assert summaries[0].rows["systems"] == 5
    assert not [i for i in issues if i.code.value == "duplicate_column"]  # Department wins over Business Unit
    import duckdb

    with duckdb.connect(str(db), read_only=True) as connection:
        platforms = dict(connection.execute("SELECT name, platform FROM systems").fetchall())
        departments = {r[0] for r in connection.execute("SELECT department FROM systems").fetchall()}
    assert platforms == {"Benefit payments": "on_premises", "Case records": "on_premises",
                         "Pensions ledger": "private_cloud", "Staff portal": "public_cloud", "HR": "saas"}  # fmt: skip
    assert departments == {"Home Office"}
    ranking = _analyse(db)["ranking"]
    assert ranking["top_n"] == 1 and ranking["chance"] == pytest.approx(1 / 3)  # three candidates: N is one
    rank = CliRunner().invoke(app, ["rank", "--db", str(db), "--all", "--format", "json"])
    rows = {r["name"]: r for r in _strict(rank.stdout)}
    for name in ("Benefit payments", "Case records", "Pensions ledger"):
        assert rows[name]["legacy_status"] == "observed_legacy" and rows[name]["candidate"]
    for name in ("Staff portal", "HR"):
        assert rows[name]["legacy_status"] == "observed_modern"
        assert all(rows[name]["rank"] > rows[old]["rank"] for old in ("Benefit payments", "Case records"))


def test_a_stated_date_the_catalogue_contradicts_is_flagged_and_the_catalogue_used(tmp_path):
    path = write_xlsx(tmp_path / "estate.xlsx", {"Systems": [
        ["System ID", "Name", "Department", "Technology", "End of support"],
        ["A", "Old file server", "HQ", "Windows Server 2008 R2", "31/03/2029"],
        ["B", "Fine", "HQ", "Windows Server 2022", "14/10/2031"],
    ]})  # fmt: skip
    db = tmp_path / "e.duckdb"
    _, issues = import_files(db, [path])
    conflicts = [i for i in issues if i.code.value == "end_of_support_conflict"]
    assert [(i.row, i.column) for i in conflicts] == [(2, "E")]
    assert "31/03/2029" in conflicts[0].message and "14/01/2020" in conflicts[0].message


def test_year_less_spending_is_flagged_and_a_stated_year_is_used(tmp_path):
    rows = [["System ID", "Name", "Department", "Annual cost (£)"], ["A", "One", "HQ", 1000], ["B", "Two", "HQ", 0]]
    path = write_xlsx(tmp_path / "estate.xlsx", {"Systems": rows, "Sheet2": []})  # an empty leftover sheet
    _, issues = import_files(tmp_path / "a.duckdb", [path])
    codes = [(i.code.value, i.row) for i in issues]
    assert ("financial_year_assumed", 1) in codes and ("no_spend_reported", 3) in codes
    investments = [["UII", "Bureau", "Investment Title", "Total FY2021 Spending ($M)"], ["1", "B", "T", "$1.5"]]
    dashboard = write_xlsx(tmp_path / "agency.xlsx", {"Investments": investments, "Sheet2": []})
    summaries, issues = import_files(tmp_path / "c.duckdb", [dashboard], builtin_profile("itdashboard"))
    assert summaries[0].rows["systems"] == 1  # the empty leftover sheet is skipped with a warning, never an error
    assert [(i.code.value, i.sheet) for i in issues if i.code.value in ("empty_sheet", "empty_file")] == [
        ("empty_sheet", "Sheet2")
    ]
    stated = MappingProfile().with_financial_year("2021/22")
    _, issues = import_files(tmp_path / "b.duckdb", [path], stated)
    assert "financial_year_assumed" not in {i.code.value for i in issues}
    import duckdb

    with duckdb.connect(str(tmp_path / "b.duckdb"), read_only=True) as connection:
        assert connection.execute("SELECT DISTINCT financial_year FROM costs").fetchall() == [("2021-22",)]


# ---------------------------------------------------------------- the real inventories


REAL_CASES = [
    ("us-itdashboard-usda", ["original/Individual_Investments.xlsx"], "itdashboard"),
    ("us-itdashboard-dod", ["original/Department_of_Defense.xlsx"], "itdashboard"),
    ("us-itdashboard-nsf-multisheet", ["original/Agencies.xlsx"], "itdashboard"),
    ("archimetal", ["original/ArchiMetal.xml"], "archi"),
    ("archisurance", ["original/archisurance.xml"], "archi"),
    ("moj-modernisation-platform", ["converted/moj_modernisation_platform_applications.csv"], None),
]


@needs_real
@pytest.mark.parametrize(("folder", "files", "profile"), REAL_CASES, ids=[c[0] for c in REAL_CASES])
def test_every_real_inventory_speaks_legacy_from_evidence_or_the_prior_flagged_assumed(tmp_path, folder, files,
                                                                                      profile):  # fmt: skip
    db = tmp_path / "e.duckdb"
    chosen = (builtin_profile(profile) if profile else
              MappingProfile.load(REAL / folder / "estate-run" / "mapping.toml"))  # fmt: skip
    import_files(db, [REAL / folder / f for f in files], chosen)
    summary = _analyse(db)
    figures = summary["headline"]
    assert 0.10 <= figures["legacy_share"] <= 0.70
    assert figures["legacy_status_observed"] < 1.0 and summary["coverage"]["legacy_status"] < 1.0  # assumed
    assert figures["hidden_cost_gbp"] > 0
    if figures["reported_cost_gbp"] > 0:
        assert figures["legacy_premium_gbp"] > 0
        assert figures["hidden_cost_gbp"] >= 0.005 * figures["reported_cost_gbp"]
    else:  # no cost reported: no premium "within reported cost", the premium on assumed costs shown apart
        assert figures["legacy_premium_gbp"] == 0 and figures["legacy_premium_unobserved_gbp"] > 0
    if folder == "moj-modernisation-platform":  # nothing in the register tells its systems apart
        assert summary["ranking"]["determined"] is False
        assert summary["ranking"]["facts"] and "collect" in summary["ranking"]["reason"]


@needs_real
def test_the_headerless_dod_export_says_its_year_is_assumed_and_lists_its_zero_spend(tmp_path):
    source = REAL / "us-itdashboard-dod" / "original" / "Department_of_Defense.xlsx"
    _, issues = import_files(tmp_path / "e.duckdb", [source], builtin_profile("itdashboard"))
    codes = [i.code.value for i in issues]
    assert codes.count("financial_year_assumed") == 1 and codes.count("no_spend_reported") == 78
    _, issues = import_files(tmp_path / "f.duckdb", [source], builtin_profile("itdashboard").with_financial_year(
        "2021-22"))  # fmt: skip
    assert "financial_year_assumed" not in {i.code.value for i in issues}
