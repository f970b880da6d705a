"""Faults: a killed import, random bytes and cell values, unwritable places. Nothing stored is ever lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ESTATE, run_estate, snapshot, systems_rows, write_xlsx


def _big_workbook(path: Path, rows: int) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Systems")
    sheet.write_row(0, 0, ["System ID", "Name", "Department", "Technology", "Users"])
    for i in range(1, rows + 1):
        sheet.write_row(i, 0, [f"K{i:07d}", f"System {i}", f"Dept {i % 9}", "COBOL", i])
    book.close()
    return path


def test_a_killed_import_leaves_the_database_as_it_was(tmp_path, good_workbook):
    db = tmp_path / "e.duckdb"
    assert run_estate("import", str(good_workbook), "--db", str(db)).returncode == 0
    before = snapshot(db)
    big = _big_workbook(tmp_path / "big.xlsx", 200_000)
    outcomes = set()
    for delay in (0.3, 0.8, 1.3, 1.8, 2.4):
        process = subprocess.Popen(
            [ESTATE, "import", str(big), "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = snapshot(db)  # opens (and recovers) the database: it must be readable
        if after == before:
            outcomes.add("unchanged")
        else:
            outcomes.add("complete")
            assert len(after["systems"]) == len(before["systems"]) + 200_000
            break
    assert outcomes <= {"unchanged", "complete"}


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([".xlsx", ".csv"]))
def test_random_bytes_are_refused_cleanly(tmp_path, data, suffix):
    from estate.issues import ImportRejected
    from estate.store import import_files

    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    db = tmp_path / "fuzz.duckdb"
    before = snapshot(db)
    try:
        import_files(db, [path])
    except ImportRejected as rejected:
        assert all(issue.file == path.name for issue in rejected.issues)
        assert snapshot(db) == before
    else:
        assert suffix == ".csv"  # only text can be a valid inventory


CELL = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=15).filter(lambda s: not s.startswith("=")),
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    st.lists(st.lists(CELL, min_size=7, max_size=7), min_size=1, max_size=8),
    st.permutations(["System ID", "Name", "Department", "Platform", "End of support", "Users", "Criticality"]),
)
def test_random_cells_import_or_fail_with_a_located_error(tmp_path, rows, headers):
    from estate.issues import ImportRejected, Severity
    from estate.store import import_files

    path = write_xlsx(tmp_path / "cells.xlsx", {"Systems": [list(headers), *rows]})
    db = tmp_path / "cells.duckdb"
    db.unlink(missing_ok=True)
    try:
        import_files(db, [path])
    except ImportRejected as rejected:
        errors = [i for i in rejected.issues if i.severity is Severity.ERROR]
        assert errors and all(i.file == "cells.xlsx" and i.message for i in errors)
        assert all(
            i.row is not None for i in errors if i.code.value not in ("missing_column", "no_header", "empty_file")
        )
        assert not db.exists() or snapshot(db).get("systems", []) == []


@pytest.mark.parametrize("command", ["template", "sample", "graph", "export", "report"])
def test_an_unwritable_output_gives_a_clear_error(tmp_path, command):
    target = tmp_path / "no-such-folder" / "sub" / ("out" if command == "report" else "out.xlsx")
    if command == "graph":
        target = target.with_suffix(".json")
    db = tmp_path / "e.duckdb"
    run_estate("import", str(write_xlsx(tmp_path / "i.xlsx", {"Systems": systems_rows(3)})), "--db", str(db))
    run_estate("analyse", "--db", str(db), "--draws", "10")
    (tmp_path / "no-such-folder").write_text("a file where a folder should be")
    args = [command, "--out", str(target)] + ([] if command in ("template", "sample") else ["--db", str(db)])
    result = run_estate(*args)
    assert result.returncode == 1, result.stderr
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_a_read_only_database_gives_a_clear_error(tmp_path, good_workbook):
    db = tmp_path / "e.duckdb"
    assert run_estate("import", str(good_workbook), "--db", str(db)).returncode == 0
    code = (
        "import duckdb, sys; from pathlib import Path; from estate.store import connect, StoreError\n"
        "c = duckdb.connect(sys.argv[1]); print('holding', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        other = write_xlsx(tmp_path / "o.xlsx", {"Systems": systems_rows(1, prefix="O")})
        result = run_estate("import", str(other), "--db", str(db))
        assert result.returncode == 1 and "in use" in result.stderr
        assert run_estate("analyse", "--db", str(db)).returncode == 1
    finally:
        holder.kill()
        holder.wait()


def _full_disk():
    """In the child: files may not grow past 4 KB, as on a nearly full disk (writes fail with EFBIG)."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


@pytest.mark.parametrize("command", ["template", "sample", "graph", "export", "report"])
def test_a_full_disk_gives_a_clear_error_and_leaves_no_partial_file(tmp_path, command):
    db = tmp_path / "e.duckdb"
    sample = tmp_path / "sample.xlsx"
    assert run_estate("sample", "--out", str(sample), "--systems", "60").returncode == 0
    assert run_estate("import", str(sample), "--db", str(db)).returncode == 0
    assert run_estate("analyse", "--db", str(db), "--draws", "10").returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    target = out / {"graph": "g.graphml", "report": "report"}.get(command, "out.xlsx")
    if command == "report":  # an earlier report stays as it was
        assert run_estate("report", "--db", str(db), "--out", str(target), "--no-pdf").returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    args = [command, "--out", str(target)] + ([] if command in ("template", "sample") else ["--db", str(db)])
    if command == "sample":
        args += ["--systems", "2000"]
    result = subprocess.run(
        [ESTATE, *args], capture_output=True, text=True, preexec_fn=_full_disk, timeout=300, cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    assert "cannot write" in result.stderr and "File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # nothing new, nothing partial
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file or folder left
