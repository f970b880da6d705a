"""Hostile input and faults, round two (issue 30): files built to exhaust the reader, and faults that must be messages.

Every hostile file is generated here, byte by byte, as an attacker would write it (no spreadsheet
program would): the sheet XML is ours, so cell references, dimensions and shared strings can be
anything.
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estate.extent import ExtentProblem, ExtentScan
from estate.isolation import validate_file_isolated
from estate.readers import FileProblem, read_file
from estate.store import StoreError, connect, import_files
from tests.conftest import run_estate, snapshot, systems_rows, write_xlsx

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Systems" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>System ID</t></is></c><c r="B1" t="inlineStr"><is><t>Name</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Department</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c><c r="B2" t="inlineStr"><is><t>One</t></is></c>'
    '<c r="C2" t="inlineStr"><is><t>D</t></is></c></row>'
)


def hand_made_workbook(path: Path, cells: str, dimension: str = "", shared: list[str] = ()) -> Path:
    """Write a minimal workbook whose one sheet's <sheetData> is `cells`, exactly as given."""
    strings = "".join(f"<si><t>{s}</t></si>" for s in shared)
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        f' count="{len(shared)}" uniqueCount="{len(shared)}">{strings}</sst>'
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        f'main">{dimension}<sheetData>{cells}</sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", sst)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def _cell(ref: str, text: str = "x", tag: str = "c") -> str:
    return f'<{tag} r="{ref}" t="inlineStr"><is><t>{text}</t></is></{tag}>'


FAR = {  # name: (sheetData after the header, <dimension>, what the error says)
    "last_cell_small_dimension": (
        f'<row r="1048576">{_cell("XFD1048576")}</row>',
        '<dimension ref="A1"/>',
        "XFD1048576",
    ),
    "last_cell_no_dimension": (f'<row r="1048576">{_cell("XFD1048576")}</row>', "", "17,179,869,184 cells"),
    "row_number_past_the_last_row": (f'<row r="99999999999">{_cell("A99999999999")}</row>', "", "A99999999999"),
    "cell_in_a_row_it_does_not_name": (f'<row r="3">{_cell("A99999999")}</row>', "", "A99999999"),
    "column_past_xfd": (f'<row r="3">{_cell("ZZZZZ3")}</row>', "", "ZZZZZ3"),
    "column_just_past_xfd": (f'<row r="3">{_cell("XFE3")}</row>', "", "XFE3"),
    "not_a_reference": (f'<row r="3">{_cell("A-1")}</row>', "", "A-1"),
    "namespace_prefixed_far_cell": (
        f'<x:row r="1048576">{_cell("XFD1048576", tag="x:c")}</x:row>',
        "",
        "17,179,869,184 cells",
    ),
    "unreferenced_cells_after_a_far_row": (
        '<row r="1048000">' + '<c t="inlineStr"><is><t>x</t></is></c>' * 200 + "</row>",
        "",
        "212,744,000 cells",
    ),
    "unreferenced_rows_after_the_last_row": (
        f'<row r="1048576">{_cell("A1048576")}</row>' + "<row><c/></row>" * 3,
        "",
        "1048579, past",
    ),
}


@pytest.mark.parametrize("case", FAR)
def test_a_tiny_workbook_with_a_far_or_impossible_cell_gets_a_located_error_at_once(tmp_path, case):
    cells, dimension, said = FAR[case]
    path = hand_made_workbook(tmp_path / f"{case}.xlsx", HEADER + cells, dimension)
    assert path.stat().st_size < 10_000
    db = tmp_path / "e.duckdb"
    started = time.monotonic()
    result = run_estate("import", str(path), "--db", str(db), "--json")
    assert time.monotonic() - started < 60  # a guard against a hang, not a timing target
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (issue,) = json.loads(result.stdout)["issues"]
    assert issue["file"] == path.name and issue["sheet"] == "Systems" and issue["code"] == "too_large"
    assert said in issue["message"]
    assert not db.exists()


