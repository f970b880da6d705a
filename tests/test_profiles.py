"""Profiles that express real shapes, the built-in profiles and the ArchiMate exchange reader (issue 16).

Each profile feature is tested on a small hand-made file; the built-in profiles on the real inventories in
../shared/real-inventories (skipped when the folder is absent) and on a hand-made ServiceNow-style export.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estate.issues import ImportRejected, IssueCode
from estate.mapping import MappingProfile, ProfileError, builtin_profile, builtin_profiles
from estate.store import import_files, validate_files
from tests.conftest import write_xlsx

REAL = Path(__file__).parents[2] / "shared" / "real-inventories"
needs_real = pytest.mark.skipif(not REAL.exists(), reason="the real inventories in ../shared are not here")


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _codes(issues) -> list[str]:
    return [i.code.value for i in issues]


# ---------------------------------------------------------------- profile features on hand-made files


def _inventory(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "inventory.xlsx", {
        "Systems": [
            ["ID", "Name", "Department", "Kind", "Criticality"],
            ["S1", "Payments", "Finance", "app", "1 - most critical"],
            ["S2", "Ledger", "Finance", "app", "4 - not critical"],
            ["P1", "Payroll process", "HR", "process", "2 - somewhat critical"],
            ["S3", "Grants", "Grants", "APP", ""],
        ],
    })  # fmt: skip


def test_a_row_filter_keeps_the_listed_values_and_reports_every_row_left_out(tmp_path):
    profile = MappingProfile.from_dict({
        "filters": {"systems": {"Kind": ["App"]}},
        "values": {"systems": {"criticality": {"1 - most critical": 5, "2 - somewhat critical": 4,
                                               "4 - not critical": 2}}},
    })  # fmt: skip
    db = tmp_path / "e.duckdb"
    summaries, issues = import_files(db, [_inventory(tmp_path)], profile)
    assert summaries[0].rows["systems"] == 3 and summaries[0].left_out["systems"] == 1
    left = [i for i in issues if i.code is IssueCode.ROWS_LEFT_OUT]
    assert len(left) == 1 and "1 of 4 rows" in left[0].message and "process (1)" in left[0].message
    assert _rows(db, "SELECT system_id, criticality, source_row FROM systems ORDER BY 1") == [
        ("S1", 5, 2), ("S2", 2, 3), ("S3", None, 5)]  # fmt: skip  # each row keeps its own row number
    assert "kind" not in _codes(issues)  # the filter column is the profile's, not an unknown column


def test_a_filter_on_a_column_the_sheet_lacks_is_an_error_naming_it(tmp_path):
    profile = MappingProfile.from_dict({"filters": {"systems": {"Type": "ApplicationComponent"}}})
    with pytest.raises(ImportRejected) as rejected:
        import_files(tmp_path / "e.duckdb", [_inventory(tmp_path)], profile)
    missing = [i for i in rejected.value.issues if i.code is IssueCode.MISSING_COLUMN]
    assert missing and "'Type'" in missing[0].message
    assert not (tmp_path / "e.duckdb").exists() or _rows(tmp_path / "e.duckdb", "SELECT count(*) FROM systems") == [
        (0,)]  # fmt: skip


def test_one_column_feeds_two_fields_and_a_column_can_be_kept_out_of_the_fields(tmp_path):
    path = write_xlsx(tmp_path / "register.xlsx", {"Register": [
        ["application", "business-unit", "Platform"], ["payments-api", "HMCTS", "Kubernetes"],
        ["grants", "LAA", "Kubernetes"]]})  # fmt: skip
    profile = MappingProfile.from_dict({"columns": {"systems": {
        "application": ["system_id", "name"], "Platform": "extra"}}})  # fmt: skip
    db = tmp_path / "e.duckdb"
    _, issues = import_files(db, [path], profile)
    assert _rows(db, "SELECT system_id, name, department, platform FROM systems ORDER BY 1") == [
        ("grants", "grants", "LAA", None), ("payments-api", "payments-api", "HMCTS", None)]  # fmt: skip
    assert IssueCode.UNRECOGNISED_VALUE not in {i.code for i in issues}  # 'Kubernetes' was never a platform


def _links_workbook(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "links.xlsx", {
        "Systems": [["ID", "Name", "Department"], ["A1", "Case Manager", "Courts"], ["B2", "Payments", "Finance"],
                    ["C3", "Ledger", "Finance"], ["D4", "ledger", "Grants"]],
        "Interfaces": [
            ["Parent", "Type", "Child"],
            ["Case Manager", "Depends on::Used by", "payments"],  # A depends on B: data flows B -> A
            ["Payments", "Sends data to::Receives data from", "Case manager; Payments"],  # split, then a self-loop
            ["Payments", "Depends on::Used by", "Ledger"],  # two systems are called Ledger
            ["Case Manager", "Runs on::Runs", "Server 7"],  # not a link between applications
        ],
    })  # fmt: skip


LINKS_PROFILE = {
    "columns": {"interfaces": {"Parent": "source_system_id", "Child": "target_system_id"}},
    "split": {"interfaces": {"target_system_id": ";"}},
    "links": {"ends": "name", "direction": "Type", "reverse": ["Depends on::Used by"]},
}


def test_interfaces_by_name_resolve_to_ids_point_the_right_way_and_report_ambiguous_names(tmp_path):
    with pytest.raises(ImportRejected) as rejected:
        import_files(tmp_path / "e.duckdb", [_links_workbook(tmp_path)], MappingProfile.from_dict(LINKS_PROFILE))
    ambiguous = [i for i in rejected.value.issues if i.code is IssueCode.AMBIGUOUS_NAME]
    assert [(i.row, i.value) for i in ambiguous] == [(4, "Ledger")]
    assert "C3" in ambiguous[0].message and "D4" in ambiguous[0].message


def test_links_outside_the_inventory_are_skipped_and_counted(tmp_path):
    profile = dict(LINKS_PROFILE, filters={"interfaces": {"Type": ["Depends on::Used by",
                                                                   "Sends data to::Receives data from",
                                                                   "Runs on::Runs"]}},
                   links=dict(LINKS_PROFILE["links"], outside="skip"))  # fmt: skip
    path = write_xlsx(tmp_path / "links.xlsx", {
        "Systems": [["ID", "Name", "Department"], ["A1", "Case Manager", "Courts"], ["B2", "Payments", "Finance"]],
        "Interfaces": [["Parent", "Type", "Child"], ["Case Manager", "Depends on::Used by", "payments"],
                       ["Payments", "Sends data to::Receives data from", "Case manager; Pensions"],
                       ["Case Manager", "Runs on::Runs", "Server 7"]],
    })  # fmt: skip
    db = tmp_path / "e.duckdb"
    summaries, issues = import_files(db, [path], MappingProfile.from_dict(profile))
    stored = _rows(db, "SELECT source_system_id, target_system_id, interface_id FROM interfaces ORDER BY 3")
    assert stored == [("B2", "A1", "links.xlsx:Interfaces:2"), ("B2", "A1", "links.xlsx:Interfaces:3")]
    assert summaries[0].left_out["interfaces"] == 2  # 'Pensions' and 'Server 7' are not systems
    skipped = [i for i in issues if i.code is IssueCode.ROWS_LEFT_OUT]
    assert any("2 of 4 links" in i.message and "rows 3, 4" in i.message for i in skipped)
    assert IssueCode.DANGLING_REFERENCE not in {i.code for i in issues}


def test_unknown_names_kept_as_placeholders_are_reported_with_their_row(tmp_path):
    path = write_xlsx(tmp_path / "links.xlsx", {
        "Systems": [["ID", "Name", "Department"], ["A1", "Case Manager", "Courts"]],
        "Interfaces": [["Provider application", "Consumer application"], ["Case Manager", "Pensions"]],
    })  # fmt: skip
    _, issues = validate_files([path], MappingProfile.from_dict({"links": {"ends": "name"}}))
    dangling = [i for i in issues if i.code is IssueCode.DANGLING_REFERENCE]
    assert [(i.sheet, i.row, i.value) for i in dangling] == [("Interfaces", 2, "Pensions")]


def test_names_resolve_against_systems_already_stored(tmp_path):
    db = tmp_path / "e.duckdb"
    import_files(db, [write_xlsx(tmp_path / "apps.xlsx", {"Systems": [
        ["ID", "Name", "Department"], ["A1", "Case Manager", "Courts"], ["B2", "Payments", "Finance"]]})])  # fmt: skip
    flows = write_xlsx(tmp_path / "flows.xlsx", {"Interfaces": [["Source", "Target"], ["payments", "CASE MANAGER"]]})
    import_files(db, [flows], MappingProfile.from_dict({"links": {"ends": "name"}}))
    assert _rows(db, "SELECT source_system_id, target_system_id FROM interfaces") == [("B2", "A1")]


def test_an_unmapped_cost_category_is_kept_as_other_with_a_warning_and_a_mapped_one_recoded(tmp_path):
    path = write_xlsx(tmp_path / "ledger.xlsx", {
        "Systems": [["ID", "Name", "Department"], ["S1", "Payments", "Finance"]],
        "Costs": [["System ID", "Financial year", "Category", "Amount"], ["S1", "2024-25", "O&M", 100],
                  ["S1", "2024-25", "DME", 50], ["S1", "2024-25", "Hosting", 25]],
    })  # fmt: skip
    db = tmp_path / "e.duckdb"
    _, issues = import_files(db, [path])
    unmapped = [i for i in issues if i.code is IssueCode.UNMAPPED_CATEGORY]
    assert [(i.row, i.value) for i in unmapped] == [(2, "O&M"), (3, "DME")]
    assert _rows(db, "SELECT category, sum(amount_gbp) FROM costs GROUP BY 1 ORDER BY 1") == [
        ("hosting", 25.0), ("other", 150.0)]  # fmt: skip  # nothing dropped
    db2 = tmp_path / "mapped.duckdb"
    profile = MappingProfile.from_dict({"values": {"costs": {"category": {"O&M": "support_contract",
                                                                           "DME": "other"}}}})  # fmt: skip
    _, issues = import_files(db2, [path], profile)
    assert IssueCode.UNMAPPED_CATEGORY not in {i.code for i in issues}
    assert _rows(db2, "SELECT category, sum(amount_gbp) FROM costs GROUP BY 1 ORDER BY 1") == [
        ("hosting", 25.0), ("other", 50.0), ("support_contract", 100.0)]  # fmt: skip


def test_a_one_sheet_workbook_holds_the_table_its_headers_say_whatever_its_file_is_called(tmp_path):
    inventory = write_xlsx(tmp_path / "IT costs 2024.xlsx", {"Page 1": [
        ["System ID", "Name", "Department", "Annual cost (£)"], ["S1", "Payments", "Finance", 1000]]})  # fmt: skip
    links = write_xlsx(tmp_path / "export.xlsx", {"Page 1": [
        ["Source system", "Target system", "Interface type"], ["S1", "S1", "api"]]})  # fmt: skip
    results, _ = validate_files([inventory, links])
    assert list(results[0].tables) == ["systems", "costs"]  # an inventory with a cost column, not a ledger
    assert list(results[1].tables) == ["interfaces"]


def test_an_ignored_sheet_is_reported_not_imported(tmp_path):
    path = write_xlsx(tmp_path / "w.xlsx", {"Systems": [["ID", "Name", "Department"], ["S1", "P", "F"]],
                                            "Scratch": [["anything"], ["x"]]})  # fmt: skip
    _, issues = validate_files([path], MappingProfile.from_dict({"ignore": {"sheets": ["scr*"]}}))
    assert [(i.code, i.sheet) for i in issues] == [(IssueCode.ROWS_LEFT_OUT, "Scratch")]


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"filters": {"systems": {"Type": {"a": 1}}}}, "filters.systems.Type"),
        ({"values": {"systems": {"colour": {"a": 1}}}}, "values.systems.colour"),
        ({"values": {"systems": {"criticality": {"a": [1, 2]}}}}, "values.systems.criticality"),
        ({"split": {"interfaces": {"target_system_id": ""}}}, "split.interfaces.target_system_id"),
        ({"links": {"ends": "label"}}, "links.ends"),
        ({"links": {"outside": "drop"}}, "links.outside"),
        ({"links": {"direction": "Type"}}, "links.direction"),
        ({"links": {"sideways": True}}, "[links]"),
        ({"ignore": {"sheets": [1.5, True]}}, "[ignore]"),
        ({"columns": {"systems": {"ID": ["system_id", "colour"]}}}, "colour"),
        ({"sheets": {"systems": ["Systems", 3]}}, "sheets.systems"),
    ],
)
def test_every_profile_key_is_type_checked(data, named):
    with pytest.raises(ProfileError, match=re.escape(named)):
        MappingProfile.from_dict(data)


def test_the_cli_refuses_a_bad_profile_with_exit_2_naming_the_key(tmp_path):
    from typer.testing import CliRunner

    from app.cli import app

    bad = tmp_path / "bad.toml"
    bad.write_text('[links]\nends = "label"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--mapping", str(bad), str(_inventory(tmp_path))])
    assert result.exit_code == 2 and "links.ends" in result.output


# ---------------------------------------------------------------- a profile never loses a row silently


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(["app", "App", "process", "", "service"]), min_size=1, max_size=25),
    targets=st.lists(st.lists(st.sampled_from(["S1", "S2", "X9", "S3"]), min_size=1, max_size=3), min_size=1,
                     max_size=12),
)  # fmt: skip
def test_rows_in_equal_rows_stored_plus_rows_left_out(tmp_path_factory, kinds, targets):
    tmp = tmp_path_factory.mktemp("p")
    systems = [["ID", "Name", "Department", "Kind"]] + [[f"S{i + 1}", f"n{i}", "D", k] for i, k in enumerate(kinds)]
    links = [["Source", "Target"]] + [["S1", "; ".join(t)] for t in targets]
    path = write_xlsx(tmp / "w.xlsx", {"Systems": systems, "Interfaces": links})
    profile = MappingProfile.from_dict({
        "filters": {"systems": {"Kind": ["app"]}}, "split": {"interfaces": {"target_system_id": ";"}},
        "links": {"outside": "skip"},
    })  # fmt: skip
    db = tmp / "e.duckdb"
    summaries, _ = import_files(db, [path], profile)
    summary = summaries[0]
    assert summary.rows["systems"] + summary.left_out["systems"] == len(kinds)
    exploded = sum(len(t) for t in targets)
    assert summary.rows["interfaces"] + summary.left_out["interfaces"] == exploded
    kept = {f"S{i + 1}" for i, k in enumerate(kinds) if k.lower() == "app"}
    stored = {r[0] for r in _rows(db, "SELECT target_system_id FROM interfaces")}
    assert stored <= kept and ("S1" in kept or not stored)


# ---------------------------------------------------------------- built-in profiles


def test_the_built_in_profiles_are_listed_and_valid():
    assert {"archi", "itdashboard", "leanix", "servicenow"} <= set(builtin_profiles())
    for name in builtin_profiles():
        assert builtin_profile(name).text  # each parses, and is recorded with its imports as written


def _servicenow_export(tmp_path: Path) -> tuple[Path, Path]:
    apps = write_xlsx(tmp_path / "cmdb_ci_business_app.xlsx", {"Page 1": [
        ["Number", "Name", "Application type", "Install type", "Platform", "Department", "Installed",
         "Technology stack", "User base", "Vendor", "Contract end date", "Business criticality",
         "Planned disposition"],
        ["APM0001001", "Case Manager", "Homegrown", "On-Premises", "Java", "Courts", "2004-05-01 09:00:00",
         "Java 6", "12000", "", "", "1 - most critical", "Migrate"],
        ["APM0001002", "Payments Hub", "COTS", "Cloud", "", "Finance", "2019-01-15 12:00:00", "SAP", "800",
         "SAP", "2027-03-31", "2 - somewhat critical", "Invest"],
        ["APM0001003", "Grants Portal", "SaaS", "Cloud", "", "Grants", "2021-06-01 08:00:00", "", "150",
         "Salesforce", "", "4 - not critical", "Tolerate"],
    ]})  # fmt: skip
    rels = write_xlsx(tmp_path / "cmdb_rel_ci.xlsx", {"Page 1": [
        ["Parent", "Type", "Child"],
        ["Case Manager", "Depends on::Used by", "Payments Hub"],
        ["Payments Hub", "Sends data to::Receives data from", "Grants Portal"],
        ["Grants Portal", "Receives data from::Sends data to", "Case Manager"],
        ["Case Manager", "Runs on::Runs", "lnx-app-07"],
        ["Case Manager", "Depends on::Used by", "Oracle DB prod"],
    ]})  # fmt: skip
    return apps, rels


def test_a_servicenow_export_imports_with_every_interface_resolved_and_pointing_the_right_way(tmp_path):
    db = tmp_path / "e.duckdb"
    summaries, issues = import_files(db, list(_servicenow_export(tmp_path)), builtin_profile("servicenow"))
    assert [s.rows for s in summaries] == [{"systems": 3, "interfaces": 0, "costs": 0},
                                           {"systems": 0, "interfaces": 3, "costs": 0}]  # fmt: skip
    assert summaries[1].left_out["interfaces"] == 2  # Runs on::Runs, and a database that is not an application
    flows = _rows(db, "SELECT source_system_id, target_system_id FROM interfaces ORDER BY 1")
    assert flows == [("APM0001001", "APM0001003"), ("APM0001002", "APM0001001"), ("APM0001002", "APM0001003")]
    systems = _rows(db, "SELECT system_id, criticality, platform, go_live_year, users, department FROM systems "
                        "ORDER BY 1")  # fmt: skip
    assert systems == [("APM0001001", 5, "on_premises", 2004, 12000, "Courts"),
                       ("APM0001002", 4, "public_cloud", 2019, 800, "Finance"),
                       ("APM0001003", 2, "public_cloud", 2021, 150, "Grants")]  # fmt: skip
    assert not [i for i in issues if i.code in (IssueCode.UNKNOWN_COLUMN, IssueCode.UNRECOGNISED_VALUE)]


def test_a_leanix_export_imports_applications_and_interfaces_by_name(tmp_path):
    path = write_xlsx(tmp_path / "leanix.xlsx", {
        "Application": [
            ["ID", "Name", "Business Criticality", "Lifecycle: Active", "Lifecycle: End of Life", "Functional Fit"],
            ["28fe4aa2-6e46-41a1", "HR Online", "missionCritical", "2008-01-01", "2026-12-31", "unreasonable"],
            ["7a1b2c3d-0000-4e5f", "Doc Store", "administrativeService", "2020-01-01", "", "appropriate"],
        ],
        "Interface": [["ID", "Name", "Provider Application", "Consumer Application"],
                      ["if-1", "HR to docs", "HR Online", "Doc Store"]],
    })  # fmt: skip
    db = tmp_path / "e.duckdb"
    import_files(db, [path], builtin_profile("leanix"))
    assert _rows(db, "SELECT name, criticality, go_live_year, end_of_support, department FROM systems ORDER BY 1") == [
        ("Doc Store", 2, 2020, None, "Not stated in the export"),
        ("HR Online", 5, 2008, __import__("datetime").date(2026, 12, 31), "Not stated in the export"),
    ]  # fmt: skip
    assert _rows(db, "SELECT source_system_id, target_system_id FROM interfaces") == [
        ("28fe4aa2-6e46-41a1", "7a1b2c3d-0000-4e5f")]  # fmt: skip


# ---------------------------------------------------------------- ArchiMate exchange files


EXCHANGE_3 = """<?xml version="1.0" encoding="UTF-8"?>
<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       identifier="m1">
  <name xml:lang="en">Test</name>
  <elements>
    <element identifier="a1" xsi:type="ApplicationComponent"><name xml:lang="en">CRM</name></element>
    <element identifier="a2" xsi:type="ApplicationComponent"><name xml:lang="en">Billing</name></element>
    <element identifier="s1" xsi:type="ApplicationService"><name xml:lang="en">Billing service</name></element>
    <element identifier="p1" xsi:type="BusinessProcess"><name xml:lang="en">Handle claim</name></element>
  </elements>
  <relationships>
    <relationship identifier="r1" source="a2" target="a1" xsi:type="Serving"/>
    <relationship identifier="r2" source="a1" target="a2" xsi:type="Access"/>
    <relationship identifier="r3" source="a2" target="s1" xsi:type="Realization"/>
    <relationship identifier="r4" source="s1" target="p1" xsi:type="Serving"/>
  </relationships>
