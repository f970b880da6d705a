"""The Streamlit app: every page through AppTest on a small analysed estate, and one real browser."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from app.ui import NOTHING_LOADED, gbp_m, plain
from estate.sample import write_sample
from estate.store import import_files
from estate.uploads import MAX_UPLOAD_BYTES, UploadError, display_name, stage_uploads
from pipeline.run import analyse
from pipeline.settings import AnalysisSettings, load_parameters
from tests.browser import CHROMIUM_FLAGS, running_app
from tests.conftest import ESTATE, analysed_sample, run_estate, snapshot

APP = Path(__file__).parents[1] / "app"
PAGES = {
    "Overview": APP / "Overview.py",
    "Candidates": APP / "pages" / "1_Candidates.py",
    "System": APP / "pages" / "2_System.py",
    "Dependencies": APP / "pages" / "3_Dependencies.py",
    "Roadmap": APP / "pages" / "4_Roadmap.py",
    "Assumptions": APP / "pages" / "5_Assumptions.py",
    "Data quality": APP / "pages" / "6_Data_quality.py",
    "Import": APP / "pages" / "7_Import.py",
}
AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def estate_db(tmp_path_factory) -> Path:
    """A small analysed estate: the synthetic sample with 80 systems."""
    return analysed_sample(tmp_path_factory.mktemp("app"), systems=80, seed=7, draws=200, as_of=AS_OF)


def open_page(name: str, db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("ESTATE_DB", str(db))
    return AppTest.from_file(str(PAGES[name]), default_timeout=120).run()


def assessment(db: Path):
    import duckdb

    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.sql("SELECT * FROM system_assessment ORDER BY rank").df()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_without_exception(name, estate_db, monkeypatch):
    at = open_page(name, estate_db, monkeypatch)
    assert not at.exception
    assert at.title[0].value == name  # the sidebar name is the page title


@pytest.mark.parametrize("name", [n for n in PAGES if n != "Import"])
def test_every_page_says_what_to_do_when_nothing_is_loaded(name, tmp_path, monkeypatch):
    at = open_page(name, tmp_path / "none.duckdb", monkeypatch)
    assert not at.exception
    assert [i.value for i in at.info] == [NOTHING_LOADED]
    assert not (tmp_path / "none.duckdb").exists()  # viewing never creates a database


def test_pages_needing_analysis_say_so_on_an_imported_but_unanalysed_estate(tmp_path, monkeypatch):
    workbook = tmp_path / "sample.xlsx"
    write_sample(workbook, systems=30, seed=1)
    import_files(tmp_path / "e.duckdb", [workbook])
    for name in ("Overview", "Candidates", "Roadmap", "Assumptions"):
        at = open_page(name, tmp_path / "e.duckdb", monkeypatch)
        assert not at.exception
        assert "estate analyse" in at.info[0].value
    at = open_page("System", tmp_path / "e.duckdb", monkeypatch)  # attributes and neighbours still show
    assert not at.exception and "run `estate analyse`" in at.info[0].value


def test_overview_headline_is_the_stored_estate_total(estate_db, monkeypatch):
    import duckdb

    with duckdb.connect(str(estate_db), read_only=True) as connection:
        p10, expected, p90 = connection.execute(
            "SELECT estate_hidden_cost_p10_gbp, estate_hidden_cost_gbp, estate_hidden_cost_p90_gbp FROM cost_model_runs"
        ).fetchone()
        reported = connection.execute("SELECT sum(reported_cost_gbp) FROM system_assessment").fetchone()[0]
        hidden_sum = connection.execute("SELECT sum(hidden_cost_gbp) FROM system_assessment").fetchone()[0]
    assert hidden_sum == pytest.approx(expected, rel=1e-9)  # systems add up to the estate
    at = open_page("Overview", estate_db, monkeypatch)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Hidden annual cost (expected)"] == gbp_m(expected)
    assert metrics["Reported annual cost"] == gbp_m(reported)
    assert metrics["Systems"] == "80"
    assert any(c.value.startswith(f"P10–P90 range: {gbp_m(p10)} – {gbp_m(p90)}") for c in at.caption)
    table = at.dataframe[0].value.set_index("department")
    total, rows = table.loc["All departments"], table.drop(index="All departments")
    assert rows["systems"].sum() == total["systems"] == 80  # departments add up to the totals row
    for column in ("reported_cost_gbp", "imputed_cost_gbp", "hidden_cost_gbp"):
        assert rows[column].sum() == pytest.approx(total[column], rel=1e-9)
    assert total["hidden_cost_gbp"] * 1e6 == pytest.approx(expected, rel=1e-9)
    assert total["hidden_cost_p10_gbp"] * 1e6 == pytest.approx(p10, rel=1e-9)  # the estate's own percentile
    assert at.radio(key="heat_by").options == ["TIME quadrant", "Risk band"]
    at.radio(key="heat_by").set_value("Risk band").run()
    assert not at.exception
    assert any(s.value.startswith("Outliers (") for s in at.subheader)


@pytest.mark.parametrize("page", ["Overview", "Candidates", "Roadmap", "Data quality"])
def test_every_page_can_find_a_system_and_open_its_page(estate_db, monkeypatch, page):
    at = open_page("Overview", estate_db, monkeypatch)  # the app as served: Overview.py with its pages/
    if page != "Overview":
        at.switch_page(str(PAGES[page].relative_to(APP))).run()
    search = at.selectbox(key="find_system")
    system_id = search.options[3].split()[0]
    search.set_value(system_id).run()
    assert not at.exception
    assert at.query_params["system"] in (system_id, [system_id])
    assert at.header[0].value.startswith(f"{plain(system_id)}: ")  # the System page, opened on that system


def test_candidates_shows_the_stored_ranking_of_candidates_only(estate_db, monkeypatch):
    at = open_page("Candidates", estate_db, monkeypatch)
    assert len(at.slider) == 0 and {s.label for s in at.multiselect} >= {"Department", "Platform", "Wave"}
    shown = at.dataframe[0].value
    stored = assessment(estate_db)
    candidates = stored[stored["candidate"]]
    assert shown["system_id"].tolist() == candidates["system_id"].tolist()
    assert shown["top_n_stability"].tolist() == pytest.approx(candidates["top_n_stability"].tolist())
    assert not stored.loc[stored["candidate"], "suggested_action"].eq("retain").any()
    at.checkbox(key="show_retain").check().run()
    assert at.dataframe[0].value["system_id"].tolist() == stored["system_id"].tolist()
    for method in ("cddo", "gao", "time"):
        at.radio(key="order").set_value(method).run()
        assert not at.exception and len(at.dataframe[0].value) == len(stored)


def test_candidates_put_decisions_first_in_readable_words_with_a_link_to_each_system(estate_db, monkeypatch):
    at = open_page("Candidates", estate_db, monkeypatch)
    shown = at.dataframe[0].value
    assert shown.columns.tolist() == ["rank", "system_id", "name", "page", "worth_replacing", "suggested_action",
                                      "npv_gbp", "probability_npv_positive", "hidden_cost_gbp", "risk_rag",
                                      "top_n_stability"]  # fmt: skip
    assert set(shown["suggested_action"]) <= {"Retire", "Rehost", "Replatform", "Refactor", "Repurchase"}
    assert (shown["worth_replacing"] == (shown["npv_gbp"] > 0)).all()  # worth replacing is the NPV's sign
    assert shown["worth_replacing"].any() and not shown["worth_replacing"].all()  # the sample has both kinds
    assert set(shown["risk_rag"]) <= {"Red", "Amber", "Green"}
    assert (shown["page"] == "System?system=" + shown["system_id"]).all()
    paying = int((shown["npv_gbp"] > 0).sum())
    assert any(f"{paying:,} of {len(shown):,} candidates are worth replacing" in m.value for m in at.markdown)
    assert any("Order shown:** Expected NPV per £ of capex" in m.value for m in at.markdown)
    at.checkbox(key="every_column").check().run()
    wide = at.dataframe[0].value
    assert set(wide["platform"]) <= {"Mainframe", "On premises", "Private cloud", "Public cloud", "SaaS"}
    at.checkbox(key="only_paying").check().run()
    assert at.dataframe[0].value["worth_replacing"].all() and len(at.dataframe[0].value) == paying
    at.sidebar.radio(key="order").set_value("cddo").run()
    assert any("Order shown:** CDDO Legacy IT Risk Assessment Framework" in m.value for m in at.markdown)


def test_candidates_csv_has_labels_and_rounded_money_never_codes(estate_db):
    import pandas as pd

    from pipeline.catalogue import COLUMNS
    from reporting.text import csv_text, readable_frame
    from reporting.views import load_estate

    frame = load_estate(estate_db).assessment
    text = csv_text(readable_frame(frame[["system_id", "suggested_action", "npv_gbp", "probability_npv_positive"]],
                                   ["suggested_action"]))  # fmt: skip
    read = pd.read_csv(io.StringIO(text))
    assert read.columns.tolist() == [COLUMNS[c].header for c in ("system_id", "suggested_action", "npv_gbp",
                                                                 "probability_npv_positive")]  # fmt: skip
    assert not set(read[COLUMNS["suggested_action"].header]) & {"retain", "replatform", "retire"}
    assert (read[COLUMNS["npv_gbp"].header] == read[COLUMNS["npv_gbp"].header].round(0)).all()
    assert all(len(str(v).split(".")[-1]) <= 4 for v in read[COLUMNS["probability_npv_positive"].header])


def test_candidates_view_is_kept_in_the_url_and_restored_from_it(estate_db, monkeypatch):
    at = open_page("Candidates", estate_db, monkeypatch)
    department = sorted(assessment(estate_db)["department"].unique())[0]
    at.radio(key="order").set_value("weighted").run()
    at.slider(key="weight_risk").set_value(0.9).run()
    at.multiselect(key="filter_departments").set_value([department]).run()
    at.checkbox(key="every_column").check().run()
    shared = dict(at.query_params)
    assert shared["order"] == "weighted" and shared["weight_risk"] == "0.9"
    assert shared["departments"] == department
    monkeypatch.setenv("ESTATE_DB", str(estate_db))
    opened = AppTest.from_file(str(PAGES["Candidates"]), default_timeout=120)
    for key, value in shared.items():
        opened.query_params[key] = value
    opened.run()
    assert not opened.exception
    assert opened.radio(key="order").value == "weighted" and opened.slider(key="weight_risk").value == 0.9
    opened.checkbox(key="every_column").check().run()
    assert set(opened.dataframe[0].value["department"]) == {department}
    assert opened.dataframe[0].value["system_id"].tolist() == at.dataframe[0].value["system_id"].tolist()


def test_moving_weight_sliders_reorders_the_ranking(estate_db, monkeypatch):
    stored = assessment(estate_db)
    stored = stored[stored["candidate"]]
    by_cost = stored.sort_values(["total_cost_of_legacy_gbp", "system_id"], ascending=[False, True])
    by_cost = by_cost["system_id"].iloc[0]
    by_blast = stored.sort_values(["blast_radius", "system_id"], ascending=[False, True])["system_id"].iloc[0]
    assert by_cost != by_blast  # the fixture is chosen so the two criteria disagree at the top
    at = open_page("Candidates", estate_db, monkeypatch)
    at.radio(key="order").set_value("weighted").run()
    assert len(at.slider) == 5
    for key in ("weight_risk", "weight_blast_radius", "weight_npv", "weight_ease"):
        at.slider(key=key).set_value(0.0)
    at.slider(key="weight_hidden_cost").set_value(1.0).run()
    assert at.dataframe[0].value["system_id"].iloc[0] == by_cost
    at.slider(key="weight_hidden_cost").set_value(0.0)
    at.slider(key="weight_blast_radius").set_value(1.0).run()
    assert not at.exception
    assert at.dataframe[0].value["system_id"].iloc[0] == by_blast
    at.slider(key="weight_blast_radius").set_value(0.0).run()
    assert any("All weights are zero" in w.value for w in at.warning)


def test_candidates_filters_and_downloads(estate_db, monkeypatch):
    at = open_page("Candidates", estate_db, monkeypatch)
    at.checkbox(key="every_column").check().run()
    department = at.dataframe[0].value["department"].iloc[0]
    next(m for m in at.multiselect if m.label == "Department").set_value([department]).run()
    view = at.dataframe[0].value
    assert len(view) < 80 and set(view["department"]) == {department}
    csv = at.download_button[0].proto.label
    assert csv == "Download this view (csv)"
    at.button[0].click().run()
    assert not at.exception
    workbook_bytes = at.session_state["finance_workbook"]
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes), read_only=True)
    assert {"Assumptions", "Ranking"} <= set(book.sheetnames)


def test_finance_workbook_from_the_app_carries_the_chosen_weights(estate_db, tmp_path):
    from reporting.export import export_finance_workbook

    weights = {"weight_hidden_cost": 0.0, "weight_risk": 0.0, "weight_blast_radius": 1.0, "weight_npv": 0.0,
               "weight_ease": 0.0}  # fmt: skip
    out = export_finance_workbook(estate_db, tmp_path / "f.xlsx", weights)
    book = openpyxl.load_workbook(out, read_only=True)
    assumptions = {row[0]: row[1] for row in book["Assumptions"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert assumptions["weight_blast_radius"] == 1.0 and assumptions["weight_hidden_cost"] == 0.0
    stored = assessment(estate_db)
    candidates = stored[stored["candidate"]]
    widest = set(candidates.loc[candidates["blast_radius"] == candidates["blast_radius"].max(), "system_id"])
    first = next(book["Ranking"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert widest & set(first)


def test_system_page_shows_provenance_costs_and_neighbours(estate_db, monkeypatch):
    import duckdb

    with duckdb.connect(str(estate_db), read_only=True) as connection:
        system_id, row = connection.execute(
            "SELECT target_system_id, count(*) FROM interfaces GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
        source_row = connection.execute("SELECT source_row FROM systems WHERE system_id = ?", [system_id]).fetchone()
    monkeypatch.setenv("ESTATE_DB", str(estate_db))
    at = AppTest.from_file(str(PAGES["System"]), default_timeout=120)
    at.query_params["system"] = system_id
    at.run()
    assert not at.exception
    assert at.selectbox[0].value == system_id
    assert f"From {plain('sample.xlsx')}, sheet Systems, row {source_row[0]}" in at.caption[1].value
    upstream = at.dataframe[1].value
    assert len(upstream) == row and f"Upstream: {row} interface(s)" in at.subheader[2].value
    attributes = at.dataframe[0].value.set_index("field")["value"]
    support = attributes.filter(like="End of support").iloc[0]
    assert support == "" or re.fullmatch(r"\d{2}/\d{2}/\d{4}", support)  # UK dates
    assert attributes["Platform"] in {"Mainframe", "On premises", "Private cloud", "Public cloud", "SaaS", ""}
    at.selectbox[0].set_value(assessment(estate_db)["system_id"].iloc[-1]).run()
    assert not at.exception and at.metric[0].value == "not a candidate"  # the last system is one to retain
    stored = assessment(estate_db)
    first = stored[stored["candidate"]].iloc[0]
    at.selectbox[0].set_value(first["system_id"]).run()
    assert at.metric[0].value == f"1 of {int(stored['candidate'].sum())}"  # the rank the Candidates page shows


def test_system_page_names_an_unknown_id_as_unknown_and_shows_no_other_system(estate_db, monkeypatch):
    monkeypatch.setenv("ESTATE_DB", str(estate_db))
    at = AppTest.from_file(str(PAGES["System"]), default_timeout=120)
    at.query_params["system"] = "UNLISTED-001"
    at.run()
    assert not at.exception
    assert any("UNLISTED" in w.value and "is unknown" in w.value for w in at.warning)
    assert at.selectbox[0].value is None and not at.metric and not at.header  # no other system in its place


def test_dependencies_neighbourhood_and_department_matrix(estate_db, monkeypatch):
    at = open_page("Dependencies", estate_db, monkeypatch)
    one_hop = len(at.dataframe[0].value)
    at.slider[0].set_value(3).run()
    assert not at.exception and len(at.dataframe[0].value) >= one_hop
    at.radio[0].set_value("Departments").run()
    assert not at.exception
    silos = at.dataframe[0].value
    assert silos["cross_department_share"].between(0, 1).all()


def test_the_neighbourhood_draws_arrows_the_way_data_flows_and_marks_placeholders(estate_db):
    from reporting.views import load_estate, neighbourhood

    data = load_estate(estate_db)
    known = set(data.systems["system_id"])
    dangling = data.interfaces[~data.interfaces["target_system_id"].isin(known)]
    system_id = dangling["source_system_id"].iloc[0] if len(dangling) else data.interfaces["source_system_id"].iloc[0]
    nodes, edges = neighbourhood(data, system_id, 1)
    assert ((edges["x"] < edges["x_arrow"]) & (edges["x_arrow"] < edges["x_target"])).all()  # source -> target
    assert (nodes["in_inventory"] == nodes["system_id"].isin(known)).all()
    assert all(label.startswith(system) for label, system in zip(nodes["label"], nodes["system_id"], strict=True))


def test_roadmap_sets_two_plans_side_by_side_in_financial_years(estate_db, monkeypatch):
    at = open_page("Roadmap", estate_db, monkeypatch)
    assert not at.exception
    assert [m.label for m in at.metric] == ["Expected value of the plan"] * 2
    at.number_input(key="a_budget").set_value(0.0).run()
    assert not at.exception
    assert "No replacement fits this budget" in " ".join(i.value for i in at.info)
    information = next(d.value for d in at.dataframe if "evppi_gbp" in d.value.columns)
    # groups above their noise floor only (the same estimate with the group's draws permuted)
    assert len(information) >= 1 and (information["evppi_gbp"] > information["noise_floor_gbp"]).all()


def test_assumptions_scenario_shows_the_effect_of_a_change(estate_db, monkeypatch):
    at = open_page("Assumptions", estate_db, monkeypatch)
    assert len(at.dataframe[0].value) == len(load_parameters().values)
    assert "Choose a parameter" in at.info[0].value
    high = load_parameters().values["loaded_hourly_cost"].high
    at.multiselect[0].set_value(["loaded_hourly_cost"]).run()
    at.number_input(key="scenario_loaded_hourly_cost").set_value(high).run()
    assert not at.exception
    totals = at.dataframe[1].value.set_index("measure")
    assert totals.loc["Hidden cost a year, expected value", "change"] > 0
    assert totals.loc["Reported cost a year", "change"] == pytest.approx(0, abs=1e-6)
    assert {"baseline_rank", "moved"} <= set(at.dataframe[2].value.columns)
    with duckdb.connect(str(estate_db), read_only=True) as connection:
        stored = connection.execute(
            "SELECT estate_hidden_cost_p10_gbp, estate_hidden_cost_gbp, estate_hidden_cost_p90_gbp FROM cost_model_runs"
        ).fetchone()
    # the baseline is the stored analysis (same draws and seed), percentiles of the estate total included
    for measure, value in zip(("P10", "expected value", "P90"), stored, strict=True):
        baseline = totals.loc[f"Hidden cost a year, {measure}", "baseline"] * 1e6  # shown in £m
        assert baseline == pytest.approx(value, rel=1e-9), measure


def test_a_scenario_changing_only_the_discount_rate_leaves_hidden_cost_alone_and_refuses_silly_rates(
    estate_db, monkeypatch
):
    at = open_page("Assumptions", estate_db, monkeypatch)
    rate = load_parameters().values["discount_rate"]
    at.multiselect[0].set_value(["discount_rate"]).run()
    field = at.number_input(key="scenario_discount_rate")
    assert not rate.uncertain and field.min == 0 and field.max == 1  # a rate of 5 (500%) cannot be entered
    field.set_value(0.05).run()
    totals = at.dataframe[1].value.set_index("measure")
    for measure in ("Hidden cost a year, P10", "Hidden cost a year, expected value", "Hidden cost a year, P90"):
        assert totals.loc[measure, "change"] == pytest.approx(0, abs=1e-9)
    assert totals.loc["NPV of replacing every system", "change"] != 0


def test_data_quality_filters_issues_by_code(estate_db, monkeypatch):
    at = open_page("Data quality", estate_db, monkeypatch)
    assert at.dataframe[0].value["file_name"].tolist() == ["sample.xlsx"]
    with duckdb.connect(str(estate_db), read_only=True) as connection:
        code = connection.execute("SELECT min(code) FROM import_issues").fetchone()[0]  # dangling_reference ...
    assert "_" in code and "_" not in " ".join(at.dataframe[1].value["code"])  # shown as words, never raw codes
    at.multiselect[0].set_value([code]).run()
    assert set(at.dataframe[1].value["code"]) == {code.replace("_", " ").capitalize()}
    assert len(at.download_button) == 1


@pytest.fixture
def writable_db(estate_db, tmp_path) -> Path:
    copy = tmp_path / "estate.duckdb"
    shutil.copy(estate_db, copy)
    return copy


def test_import_with_errors_stores_nothing(writable_db, monkeypatch):
    before = snapshot(writable_db)
    at = open_page("Import", writable_db, monkeypatch)
    assert "100 MB per file" in at.markdown[0].value
    at.file_uploader[0].set_value(("bad.csv", b"system_id,name,department\nX1,One,\nX1,Two,DfE\n", "text/csv")).run()
    assert not at.exception
    assert "Nothing has been stored" in at.error[0].value
    issues = at.dataframe[-1].value
    assert {"bad.csv"} == set(issues["file"]) and 2 in issues["row"].tolist()
    assert not at.button  # no commit offered
    assert snapshot(writable_db) == before


def test_import_commit_stores_and_reanalyses(writable_db, monkeypatch):
    at = open_page("Import", writable_db, monkeypatch)
    csv = b"System ID,Name,Department,Platform\nNEW-1,New ledger,Dept Z,mainframe\n"
    at.file_uploader[0].set_value(("../../etc/new systems.csv", csv, "text/csv")).run()
    assert "No errors" in at.success[0].value
    at.button[0].click().run()
    assert not at.exception
    assert plain("new systems.csv: import 2: 1 systems") in at.success[1].value
    stored = assessment(writable_db)
    assert "NEW-1" in stored["system_id"].tolist() and len(stored) == 81  # analysed again
    home = open_page("Overview", writable_db, monkeypatch)
    assert {m.label: m.value for m in home.metric}["Systems"] == "81"


def test_import_preview_checks_references_against_the_systems_already_stored(writable_db, monkeypatch):
    stored = assessment(writable_db)["system_id"].tolist()[:2]
    csv = f"Source system ID,Target system ID,Kind\n{stored[0]},{stored[1]},api\n".encode()
    at = open_page("Import", writable_db, monkeypatch)
    at.file_uploader[0].set_value(("new links.csv", csv, "text/csv")).run()
    assert not at.exception and "No errors (0 warning(s))" in at.success[0].value  # no false "not in the inventory"


def test_import_page_offers_the_blank_template(writable_db, monkeypatch, tmp_path):
    at = open_page("Import", writable_db, monkeypatch)
    button = next(b for b in at.get("download_button") if "template" in b.proto.label)
    assert button.proto.label == "Download the blank template (xlsx)"
    from estate.workbook import write_template

    sheets = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx")).sheetnames
    assert {"Systems", "Interfaces", "Costs"} <= set(sheets)


def test_import_reads_a_format_chosen_from_the_built_in_profiles(writable_db, monkeypatch):
    at = open_page("Import", writable_db, monkeypatch)
    servicenow = next(o for o in at.selectbox(key="format").options if o.startswith("servicenow:"))
    at.selectbox(key="format").set_value(servicenow).run()
    export = (b"Number,Name,Department,Business criticality,Install type\n"
              b"APM0009001,Court bookings,HMCTS,1 - most critical,On-Premises\n")  # fmt: skip
    at.file_uploader[0].set_value(("cmdb_ci_business_app.csv", export, "text/csv")).run()
    assert not at.exception and "No errors" in at.success[0].value
    at.button[0].click().run()
    stored = assessment(writable_db)
    assert "APM0009001" in stored["system_id"].tolist()
    with duckdb.connect(str(writable_db), read_only=True) as connection:
        assert connection.execute("SELECT criticality, platform FROM systems WHERE system_id = 'APM0009001'"
                                  ).fetchall() == [(5, "on_premises")]  # fmt: skip


ODD_HEADERS = b"Ref,Title,Owner org,Yearly spend (\xc2\xa3k)\nODD-1,Payroll,HR,1000\nODD-2,Ledger,Finance,2000\n"


def test_import_maps_columns_in_the_page_and_offers_the_mapping_as_a_profile(writable_db, monkeypatch, tmp_path):
    before = snapshot(writable_db)
    at = open_page("Import", writable_db, monkeypatch)
    at.file_uploader(key="uploads").set_value(("odd.csv", ODD_HEADERS, "text/csv")).run()
    assert not at.exception and "Nothing has been stored" in at.error[0].value
    errors = next(d.value for d in at.dataframe if "message" in d.value.columns)  # the first issues table
    assert set(errors["severity"]) == {"Error"}  # errors come first, with what to do
    assert not at.button and snapshot(writable_db) == before
    field = lambda letter: at.selectbox(key=f"field_0_systems_odd.csv_odd_{letter}")  # noqa: E731
    assert field("B").value == "(not a field: kept as extra)"  # the column estate did not recognise
    field("B").set_value("Name · name").run()
    field("C").set_value("Department · department").run()
    field("D").set_value(next(o for o in field("D").options if o.endswith("· annual_cost_gbp"))).run()
    assert not at.exception and "No errors" in at.success[0].value
    assert any("mapping" in b.proto.label for b in at.get("download_button"))  # the profile, to reuse
    at.button[0].click().run()
    assert not at.exception
    stored = assessment(writable_db)
    assert {"ODD-1", "ODD-2"} <= set(stored["system_id"])
    with duckdb.connect(str(writable_db), read_only=True) as connection:
        rows = connection.execute("SELECT name, department FROM systems WHERE system_id = 'ODD-1'").fetchall()
        recorded = connection.execute(
            "SELECT json_extract_string(mapping, '$.profile') FROM imports WHERE file_name = 'odd.csv'"
        ).fetchone()
        cost = connection.execute("SELECT sum(amount_gbp) FROM costs WHERE system_id = 'ODD-1'").fetchone()[0]
    assert rows == [("Payroll", "HR")] and cost == 1_000_000  # £k scaled as the header says
    import tomllib

    assert tomllib.loads(recorded[0])["columns"]["systems"] == {
        "Title": "name", "Owner org": "department", "Yearly spend (£k)": "annual_cost_gbp"
    }  # fmt: skip


def test_the_mapping_made_on_the_page_is_the_profile_the_cli_reads(tmp_path):
    from estate.mapping import MappingProfile
    from estate.profile_builder import chosen_profile

    made = chosen_profile(None, {"systems": {"Title": "name", "Owner org": "department"}})
    (tmp_path / "odd.csv").write_bytes(ODD_HEADERS)
    (tmp_path / "mapping.toml").write_text(made.text, encoding="utf-8")
    assert MappingProfile.load(tmp_path / "mapping.toml").columns == made.columns
    result = run_estate("import", str(tmp_path / "odd.csv"), "--db", str(tmp_path / "e.duckdb"),
                        "--mapping", str(tmp_path / "mapping.toml"))  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_import_hints_at_the_built_in_profile_that_reads_the_file(writable_db, monkeypatch):
    export = (b"Number,Name,Owned by department,Business criticality,Install type\n"
              b"APM0009001,Court bookings,HMCTS,1 - most critical,On-Premises\n")  # fmt: skip
    at = open_page("Import", writable_db, monkeypatch)
    at.file_uploader(key="uploads").set_value(("cmdb_ci_business_app.csv", export, "text/csv")).run()
    assert not at.exception
    assert any("**servicenow**" in i.value for i in at.info), [i.value for i in at.info]


def test_an_uploaded_profile_is_used_and_a_broken_one_is_named(writable_db, monkeypatch):
    from estate.profile_builder import chosen_profile

    made = chosen_profile(None, {"systems": {"Title": "name", "Owner org": "department"}})
    at = open_page("Import", writable_db, monkeypatch)
    at.file_uploader(key="uploads").set_value(("odd.csv", ODD_HEADERS, "text/csv")).run()
    at.file_uploader(key="profile_file").set_value(("mine.toml", made.text.encode(), "application/toml")).run()
    assert not at.exception and "No errors" in at.success[0].value
    at.file_uploader(key="profile_file").set_value(("bad.toml", b"[columns.systems]\nTitle = 'nonsense'\n",
                                                    "application/toml")).run()  # fmt: skip
    message = re.sub(r"\\(.)", r"\1", at.error[0].value)  # shown as text: Markdown escapes removed to read it
    assert not at.exception and "bad.toml: column" in message and "nonsense" in message, message
    assert "estate-upload-" not in message  # the upload is named, not the private folder it was staged in
    assert not at.button  # nothing to commit with a broken profile


def test_import_refuses_other_file_types(writable_db, monkeypatch, tmp_path):
    at = open_page("Import", writable_db, monkeypatch)
    assert sorted(at.file_uploader[0].allowed_type) == [".csv", ".parquet", ".xlsx", ".xml"]  # Streamlit enforces
    with pytest.raises(UploadError, match=r"only \.xlsx, \.csv, \.parquet, \.xml files can be imported"):
        stage_uploads([("notes.txt", b"hello")], tmp_path)  # and so does staging, whatever the front end


@pytest.mark.parametrize(
    ("name", "shown"),
    [("../../etc/passwd.csv", "passwd.csv"), ("C:\\Users\\a\\inv.xlsx", "inv.xlsx"), ("..", "upload"),
     ("a\x00b\nc.csv", "abc.csv"), ("  .hidden.csv ", "hidden.csv"), ("x" * 300 + ".csv", "x" * 116 + ".csv")],
)  # fmt: skip
def test_upload_names_are_shown_never_used_as_paths(name, shown, tmp_path):
    assert display_name(name) == shown
    if Path(shown).suffix:
        paths, names = stage_uploads([(name, b"a")], tmp_path)
        assert names == [shown] and paths == [tmp_path / f"upload-1{Path(shown).suffix}"]


def test_uploads_over_the_limit_or_with_the_same_name_are_refused(tmp_path):
    with pytest.raises(UploadError, match="over the 100 MB limit"):
        stage_uploads([("big.csv", b"x" * (MAX_UPLOAD_BYTES + 1))], tmp_path)
    with pytest.raises(UploadError, match="same name"):
        stage_uploads([("a/inv.csv", b"x"), ("b/inv.csv", b"y")], tmp_path)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


AXE = Path(os.environ.get("ESTATE_AXE", Path(__file__).parents[1] / ".cache/axe/node_modules/axe-core/axe.min.js"))
BROWSER_PAGES = {  # URL path -> a text the page shows once it has run
    "": "Hidden annual cost (expected)", "Candidates": "Candidates", "System": "System",
    "Dependencies": "Dependencies", "Roadmap": "Roadmap", "Assumptions": "Assumptions",
    "Data_quality": "Data quality", "Import": "Import",
}  # fmt: skip
# WCAG 2.2 A and AA (2.1's, which the Public Sector Bodies Accessibility Regulations 2018 require, and 2.2's)
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]});
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length} element(s), e.g. ${v.nodes[0].target.join(" ")})`);
}"""


@pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and AXE.exists()) and not os.environ.get("CI"),
    reason="Debian chromium or axe-core not installed (make test installs both)",
)
def test_real_browser_shows_every_page_with_the_headline_and_no_serious_accessibility_violation(estate_db):
    import duckdb
    from playwright.sync_api import sync_playwright

    with duckdb.connect(str(estate_db), read_only=True) as connection:
        expected = connection.execute("SELECT estate_hidden_cost_gbp FROM cost_model_runs").fetchone()[0]
    shots = Path(os.environ.get("ESTATE_SCREENSHOTS") or tempfile.mkdtemp(prefix="estate-screenshots-"))
    shots.mkdir(parents=True, exist_ok=True)  # kept for CI to collect as artefacts
    violations, errors, drawn = {}, {}, {}
    with running_app(estate_db) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        thrown: list[str] = []
        page.on("pageerror", lambda error: thrown.append(str(error)))

        def look(name: str) -> None:
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # charts draw after the page's last message
            drawn[name] = page.evaluate(CHART_HEIGHTS)
            thrown.extend(page.locator("[data-testid=stException]").all_inner_texts())  # a Python error shown
            page.screenshot(path=shots / f"{name}.png", full_page=True)
            page.add_script_tag(path=str(AXE))
            violations[name] = page.evaluate(AXE_RUN)
            errors[name] = list(thrown)
            thrown.clear()

        for path, text in BROWSER_PAGES.items():
            page.goto(url + path, timeout=60_000)
            page.get_by_text(text).first.wait_for(timeout=60_000)
            if not path:
                page.get_by_text(gbp_m(expected), exact=True).first.wait_for(timeout=30_000)
                assert page.title().startswith("estate")
            look(path or "Overview")
            assert not page.get_by_text("Deploy", exact=True).count()  # Streamlit's developer toolbar is hidden
        page.goto(url + "Dependencies", timeout=60_000)
        page.get_by_role("radiogroup").get_by_text("Departments", exact=True).click(timeout=60_000)  # second view
        page.get_by_text("How siloed each department is").wait_for(timeout=60_000)
        look("Dependencies-departments")
        page.goto(url + "System?system=UNLISTED-001", timeout=60_000)
        page.get_by_text("is unknown", exact=False).first.wait_for(timeout=60_000)
        look("System-unknown")
        assert not page.get_by_text("Hidden cost a year (expected)").count()  # no other system in its place
        browser.close()
    print(f"screenshots: {shots}")
    assert errors == {name: [] for name in errors}  # no script error on any page
    for name in ("Dependencies", "Dependencies-departments", "System", "Overview"):
        assert max(drawn[name], default=0) > 200, f"{name}: no chart drawn ({drawn[name]})"
    assert violations == {name: [] for name in violations}


