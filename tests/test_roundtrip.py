"""Property: any valid inventory written with openpyxl imports and reads back with the same values."""

from __future__ import annotations

import tempfile
import unicodedata
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from estate.cleaning import is_blank
from estate.store import import_files
from tests.conftest import write_xlsx

TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u00a0"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s == " ".join(s.split()) and not is_blank(s) and s[0] not in "=")

ROW = st.fixed_dictionaries(
    {
        "name": TEXT,
        "department": TEXT,
        "platform": st.sampled_from(["mainframe", "on_premises", "private_cloud", "public_cloud", "saas", None]),
        "go_live_year": st.one_of(st.none(), st.integers(1950, 2030)),
        "end_of_support": st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2060, 12, 31))),
        "criticality": st.one_of(st.none(), st.integers(1, 5)),
        "users": st.one_of(st.none(), st.integers(0, 10**9)),
        "support_fte": st.one_of(st.none(), st.floats(0, 1000, allow_nan=False)),
        "replacement_cost_estimate_gbp": st.one_of(st.none(), st.floats(0, 1e10, allow_nan=False)),
    }
)

FLOATS = ("support_fte", "replacement_cost_estimate_gbp")
HEADERS = {
    "system_id": "System ID",
    "name": "Name",
    "department": "Department",
    "platform": "Platform",
    "go_live_year": "Go-live year",
    "end_of_support": "End of support",
    "criticality": "Criticality",
    "users": "Users",
    "support_fte": "Support FTE",
    "replacement_cost_estimate_gbp": "Replacement cost estimate (£)",
}


def _as_stored(system_id: str) -> str:
    """An ID as estate keeps it: Unicode NFKC, invisible format characters removed (estate.cleaning)."""
    return unicodedata.normalize("NFKC", system_id).strip()


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=15), st.data())
def test_written_workbook_reads_back_the_same(rows, data):
    ids = data.draw(st.lists(TEXT, min_size=len(rows), max_size=len(rows), unique_by=str))
    assume(len(set(map(_as_stored, ids))) == len(ids))  # IDs that are one ID once normalised are duplicates
    records = [{"system_id": system_id, **row} for system_id, row in zip(ids, rows, strict=True)]
    sheet = [list(HEADERS.values())] + [[record[k] for k in HEADERS] for record in records]
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(Path(folder) / "roundtrip.xlsx", {"Systems": sheet})
        db = Path(folder) / "e.duckdb"
        import_files(db, [path])
        with duckdb.connect(str(db), read_only=True) as connection:
            stored = connection.execute(
                f"SELECT {', '.join(HEADERS)}, end_of_support_derived FROM systems ORDER BY source_row"
            ).fetchall()
    assert len(stored) == len(records)
    for record, row in zip(records, stored, strict=True):
        read = dict(zip(HEADERS, row[:-1], strict=True))
        for name in FLOATS:  # Excel keeps 15 significant digits; the reader keeps 9 decimal places
            got, expected = read.pop(name), record.pop(name)
            assert got == (None if expected is None else pytest.approx(expected, rel=1e-14, abs=1e-9))
        assert read == {**record, "system_id": _as_stored(record["system_id"])}
        assert row[-1] is False