def test_the_extent_scan_finds_the_grid_a_reader_would_build_whatever_the_chunking():
    xml = (HEADER + f'<row r="9">{_cell("AB9")}</row><x:row r="12"><x:c r="C12"/></x:row>').encode()
    for size in (1, 7, 64, len(xml)):
        scan = ExtentScan()
        for start in range(0, len(xml), size):
            scan.feed(xml[start : start + size])
        extent = scan.finish()
        assert (extent.first_row, extent.last_row, extent.first_column, extent.last_column) == (1, 12, 1, 28)
    with pytest.raises(ExtentProblem, match="ABCD1"):
        scan = ExtentScan()
        scan.feed(f'<row r="1">{_cell("ABCD1")}</row>'.encode())
        scan.finish()


REFERENCE = st.one_of(
    st.from_regex(r"\A[A-Z]{1,3}[1-9][0-9]{0,6}\Z"),  # well-formed, near or past the limits
    st.from_regex(r"\A[A-Z]{0,5}[0-9]{0,12}\Z"),  # anything a reference-shaped string can be
    st.text("AZ019:-$ ", max_size=12),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    refs=st.lists(REFERENCE, min_size=1, max_size=6),
    dimension=st.one_of(st.just(""), REFERENCE.map(lambda r: f'<dimension ref="{r}"/>')),
    shared=st.lists(st.text("abc", max_size=5), max_size=3),
    shared_index=st.integers(0, 10**9),
)
def test_fuzzed_workbook_structure_imports_or_gets_a_located_error_in_bounded_time_and_memory(
    tmp_path, refs, dimension, shared, shared_index
):
    rows = "".join(f'<row r="{3 + i}">{_cell(ref)}</row>' for i, ref in enumerate(refs))
    rows += f'<row r="{4 + len(refs)}"><c r="A{4 + len(refs)}" t="s"><v>{shared_index}</v></c></row>'
    path = hand_made_workbook(tmp_path / "fuzz.xlsx", HEADER + rows, dimension, shared)
    started = time.monotonic()
    result = validate_file_isolated(path, memory=3 * 1024**3, seconds=60)  # a crash costs this child only
    assert time.monotonic() - started < 60
    for issue in result.issues:
        assert issue.file == "fuzz.xlsx"
        assert "crashed the reader" not in issue.message and "longer than" not in issue.message, issue.message


def test_an_upload_the_reader_cannot_survive_costs_only_its_child(tmp_path):
    """The app reads uploads isolated: out of memory or time is a located error, and this process goes on."""
    rows = [["System ID", "Name", "Department"]] + [[f"S{i}", "n" * 40, "D"] for i in range(30_000)]
    path = write_xlsx(tmp_path / "big.xlsx", {"Systems": rows})
    starved = validate_file_isolated(path, memory=1024**3, seconds=60)
    assert starved.tables == {} and "more than 1.0 GiB of memory" in starved.issues[0].message
    hurried = validate_file_isolated(path, seconds=0.05)
    assert "longer than 0 s" in hurried.issues[0].message
    fine = validate_file_isolated(path)
    assert fine.rows("systems") == 30_000 and fine.ok


def test_the_import_page_reads_a_hostile_upload_in_a_child_and_shows_its_located_error(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_app import PAGES

    db = tmp_path / "e.duckdb"
    monkeypatch.setenv("ESTATE_DB", str(db))
    far = hand_made_workbook(tmp_path / "far.xlsx", HEADER + FAR["last_cell_no_dimension"][0])
    at = AppTest.from_file(str(PAGES["Import"]), default_timeout=120).run()
    at.file_uploader[0].set_value(("far.xlsx", far.read_bytes(), "application/octet-stream")).run()
    assert not at.exception
    assert "Nothing has been stored" in at.error[0].value
    assert "17,179,869,184 cells" in " ".join(at.dataframe[-1].value["message"])
    assert not db.exists()


def test_an_analysis_that_fails_stores_none_of_its_import(tmp_path, monkeypatch):
    from pipeline import run

    db = tmp_path / "e.duckdb"
    first = write_xlsx(tmp_path / "a.xlsx", {"Systems": systems_rows(3)})
    run.import_and_analyse(db, [first])
    before = snapshot(db)

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run, "compute", broken)  # the fault, injected where the analysis runs
    second = write_xlsx(tmp_path / "b.xlsx", {"Systems": systems_rows(2, prefix="T")})
    with pytest.raises(OSError, match="No space left"):
        run.import_and_analyse(db, [second])
    assert snapshot(db) == before  # neither the import nor any result changed