# the drawn height of every Vega chart on the page (a chart that failed to draw has none)
CHART_HEIGHTS = (
    "() => [...document.querySelectorAll('.vega-embed canvas, .vega-embed svg')]"
    ".map(e => e.getBoundingClientRect().height)"
)


def test_candidates_shows_a_chosen_number_of_rows(estate_db, monkeypatch):
    at = open_page("Candidates", estate_db, monkeypatch)
    at.checkbox(key="show_retain").check().run()
    at.number_input[0].set_value(10).run()
    assert len(at.dataframe[0].value) == 10
    assert any("80 of 80 systems match; the first 10 are shown (the csv has all 80)" in c.value for c in at.caption)


def test_the_app_reads_while_another_process_holds_the_database_read_only(estate_db):
    import subprocess
    import sys

    from reporting.views import load_estate

    code = "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); print('holding', flush=True); input()"
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(estate_db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        data = load_estate(estate_db)  # what every page does, while a CLI `estate rank` (say) reads too
        assert len(data.assessment) == 80
        result = subprocess.run([ESTATE, "rank", "--db", str(estate_db), "--top", "3"], capture_output=True)
        assert result.returncode == 0
    finally:
        holder.kill()
        holder.wait()


HOSTILE_NAME = "[Sign in again](https://gov-uk.example/login) ![x](https://tracker.example/p.gif) <img src=x> www.x.com"


def _rendered(markdown: str) -> str:
    """Return the HTML a CommonMark renderer with web-address linking makes of a Markdown string."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"linkify": False}).enable(["table", "strikethrough"]).render(markdown)


def test_markdown_and_html_in_inventory_text_are_shown_as_text(tmp_path, monkeypatch):
    db = tmp_path / "e.duckdb"
    csv = tmp_path / "inventory.csv"
    csv.write_text(f'System ID,Name,Department\nH-1,"{HOSTILE_NAME}",D\nH-2,Two,D\n')
    import_files(db, [csv])
    analyse(db, AnalysisSettings(AS_OF, seed=0, draws=50))
    monkeypatch.setenv("ESTATE_DB", str(db))
    at = AppTest.from_file(str(PAGES["System"]), default_timeout=120)
    at.query_params["system"] = "H-1"
    at.run()
    assert not at.exception
    header = at.header[0].value
    html = _rendered(header)
    assert "<a " not in html and "<img" not in html and "&lt;img src=x&gt;" in html
    assert "[Sign in again](https://gov-uk.example/login)" in re.sub(r"<[^>]+>", "", html).replace("&quot;", '"')
    upload = open_page("Import", tmp_path / "other.duckdb", monkeypatch)
    named = "[Sign in](evil.example) ![t](tracker.example).csv"  # an upload's name is its last path part
    upload.file_uploader[0].set_value((named, b"System ID,Name,Department\nA,B,C\n", "text/csv")).run()
    shown = [m.value for m in upload.markdown if "evil" in m.value]
    assert shown and all("<a " not in _rendered(m) for m in shown)


def test_plain_escapes_everything_markdown_acts_on():
    for text in (HOSTILE_NAME, "*bold* _it_ `code` # head | a | ~~s~~ $x$ <script>alert(1)</script> https://x.example"):
        html = _rendered(plain(text))
        assert not re.search(r"<(a|img|em|strong|code|h1|table|del|script)\b", html), html
