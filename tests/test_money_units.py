"""Money in other units and currencies: honoured from the header, converted at a recorded rate, never ignored."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from estate.issues import ImportRejected
from estate.mapping import MappingProfile, money_unit
from estate.store import import_files
from estate.validation import header_financial_year
from tests.conftest import write_xlsx

REAL = Path(__file__).parents[2] / "shared" / "real-inventories"


@pytest.mark.parametrize(
    ("header", "multiplier", "currency"),
    [
        ("Annual cost (£k)", 1e3, None), ("Run cost £m", 1e6, None), ("Total FY2021 Spending ($M)", 1e6, "USD"),
        ("Spend (USD)", 1.0, "USD"), ("Spend (USD) (thousands)", 1e3, "USD"), ("Cost (millions)", 1e6, None),
        ("Cost (€m)", 1e6, "EUR"), ("Annual cost (£)", 1.0, None), ("Annual cost", 1.0, None),
    ],
)  # fmt: skip
def test_header_units(header, multiplier, currency):
    _, found, found_currency = money_unit(header)
    assert found == multiplier and found_currency == currency


def test_header_financial_years():
    assert header_financial_year("Total FY2021 Spending ($M)") == "2021-22"
    assert header_financial_year("Cost 2020-21") == "2020-21" and header_financial_year("Cost 2020/2021") == "2020-21"
    assert header_financial_year("Annual cost") is None and header_financial_year("Cost 2020-23") is None


def _workbook(tmp_path: Path, header: str, values: list[object]) -> Path:
    rows = [["System ID", "Name", "Department", header]]
    rows += [[f"S{i}", f"System {i}", "Dept", v] for i, v in enumerate(values, start=1)]
    return write_xlsx(tmp_path / "money.xlsx", {"Systems": rows})


def test_dollars_in_millions_are_converted_at_the_recorded_rate(tmp_path):
    db = tmp_path / "e.duckdb"
    path = _workbook(tmp_path, "Annual cost FY2021 ($M)", ["$31.642", "$0.000", "12"])
    profile = MappingProfile.from_dict({"currency": {"USD": 0.79}})
    summaries, issues = import_files(db, [path], profile)
    with duckdb.connect(str(db), read_only=True) as connection:
        lines = dict(connection.execute("SELECT system_id, amount_gbp FROM costs").fetchall())
        years = {r[0] for r in connection.execute("SELECT financial_year FROM costs").fetchall()}
    # $0.000 is no spend reported: no line (the run cost is unknown), never an observed £0
    assert lines == pytest.approx({"S1": 31.642e6 * 0.79, "S3": 12e6 * 0.79})
    assert [(i.code.value, i.row, i.column) for i in issues if i.code.value == "no_spend_reported"] == [
        ("no_spend_reported", 3, "D")
    ]
    assert years == {"2021-22"}
    assert "USD at £0.79" in str(summaries[0].mapping)


@pytest.mark.parametrize(
    ("header", "code"), [("Annual cost ($M)", "no_exchange_rate"), ("Annual cost (CHF)", "unknown_unit")]
)
def test_a_currency_without_a_rate_or_an_unknown_unit_is_an_error_and_nothing_is_stored(tmp_path, header, code):
    db = tmp_path / "e.duckdb"
    with pytest.raises(ImportRejected) as rejected:
        import_files(db, [_workbook(tmp_path, header, ["5"])])
    issue = next(i for i in rejected.value.issues if i.code.value == code)
    assert issue.sheet == "Systems" and issue.row == 1 and issue.column == "D"
    assert not db.exists() or duckdb.connect(str(db)).execute("SELECT count(*) FROM costs").fetchone()[0] == 0


def test_a_bad_rate_in_the_profile_is_refused_naming_the_key():
    from estate.mapping import ProfileError

    with pytest.raises(ProfileError, match=r"currency\.USD"):
        MappingProfile.from_dict({"currency": {"USD": "lots"}})


@pytest.mark.skipif(not REAL.exists(), reason="the real inventories in ../shared are not here")
def test_the_usda_it_dashboard_export_imports_every_investment_in_pounds(tmp_path):
    profile = tmp_path / "usda.toml"
    profile.write_text(
        '[columns.systems]\n"UII" = "system_id"\n"Investment Title" = "name"\n"Bureau" = "department"\n'
        '"Total FY2021 Spending ($M)" = "annual_cost_gbp"\n\n[currency]\nUSD = 0.79\n'
    )
    db = tmp_path / "usda.duckdb"
    source = REAL / "us-itdashboard-usda" / "original" / "Individual_Investments.xlsx"
    _, issues = import_files(db, [source], MappingProfile.load(profile))
    with duckdb.connect(str(db), read_only=True) as connection:
        systems = connection.execute("SELECT count(*) FROM systems").fetchone()[0]
        largest, lines = connection.execute("SELECT max(amount_gbp), count(*) FROM costs").fetchone()
    # the 43 $0.000 rows are no spend reported: listed, with no cost line (their run cost is unknown)
    assert systems == 209 and lines == 209 - 43
    assert sum(i.code.value == "no_spend_reported" for i in issues) == 43
    assert 1e6 < largest < 1e9  # millions of dollars, converted: never x10^6 too small
    with pytest.raises(ImportRejected):  # the same file mapped without a rate: refused, not stored as pounds
        published = REAL / "us-itdashboard-usda" / "estate-run" / "mapping-as-published.toml"
        import_files(tmp_path / "other.duckdb", [source], MappingProfile.load(published))


@pytest.mark.skipif(not REAL.exists(), reason="the real inventories in ../shared are not here")
@pytest.mark.parametrize(
    ("source", "investments"),
    [
        ("us-itdashboard-usda/original/Individual_Investments.xlsx", 209),
        ("us-itdashboard-dod/original/Department_of_Defense.xlsx", 2909),  # no header row
        ("us-itdashboard-nsf-multisheet/original/Agencies.xlsx", 22),  # the agency list sheet is skipped
    ],
)
def test_the_itdashboard_profile_imports_every_investment_without_hand_edits(tmp_path, source, investments):
    from estate.mapping import builtin_profile

    db = tmp_path / "e.duckdb"
    summaries, _ = import_files(db, [REAL / source], builtin_profile("itdashboard"))
    zero = {209: 43, 2909: 78, 22: 1}[investments]  # $0.000 rows: no_spend_reported, no cost line
    assert summaries[0].rows["systems"] == investments and summaries[0].rows["costs"] == investments - zero
    with duckdb.connect(str(db), read_only=True) as connection:
        largest = connection.execute("SELECT max(amount_gbp) FROM costs").fetchone()[0]
    assert 1e6 < largest < 1e9  # $ millions converted to pounds, never x10^6 too small


def _two_sheets(tmp_path: Path) -> Path:
    header = ["ID", "Name", "Cost (£k)"]
    return write_xlsx(tmp_path / "agencies.xlsx", {
        "Education": [header, ["E1", "Grants", 5], ["E2", "Schools", 7]],
        "Health": [header, ["H1", "Records", 11]],
        "Notes": [["These are notes"]],
    })  # fmt: skip


def test_sheets_stack_with_the_sheet_name_as_a_value_and_constants(tmp_path):
    profile = MappingProfile.from_dict({
        "sheets": {"systems": ["Education", "Health"]}, "sheet_name": {"systems": "department"},
        "columns": {"systems": {"Cost (£k)": "annual_cost_gbp"}}, "constants": {"systems": {"owner": "CDDO"}},
    })  # fmt: skip
    db = tmp_path / "e.duckdb"
    summaries, _ = import_files(db, [_two_sheets(tmp_path)], profile)
    assert summaries[0].rows["systems"] == 3
    with duckdb.connect(str(db), read_only=True) as connection:
        rows = connection.execute(
            "SELECT system_id, department, owner, source_sheet FROM systems ORDER BY 1"
        ).fetchall()
        costs = dict(connection.execute("SELECT system_id, amount_gbp FROM costs").fetchall())
    assert rows == [("E1", "Education", "CDDO", "Education"), ("E2", "Education", "CDDO", "Education"),
                    ("H1", "Health", "CDDO", "Health")]  # fmt: skip
    assert costs == {"E1": 5000.0, "E2": 7000.0, "H1": 11000.0}


def test_a_headerless_sheet_maps_column_letters(tmp_path):
    path = write_xlsx(tmp_path / "bare.xlsx", {"Sheet1": [["S1", "Payments", "Dept A", "2.5"],
                                                          ["S2", "Grants", "Dept B", "1"]]})  # fmt: skip
    profile = MappingProfile.from_dict({
        "header_rows": {"systems": 0}, "columns": {"systems": {"A": "system_id", "B": "name", "C": "department",
                                                               "D": "annual_cost_gbp"}},
        "units": {"systems": {"annual_cost_gbp": "£m"}},
    })  # fmt: skip
    db = tmp_path / "e.duckdb"
    summaries, _ = import_files(db, [path], profile)
    assert summaries[0].rows["systems"] == 2  # the first row is data, not a header
    with duckdb.connect(str(db), read_only=True) as connection:
        assert dict(connection.execute("SELECT system_id, amount_gbp FROM costs").fetchall()) == {
            "S1": 2.5e6, "S2": 1e6}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"sheet_name": {"systems": "colour"}}, "sheet_name.systems"),
        ({"constants": {"systems": {"department": ["a"]}}}, "constants.systems.department"),
        ({"units": {"systems": {"annual_cost_gbp": "parsecs"}}}, "units.systems.annual_cost_gbp"),
        ({"header_rows": {"systems": -1}}, "header_rows.systems"),
    ],
)
def test_profile_features_are_type_checked(data, named):
    from estate.mapping import ProfileError

    with pytest.raises(ProfileError, match=re.escape(named)):
        MappingProfile.from_dict(data)