def test_a_damaged_store_is_a_message_not_a_traceback(tmp_path):
    db = tmp_path / "e.duckdb"
    import_files(db, [write_xlsx(tmp_path / "a.xlsx", {"Systems": systems_rows(2)})])
    with duckdb.connect(str(db)) as connection:
        connection.execute("UPDATE estate_meta SET value = 'garbage' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="garbage"), connect(db, read_only=True):
        pass
    result = run_estate("validate", "--db", str(db))
    assert "Traceback" not in result.stderr
    truncated = tmp_path / "t.duckdb"
    truncated.write_bytes(db.read_bytes()[:5000])
    result = run_estate("rank", "--db", str(truncated))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "t.duckdb" in result.stderr


def test_reader_refuses_before_laying_out(tmp_path):
    path = hand_made_workbook(
        tmp_path / "far.xlsx", HEADER + FAR["last_cell_small_dimension"][0], '<dimension ref="A1"/>'
    )
    with pytest.raises(FileProblem, match="17,179,869,184"):
        read_file(path)


def test_the_store_can_be_read_while_an_analysis_runs(tmp_path):
    """The Monte Carlo runs on a read-only connection: other processes read the store meanwhile."""
    import subprocess
    import sys

    from estate.sample import write_sample

    workbook = tmp_path / "sample.xlsx"
    write_sample(workbook, systems=300, seed=3)
    db = tmp_path / "e.duckdb"
    import_files(db, [workbook])
    estate = str(Path(sys.executable).with_name("estate"))
    analysis = subprocess.Popen(
        [estate, "analyse", "--db", str(db), "--draws", "4000", "--as-of", "2026-11-25"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    reads = 0
    while analysis.poll() is None:
        try:
            with duckdb.connect(str(db), read_only=True) as connection:
                reads += connection.execute("SELECT count(*) FROM systems").fetchone()[0] == 300
        except duckdb.IOException:
            pass  # the short final write holds the lock
        time.sleep(0.2)
    assert analysis.returncode == 0, analysis.stderr.read()
    assert reads >= 3


def test_unbounded_or_non_finite_options_are_refused_with_a_message(tmp_path):
    db = tmp_path / "e.duckdb"
    import_files(db, [write_xlsx(tmp_path / "a.xlsx", {"Systems": systems_rows(3)})])
    assert run_estate("analyse", "--db", str(db), "--draws", "10").returncode == 0
    huge = run_estate("analyse", "--db", str(db), "--draws", "1000000000")
    assert huge.returncode == 2 and "--draws" in huge.stderr
    for weights in ("hidden_cost=nan", "hidden_cost=inf", "risk=-1"):
        result = run_estate("rank", "--db", str(db), "--weights", weights)
        assert result.returncode != 0 and "finite number" in result.stderr and "Traceback" not in result.stderr


def test_text_in_an_encoding_estate_cannot_read_is_a_located_error_not_garbled(tmp_path):
    path = tmp_path / "japanese.csv"
    path.write_bytes("システムID,名前,部署\nS1,会計システム,財務\n".encode("shift_jis"))
    with pytest.raises(FileProblem, match="looks like cp932"):
        read_file(path)


def test_an_invisible_character_cannot_make_a_duplicate_id_look_unique(tmp_path):
    from estate.issues import ImportRejected

    path = tmp_path / "ids.csv"
    path.write_text("System ID,Name,Department\nS-1,One,D\nS-1\u200b,Two,D\n\uff33-1,Three,D\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        import_files(tmp_path / "e.duckdb", [path])
    assert [i.row for i in rejected.value.issues if i.code.value == "duplicate_id"] == [3, 4]


def test_nested_parquet_columns_and_deeply_nested_toml_are_messages(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"system_id": ["a"], "name": ["n"], "department": ["d"], "tags": [[1, 2]]}), nested)
    with pytest.raises(FileProblem, match="column 'tags' holds nested values"):
        read_file(nested)
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    csv = write_xlsx(tmp_path / "a.xlsx", {"Systems": systems_rows(2)})
    result = run_estate("import", str(csv), "--mapping", str(deep), "--db", str(tmp_path / "e.duckdb"))
    assert result.returncode == 2 and "nested too deeply" in result.stderr and "Traceback" not in result.stderr


def test_an_estate_whose_money_cannot_sum_exactly_is_refused_and_nothing_stored(tmp_path):
    systems = write_xlsx(tmp_path / "s.xlsx", {"Systems": systems_rows(3)})
    lines = [["System ID", "FY", "Category", "Amount"]] + [["S1", "2024-25", "licence", 9.9e11]] * 1000
    costs = write_xlsx(tmp_path / "c.xlsx", {"Costs": lines})
    db = tmp_path / "e.duckdb"
    import_files(db, [systems])
    before = snapshot(db)
    result = run_estate("import", str(costs), "--db", str(db))
    assert result.returncode == 1 and "estate sums exactly" in result.stderr
    assert snapshot(db) == before
    scaled = tmp_path / "scaled.csv"
    scaled.write_text("System ID,Name,Department,Replacement cost estimate (£m)\nS9,Nine,D,900000000\n")
    result = run_estate("import", str(scaled), "--db", str(db), "--json")
    (issue,) = [i for i in json.loads(result.stdout)["issues"] if i["code"] == "out_of_range"]
    assert issue["row"] == 2 and "in pounds" in issue["message"]


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (make test installs it)")
def test_the_app_serves_other_users_while_a_hostile_workbook_is_uploaded(tmp_path):
    """A real server and browser: one user uploads workbooks built to exhaust the reader, another reads Overview."""
    from datetime import date

    from playwright.sync_api import sync_playwright

    from estate.sample import write_sample
    from pipeline.run import analyse
    from pipeline.settings import AnalysisSettings
    from tests.browser import CHROMIUM_FLAGS, running_app

    workbook = tmp_path / "sample.xlsx"
    write_sample(workbook, systems=40, seed=2)
    db = tmp_path / "e.duckdb"
    import_files(db, [workbook])
    analyse(db, AnalysisSettings(date(2026, 11, 25), draws=50))
    far = hand_made_workbook(tmp_path / "far.xlsx", HEADER + FAR["last_cell_no_dimension"][0])
    row = hand_made_workbook(tmp_path / "row.xlsx", HEADER + FAR["row_number_past_the_last_row"][0])
    with running_app(db) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        uploader, reader = browser.new_page(), browser.new_page()
        uploader.goto(url + "Import", timeout=60_000)
        inventory = uploader.get_by_role("region", name="Inventory files")  # not the profile's uploader below it
        inventory.locator("input[type=file]").set_input_files([str(far), str(row)])
        reader.goto(url, timeout=60_000)  # while the upload is being read
        reader.get_by_text("Hidden annual cost (expected)").first.wait_for(timeout=60_000)
        uploader.get_by_text("Nothing has been stored").first.wait_for(timeout=60_000)
        reader.reload()
        reader.get_by_text("Hidden annual cost (expected)").first.wait_for(timeout=60_000)  # the server is up
        browser.close()