</model>
"""


def test_an_archimate_3_exchange_file_imports_application_components_and_their_relationships(tmp_path):
    path = tmp_path / "model.xml"
    path.write_text(EXCHANGE_3, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    summaries, _ = import_files(db, [path])  # no profile: the built-in archi profile
    assert summaries[0].rows == {"systems": 2, "interfaces": 2, "costs": 0}
    assert summaries[0].left_out == {"systems": 2, "interfaces": 2, "costs": 0}
    assert _rows(db, "SELECT interface_id, source_system_id, target_system_id, source_row FROM interfaces "
                     "ORDER BY 1") == [("r1", "a2", "a1", 12), ("r2", "a2", "a1", 13)]  # fmt: skip
    # Serving: the server is the source; Access: the accessed component provides the data
    assert _rows(db, "SELECT json_extract_string(mapping, '$.profile') LIKE '%ApplicationComponent%' FROM imports") == [
        (True,)]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("<model xmlns='http://www.opengroup.org/xsd/archimate/3.0/'><elements>", IssueCode.UNREADABLE_FILE),
        ("<?xml version='1.0'?><!DOCTYPE m [<!ENTITY a 'aaaa'>]><m>&a;</m>", IssueCode.UNSAFE_FILE),
        ("<?xml version='1.0'?><project><name>pom</name></project>", IssueCode.UNSUPPORTED_FILE_TYPE),
    ],
)
def test_a_bad_xml_file_is_a_located_error_and_nothing_is_stored(tmp_path, text, code):
    path = tmp_path / "model.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        import_files(tmp_path / "e.duckdb", [path])
    assert [(i.code, i.file) for i in rejected.value.issues] == [(code, "model.xml")]
    assert rejected.value.issues[0].row is not None


@needs_real
@pytest.mark.parametrize(
    ("files", "profile", "systems", "interfaces"),
    [
        (["archimetal/original/ArchiMetal.xml"], None, 37, 36),
        (["archisurance/original/archisurance.xml"], None, 10, 7),
        ([f"archimetal/converted/ArchiMetal-{p}.csv" for p in ("elements", "relations", "properties")], "archi", 37,
         36),
        ([f"archisurance/converted/Archisurance-{p}.csv" for p in ("elements", "relations", "properties")], "archi",
         10, 7),
    ],
)  # fmt: skip
def test_the_real_archimate_models_import_only_application_components_and_their_links(
    tmp_path, files, profile, systems, interfaces
):
    db = tmp_path / "e.duckdb"
    summaries, _ = import_files(db, [REAL / f for f in files], builtin_profile(profile) if profile else None)
    assert _rows(db, "SELECT count(*) FROM systems") == [(systems,)]
    assert _rows(db, "SELECT count(*) FROM interfaces") == [(interfaces,)]
    assert _rows(db, "SELECT count(*) FROM interfaces WHERE source_system_id NOT IN (SELECT system_id FROM systems) "
                     "OR target_system_id NOT IN (SELECT system_id FROM systems)") == [(0,)]  # fmt: skip
    assert sum(s.left_out.get("systems", 0) for s in summaries) > systems  # processes, services ... counted


@needs_real
def test_the_moj_register_imports_with_a_short_profile(tmp_path):
    register = REAL / "moj-modernisation-platform" / "converted" / "moj_modernisation_platform_applications.csv"
    profile = MappingProfile.from_dict({"columns": {"systems": {"file": "system_id"}}})  # 'application' repeats
    db = tmp_path / "e.duckdb"
    summaries, _ = import_files(db, [register], profile)
    assert summaries[0].rows["systems"] == 114
    assert _rows(db, "SELECT count(*) FROM systems WHERE department IS NULL OR name IS NULL") == [(0,)]


def test_validate_prints_the_mapping_it_found_even_when_a_required_column_is_missing(tmp_path):
    from typer.testing import CliRunner

    from app.cli import app

    path = write_xlsx(tmp_path / "register.xlsx", {"Register": [
        ["file", "application", "business-unit", "Sytem Ref"], ["a.json", "payments", "HMCTS", ""]]})  # fmt: skip
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "column B 'application' -> name (synonym)" in result.output
    assert "column C 'business-unit' -> department (synonym)" in result.output
    assert "no 'System ID' column (closest unmapped: 'Sytem Ref' (D)" in result.output
