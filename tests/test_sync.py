"""estate sync against local servers that follow ServiceNow's Table API and LeanIX's GraphQL API, over TLS.

Every test runs a real server on loopback (tests/servers) with a certificate from a throwaway CA given as
--ca-bundle, and the real `estate` command or the library's sync(); nothing of estate's own is mocked.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estate.issues import ImportRejected
from estate.store import connect
from estate.sync import SyncError, record_provenance, source_status, sync
from estate.sync.http import SyncUsageError, checked_url, retry_after
from estate.sync.leanix import LeanIX
from estate.sync.servicenow import ServiceNow
from tests.conftest import ESTATE, write_xlsx
from tests.servers.leanix import LeanIXServer
from tests.servers.servicenow import ServiceNowServer

CREDENTIALS = {"SERVICENOW_USERNAME": "estate", "SERVICENOW_PASSWORD": "s3cret"}
APPS = "cmdb_ci_business_app"
RELS = "cmdb_rel_ci"


def seed(server: ServiceNowServer, apps: int = 7) -> dict[str, object]:
    """Fill the server: departments, business applications, a server CI, relationship types and relationships."""
    justice = server.add("cmn_department", name="Justice Digital")
    courts = server.add("cmn_department", name="Courts and Tribunals")
    ids = [
        server.add(APPS, number=f"APM{i:07d}", name=f"Case system {i}", department=justice if i % 2 else courts,
                   install_type="On-Premises" if i % 3 else "Cloud", business_criticality="1 - most critical",
                   install_date="2001-05-01 10:00:00", technology_stack="COBOL" if i % 2 else "Java")
        for i in range(1, apps + 1)
    ]  # fmt: skip
    host = server.add("cmdb_ci_server", name="db-host-01")
    types = {name: server.add("cmdb_rel_type", name=name) for name in (
        "Depends on::Used by", "Sends data to::Receives data from", "Runs on::Runs")}  # fmt: skip
    rels = [
        server.add(RELS, parent=ids[0], child=ids[1], type=types["Depends on::Used by"]),  # APM1 depends on APM2
        server.add(RELS, parent=ids[2], child=ids[3], type=types["Sends data to::Receives data from"]),
        server.add(RELS, parent=ids[0], child=host, type=types["Runs on::Runs"]),  # not app-to-app: left out
    ]
    return {"apps": ids, "rels": rels, "types": types, "justice": justice}


@pytest.fixture
def servicenow(tmp_path):
    server = ServiceNowServer()
    server.retry_after = "0"
    yield server
    if hasattr(server, "httpd"):
        server.stop()


def estate_sync(server, db: Path, tmp: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    ca = server.ca_file(tmp / "ca.pem")
    command = [ESTATE, "sync", "servicenow", "--instance", server.url, "--db", str(db), "--ca-bundle", ca, *extra]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SERVICENOW_", "LEANIX_"))}
    return subprocess.run(command, env=environ | (CREDENTIALS if env is None else env), capture_output=True,
                          text=True, timeout=180)  # fmt: skip


def servicenow_source(server: ServiceNowServer, tmp: Path, **options) -> ServiceNow:
    """Return the library's ServiceNow source for the test server (its CA trusted), credentials given."""
    return ServiceNow(server.url, ca_bundle=Path(server.ca_file(tmp / "ca.pem")), environ=CREDENTIALS, **options)


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_first_sync_stores_every_application_and_dependency_with_its_direction_while_rate_limited(servicenow, tmp_path):
    servicenow.throttle_every = 3
    servicenow.retry_after = "1"
    seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    done = estate_sync(servicenow, db, tmp_path, "--page-size", "3", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["stored"] and report["throttled"] == servicenow.throttled > 0
    systems = rows(db, "SELECT system_id, name, department, platform, criticality, go_live_year FROM systems "
                       "ORDER BY system_id")  # fmt: skip
    assert [s[0] for s in systems] == [f"APM{i:07d}" for i in range(1, 8)]
    assert systems[0][1:] == ("Case system 1", "Justice Digital", "on_premises", 5, 2001)
    assert systems[1][2] == "Courts and Tribunals"  # a reference field by its display value
    # "A Depends on::Used by B": A depends on B, data flows B -> A; "Sends data to": A -> B; Runs on: left out
    assert sorted(rows(db, "SELECT source_system_id, target_system_id FROM interfaces")) == [
        ("APM0000002", "APM0000001"), ("APM0000003", "APM0000004")]  # fmt: skip
    # every 429 was waited out for its Retry-After (1 s) before the next request
    answers = servicenow.answers
    for (at, status), (after, _) in itertools.pairwise(answers):
        if status == 429:
            assert after - at >= 0.95
    # only the mapped fields, display values, keyset order, a limit within the documented maximum
    path, params = servicenow.log[0]
    assert path == f"/api/now/table/{APPS}" and params["sysparm_display_value"] == "all"
    assert set(params["sysparm_fields"].split(",")) >= {"sys_id", "sys_updated_on", "number", "department"}
    assert "ORDERBYsys_updated_on^ORDERBYsys_id" in params["sysparm_query"] and params["sysparm_limit"] == "3"
    assert not any("sysparm_offset" in p for _, p in servicenow.log)  # keyset, never offset paging


def test_a_second_sync_applies_exactly_what_changed_on_the_server(servicenow, tmp_path):
    ids = seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    assert estate_sync(servicenow, db, tmp_path).returncode == 0
    first_requests = len(servicenow.log)
    apps, rels = ids["apps"], ids["rels"]
    servicenow.update(APPS, apps[1], name="Case system 2 (old name)")
    servicenow.update(APPS, apps[1], name="Case system 2, renamed", install_type="SaaS")  # twice: latest wins
    servicenow.delete(APPS, apps[6])
    servicenow.delete(RELS, rels[1])
    new = servicenow.add(APPS, number="APM0000099", name="Probation register", department=ids["justice"])
    new_rel = servicenow.add(RELS, parent=new, child=apps[0], type=ids["types"]["Sends data to::Receives data from"])
    done = estate_sync(servicenow, db, tmp_path, "--json")  # the default: deletions found on every sync
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["reconciled"]
    assert sorted(report["added"]) == sorted([f"systems/{new}", f"interfaces/{new_rel}"])
    assert report["updated"] == [f"systems/{apps[1]}"]  # updated twice, applied once at its latest state
    assert sorted(report["removed"]) == sorted([f"systems/{apps[6]}", f"interfaces/{rels[1]}"])
    # the incremental reads start at the stored cursor; the reconciliation reads sys_ids alone
    second = servicenow.log[first_requests:]
    reads = [p for _, p in second if p.get("sysparm_fields", "").startswith("sys_id,sys_updated_on")]
    assert reads and all(p["sysparm_query"].startswith("sys_updated_on>=") for p in reads[:1])
    assert any(p.get("sysparm_fields") == "sys_id" for _, p in second)
    systems = dict(rows(db, "SELECT system_id, name FROM systems"))
    assert "APM0000007" not in systems and systems["APM0000099"] == "Probation register"
    assert systems["APM0000002"] == "Case system 2, renamed"
    assert rows(db, "SELECT platform FROM systems WHERE system_id = 'APM0000002'") == [("saas",)]
    assert sorted(rows(db, "SELECT source_system_id, target_system_id FROM interfaces")) == [
        ("APM0000002", "APM0000001"), ("APM0000099", "APM0000001")]  # fmt: skip
    deleted = rows(db, "SELECT record, sheet, message FROM import_issues WHERE code = 'record_deleted' "
                       "AND import_id = (SELECT max(import_id) FROM imports)")  # fmt: skip
    assert {d[0] for d in deleted} == {apps[6], rels[1]}
    assert any("APM0000007" in d[2] and "leaves the current inventory" in d[2] for d in deleted)
    assert rows(db, "SELECT count(*) FROM imports WHERE status = 'current'") == [(1,)]
    # a third sync with nothing changed stores no new import
    again = estate_sync(servicenow, db, tmp_path)
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert rows(db, "SELECT count(*) FROM imports") == [(2,)]


def test_deletions_are_found_at_least_every_nth_sync(servicenow, tmp_path):
    ids = seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"

    def source():
        return servicenow_source(servicenow, tmp_path)

    sync(db, source(), reconcile_every=3)
    servicenow.delete(APPS, ids["apps"][4])
    for _ in range(2):  # the second and third syncs read incrementally: a deletion is not among the records read
        assert sync(db, source(), reconcile_every=3).removed == []
    fourth = sync(db, source(), reconcile_every=3)  # three syncs after the last full list (the first sync's)
    assert fourth.reconciled and fourth.removed == [f"systems/{ids['apps'][4]}"]
    assert "APM0000005" not in {r[0] for r in rows(db, "SELECT system_id FROM systems")}


def test_keyset_paging_reads_records_of_one_second_and_survives_a_deletion_mid_read(servicenow, tmp_path):
    justice = servicenow.add("cmn_department", name="Justice Digital")
    first = servicenow.add(APPS, number="APM0000001", name="A1", department=justice)
    ids = [first] + [servicenow.add(APPS, same_second=True, number=f"APM{i:07d}", name=f"A{i}", department=justice)
                     for i in range(2, 12)]  # fmt: skip  # eleven records updated in one second
    deleted = []

    def delete_once(table, params):
        if table == APPS and "sys_id>" in params.get("sysparm_query", "") and not deleted:
            deleted.append(ids[1])  # a record already read is deleted mid-read: offset paging would skip one
            del servicenow.tables[APPS][ids[1]]

    servicenow.on_page = delete_once
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    summary = sync(db, ServiceNow(servicenow.url, ca_bundle=Path(servicenow.ca_file(tmp_path / "ca.pem")),
                                  environ=CREDENTIALS, page_size=2))  # fmt: skip
    # every record still there was read (none skipped by the deletion), and the deleted one is not stored
    remaining = sorted(r["number"] for r in servicenow.tables[APPS].values())
    assert deleted and len(remaining) == 10 and len(summary.added) == 10
    assert [r[0] for r in rows(db, "SELECT system_id FROM systems ORDER BY 1")] == remaining


def test_an_instance_capping_the_page_below_what_was_asked_is_still_read_whole(servicenow, tmp_path):
    seed(servicenow)
    servicenow.max_limit = 2  # X-Total-Count says how many the query has: the sync goes on past short pages
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    summary = sync(db, servicenow_source(servicenow, tmp_path, page_size=5))
    assert len(summary.added) == 10 and len(rows(db, "SELECT * FROM systems")) == 7


def test_an_instance_that_ignores_the_query_is_an_error_not_a_partial_read(servicenow, tmp_path):
    justice = servicenow.add("cmn_department", name="Justice Digital")
    for i in range(6):  # inserted newest first: insertion order is not (sys_updated_on, sys_id) order
        servicenow.add(APPS, sys_id=f"{9 - i:032x}", number=f"APM{i}", name=f"A{i}", department=justice)
    servicenow.ignore_query = True
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    with pytest.raises(SyncError, match="did not answer in the order or range asked"):
        sync(db, servicenow_source(servicenow, tmp_path, page_size=2))
    assert not db.exists()


def test_bad_credentials_exit_2_and_store_nothing(servicenow, tmp_path):
    seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    assert estate_sync(servicenow, db, tmp_path).returncode == 0
    before = rows(db, "SELECT count(*), max(import_id) FROM imports") + rows(db, "SELECT * FROM sync_sources")
    servicenow.update(APPS, next(iter(servicenow.tables[APPS])), name="changed")
    refused = estate_sync(servicenow, db, tmp_path, env={"SERVICENOW_USERNAME": "estate", "SERVICENOW_PASSWORD": "x"})
    assert refused.returncode == 2
    assert "HTTP 401" in refused.stderr and "SERVICENOW_USERNAME and SERVICENOW_PASSWORD" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert rows(db, "SELECT count(*), max(import_id) FROM imports") + rows(db, "SELECT * FROM sync_sources") == before
    fresh = tmp_path / "fresh.duckdb"
    assert estate_sync(servicenow, fresh, tmp_path, env={}).returncode == 2  # no credentials at all
    assert not fresh.exists()


def test_usage_errors_name_what_to_fix(servicenow, tmp_path):
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    plain = subprocess.run([ESTATE, "sync", "servicenow", "--instance", "http://dept.service-now.com", "--db", str(db)],
                           env=os.environ | CREDENTIALS, capture_output=True, text=True)  # fmt: skip
    assert plain.returncode == 2 and "only https://" in plain.stderr
    untrusted = subprocess.run([ESTATE, "sync", "servicenow", "--instance", servicenow.url, "--db", str(db)],
                               env=os.environ | CREDENTIALS, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert untrusted.returncode == 2 and "--ca-bundle" in untrusted.stderr
    assert not db.exists()
    with pytest.raises(SyncUsageError):
        checked_url("ftp://x", "--instance")
    assert checked_url("http://127.0.0.1:8080/", "--instance") == "http://127.0.0.1:8080"


def test_the_same_data_from_an_export_file_and_from_the_sync_gives_the_same_systems(servicenow, tmp_path):
    ids = seed(servicenow)
    servicenow.start()
    synced = tmp_path / "synced.duckdb"
    assert estate_sync(servicenow, synced, tmp_path).returncode == 0
    # the list exports a person would download: display values, relationships by name
    names = {sys_id: r["name"] for t in servicenow.tables.values() for sys_id, r in t.items() if "name" in r}
    apps = [["Number", "Name", "Department", "Install type", "Business criticality", "Installed", "Technology stack"]]
    for record in servicenow.tables[APPS].values():
        apps.append([record["number"], record["name"], names[record["department"]], record["install_type"],
                     record["business_criticality"], record["install_date"], record["technology_stack"]])  # fmt: skip
    rels = [["Parent", "Type", "Child"]] + [
        [names[r["parent"]], names[r["type"]], names[r["child"]]] for r in servicenow.tables[RELS].values()
    ]
    export = write_xlsx(tmp_path / "export.xlsx", {APPS: apps, RELS: rels})
    exported = tmp_path / "exported.duckdb"
    imported = subprocess.run([ESTATE, "import", str(export), "--profile", "servicenow", "--db", str(exported)],
                              capture_output=True, text=True)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    fields = "system_id, name, department, platform, technology, criticality, go_live_year, end_of_support"
    query = f"SELECT {fields} FROM systems ORDER BY system_id"
    assert rows(synced, query) == rows(exported, query) and len(rows(synced, query)) == len(ids["apps"])
    links = "SELECT source_system_id, target_system_id FROM interfaces ORDER BY 1, 2"
    assert rows(synced, links) == rows(exported, links)


def test_a_record_with_an_error_is_located_by_its_sys_id_and_nothing_is_stored(servicenow, tmp_path):
    seed(servicenow)
    broken = servicenow.add(APPS, number="", name="No number")
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    done = estate_sync(servicenow, db, tmp_path)
    assert done.returncode == 1
    assert f"servicenow-127.0.0.1-{servicenow.url.rsplit(':', 1)[1]}.xlsx:{APPS}:{broken}:number:" in done.stderr
    assert "Nothing was stored" in done.stderr and not rows(db, "SELECT * FROM systems") if db.exists() else True


def test_a_failing_instance_stores_nothing_and_keeps_the_last_sync(servicenow, tmp_path):
    ids = seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"

    def make():
        return servicenow_source(servicenow, tmp_path, sleep=lambda seconds: None)

    sync(db, make())
    before = rows(db, "SELECT system_id, name FROM systems ORDER BY 1")
    servicenow.update(APPS, ids["apps"][0], name="changed")
    servicenow.fail_table = RELS  # the applications read, then the relationships answer 500 every time
    with pytest.raises(SyncError, match="HTTP 500"):
        sync(db, make())
    assert rows(db, "SELECT system_id, name FROM systems ORDER BY 1") == before
    servicenow.fail_table = ""
    assert sync(db, make()).updated == [f"systems/{ids['apps'][0]}"]  # the cursor did not move past the failure


def test_each_synced_row_leads_to_its_record_and_update_time(servicenow, tmp_path):
    ids = seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    sync(db, ServiceNow(servicenow.url, ca_bundle=Path(servicenow.ca_file(tmp_path / "ca.pem")), environ=CREDENTIALS))
    with connect(db, read_only=True) as connection:
        file, sheet, row = connection.execute(
            "SELECT source_file, source_sheet, source_row FROM systems WHERE system_id = 'APM0000001'"
        ).fetchone()
        found = record_provenance(connection, file, sheet, row)
        statuses = source_status(connection)
    record = servicenow.tables[APPS][ids["apps"][0]]
    assert found == {"source": f"servicenow {servicenow.url}", "table": APPS, "record_id": ids["apps"][0],
                     "updated_on": record["sys_updated_on"]}  # fmt: skip
    assert statuses[0].records == 10 and statuses[0].changes == {"added": 10, "updated": 0, "removed": 0}
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=30)
    old = source_status(duckdb.connect(str(db), read_only=True))
    assert old[0].stale(later) and not old[0].stale()


def test_sync_analyse_status_report_and_verify(servicenow, tmp_path):
    seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    done = estate_sync(servicenow, db, tmp_path, "--analyse")
    assert done.returncode == 0 and "Analysis re-run" in done.stdout, done.stderr
    assert rows(db, "SELECT count(*) FROM system_assessment") == [(7,)]
    status = subprocess.run([ESTATE, "sync", "status", "--db", str(db)], capture_output=True, text=True)
    assert status.returncode == 0 and "10 records" in status.stdout and "STALE" not in status.stdout
    stale = subprocess.run([ESTATE, "sync", "status", "--db", str(db), "--stale-after", "0"], capture_output=True,
                           text=True)  # fmt: skip
    assert stale.returncode == 1 and "STALE" in stale.stdout
    out = tmp_path / "report"
    made = subprocess.run([ESTATE, "report", "--db", str(db), "--out", str(out)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    html = (out / "report.html").read_text()
    assert "Live sources" in html and f"ServiceNow {servicenow.url}" in html and "10 added" in html
    checked = subprocess.run([ESTATE, "verify", str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr  # the synced workbook reruns to the byte


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["add", "rename", "delete"]), st.integers(0, 50)), max_size=8))
def test_after_any_changes_a_reconciled_sync_holds_exactly_the_servers_applications(servicenow, tmp_path, changes):
    if not hasattr(servicenow, "httpd"):
        seed(servicenow, apps=4)
        servicenow.start()
    db = tmp_path / f"estate-{len(servicenow.log)}.duckdb"

    def make():
        return servicenow_source(servicenow, tmp_path)

    sync(db, make())
    for action, n in changes:
        present = sorted(servicenow.tables[APPS])
        if action == "add":
            department = next(iter(servicenow.tables["cmn_department"]))
            servicenow.add(APPS, number=f"APM9{servicenow._ids + 1:06d}", name=f"New {n}", department=department)
        elif present and action == "rename":
            servicenow.update(APPS, present[n % len(present)], name=f"Renamed {n}")
        elif len(present) > 1 and action == "delete":
            servicenow.delete(APPS, present[n % len(present)])
    sync(db, make(), reconcile=True)
    expected = sorted((r["number"], r["name"]) for r in servicenow.tables[APPS].values())
    assert rows(db, "SELECT system_id, name FROM systems ORDER BY 1") == expected


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("3", 1) == 3.0
    soon = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 25 <= retry_after(soon, 1) <= 31
    assert retry_after(None, 3) == 8.0 and retry_after("garbage", 1) == 2.0


def test_every_takes_an_interval_and_refuses_nonsense(tmp_path):
    from app.cli_sync import interval_seconds

    assert interval_seconds("1h") == 3600 and interval_seconds("30m") == 1800 and interval_seconds("1d") == 86400
    bad = subprocess.run([ESTATE, "sync", "servicenow", "--instance", "https://x.service-now.com", "--every", "soon",
                          "--db", str(tmp_path / "e.duckdb")], capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "--every" in bad.stderr


# -- LeanIX ---------------------------------------------------------------------------------------------------
def leanix_seed(server: LeanIXServer) -> dict[str, object]:
    oracle = server.add("ITComponent", "Oracle Database 11g")
    apps = [
        server.add("Application", f"Benefits app {i}", businessCriticality="missionCritical" if i == 1 else
                   "businessOperational", lifecycle={"asString": "phaseOut" if i < 3 else "active", "phases": [
                       {"phase": "active", "startDate": f"200{i}-04-01"}, {"phase": "endOfLife",
                                                                          "startDate": "2027-03-31"}]},
                   itComponents=[(oracle, 120000.0), (oracle, 30000.5)] if i < 4 else [])
        for i in range(1, 6)
    ]  # fmt: skip
    feed = server.add("Interface", "Claims feed", provider=[apps[0]], consumers=[apps[1], apps[2]])
    return {"apps": apps, "feed": feed, "oracle": oracle}


def leanix_sync(server, db: Path, tmp: Path, *extra: str, token: str = "lx-token") -> subprocess.CompletedProcess:
    ca = server.ca_file(tmp / "ca.pem")
    command = [ESTATE, "sync", "leanix", "--workspace", server.url, "--db", str(db), "--ca-bundle", ca, *extra]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEANIX_")} | {"LEANIX_API_TOKEN": token}
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=180)


@pytest.fixture
def leanix():
    server = LeanIXServer()
    yield server
    if hasattr(server, "httpd"):
        server.stop()


def test_leanix_full_then_incremental_sync(leanix, tmp_path):
    ids = leanix_seed(leanix)
    leanix.throttle_every = 4
    leanix.start()
    db = tmp_path / "estate.duckdb"
    done = leanix_sync(leanix, db, tmp_path, "--page-size", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["throttled"] == leanix.throttled > 0
    apps = ids["apps"]
    systems = rows(db, "SELECT system_id, name, criticality, go_live_year, end_of_support, lifecycle_status "
                       "FROM systems ORDER BY name")  # fmt: skip
    assert [s[1] for s in systems] == [f"Benefits app {i}" for i in range(1, 6)]
    assert systems[0] == (apps[0], "Benefits app 1", 5, 2001, datetime(2027, 3, 31).date(), "phaseOut")
    # an Interface's data flows from its provider to each consumer
    assert sorted(rows(db, "SELECT source_system_id, target_system_id FROM interfaces")) == sorted(
        [(apps[0], apps[1]), (apps[0], apps[2])])  # fmt: skip
    costs = dict(rows(db, "SELECT system_id, amount_gbp FROM costs"))
    assert costs == {apps[0]: 150000.5, apps[1]: 150000.5, apps[2]: 150000.5}  # no relation cost: no line, not £0
    nodes_first = sum(1 for r in leanix.log if "TrashBin" not in r["query"])
    leanix.update(apps[3], name="Benefits app 4, renamed")
    leanix.archive(apps[4])
    new = leanix.add("Application", "Appeals tracker")
    done = leanix_sync(leanix, db, tmp_path, "--page-size", "2", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == [f"systems/{new}"] and report["updated"] == [f"systems/{apps[3]}"]
    assert report["removed"] == [f"systems/{apps[4]}"]
    names = {r[0] for r in rows(db, "SELECT name FROM systems")}
    assert "Benefits app 5" not in names and {"Appeals tracker", "Benefits app 4, renamed"} <= names
    # newest first, so the second sync stopped early: fewer application pages than the first read
    application_pages = [r for r in leanix.log if "factSheetType: Application" in r["query"] and "TrashBin" not in
                         r["query"]]  # fmt: skip
    assert len(application_pages) < 2 * nodes_first
    assert all("sort:" in r["query"] for r in application_pages)


def test_leanix_graphql_errors_are_errors_and_store_nothing(leanix, tmp_path):
    leanix_seed(leanix)
    leanix.schema = __import__("graphql").build_schema(
        __import__("tests.servers.leanix", fromlist=["SDL"]).SDL.replace("businessCriticality: String, ", "")
    )
    leanix.schema.type_map["BaseFactSheet"].resolve_type = lambda obj, *_: obj["type"]
    leanix.start()
    db = tmp_path / "estate.duckdb"
    done = leanix_sync(leanix, db, tmp_path)
    assert (
        done.returncode == 1 and "GraphQL API answered errors" in done.stderr and "businessCriticality" in done.stderr
    )
    assert not db.exists() or rows(db, "SELECT count(*) FROM systems") == [(0,)]


def test_leanix_bad_token_exits_2(leanix, tmp_path):
    leanix_seed(leanix)
    leanix.start()
    db = tmp_path / "estate.duckdb"
    done = leanix_sync(leanix, db, tmp_path, token="wrong")
    assert done.returncode == 2 and "LEANIX_API_TOKEN" in done.stderr and not db.exists()


def test_leanix_workspace_without_sort_is_read_completely(tmp_path):
    server = LeanIXServer(sortable=False)
    ids = leanix_seed(server)
    server.start()
    try:
        db = tmp_path / "estate.duckdb"

        def make():
            ca = Path(server.ca_file(tmp_path / "ca.pem"))
            return LeanIX(server.url, ca_bundle=ca, environ={"LEANIX_API_TOKEN": "lx-token"}, page_size=2)

        assert len(sync(db, make()).added) == 6
        server.update(ids["apps"][0], name="First, renamed")  # the oldest: an early stop would miss it
        assert sync(db, make()).updated == [f"systems/{ids['apps'][0]}"]
    finally:
        server.stop()


def test_a_sync_refused_for_its_data_raises_located_issues(servicenow, tmp_path):
    servicenow.add(APPS, number="APM1", name="")  # a name is required
    servicenow.start()
    with pytest.raises(ImportRejected) as rejected:
        sync(tmp_path / "e.duckdb", ServiceNow(servicenow.url, ca_bundle=Path(servicenow.ca_file(tmp_path / "c.pem")),
                                               environ=CREDENTIALS))  # fmt: skip
    assert any(i.record and i.column == "name" for i in rejected.value.issues)


def test_the_app_shows_each_source_and_warns_when_it_is_stale(servicenow, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from pipeline.run import analyse
    from pipeline.settings import AnalysisSettings

    seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    sync(db, servicenow_source(servicenow, tmp_path))
    analyse(db, AnalysisSettings(as_of=datetime.now(UTC).date(), draws=50))
    pages = Path(__file__).parents[1] / "app"
    monkeypatch.setenv("ESTATE_DB", str(db))
    monkeypatch.setenv("ESTATE_STALE_HOURS", "24")
    quality = AppTest.from_file(str(pages / "pages" / "6_Data_quality.py"), default_timeout=120).run()
    assert not quality.exception
    assert "Live sources" in [h.value for h in quality.subheader]
    shown = quality.dataframe[0].value
    assert list(shown["Source"]) == [f"servicenow {servicenow.url}"] and list(shown["Records"]) == [10]
    assert "10 added, 0 updated, 0 removed" in shown["Last change"].iloc[0] and not shown["Stale"].iloc[0]
    assert not quality.warning
    overview = AppTest.from_file(str(pages / "Overview.py"), default_timeout=120).run()
    assert any(f"Live source servicenow {servicenow.url}" in c.value for c in overview.caption)
    monkeypatch.setenv("ESTATE_STALE_HOURS", "0")
    stale = AppTest.from_file(str(pages / "Overview.py"), default_timeout=120).run()
    assert any("was last synced" in w.value and "estate sync" in w.value for w in stale.warning)


def test_every_keeps_syncing_until_stopped(servicenow, tmp_path):
    import time

    seed(servicenow)
    servicenow.start()
    db = tmp_path / "estate.duckdb"
    ca = servicenow.ca_file(tmp_path / "ca.pem")
    command = [ESTATE, "sync", "servicenow", "--instance", servicenow.url, "--db", str(db), "--ca-bundle", ca,
               "--every", "1s"]  # fmt: skip
    process = subprocess.Popen(command, env=os.environ | CREDENTIALS, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        syncs = 0
        while time.monotonic() < deadline and syncs < 3:
            time.sleep(0.5)
            try:
                syncs = rows(db, "SELECT syncs FROM sync_sources")[0][0]
            except (duckdb.Error, IndexError):  # not written yet, or the sync holds the store's lock
                continue
        assert syncs >= 3 and process.poll() is None  # still running, a round every second
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert rows(db, "SELECT count(*) FROM imports") == [(1,)]  # nothing changed after the first round
