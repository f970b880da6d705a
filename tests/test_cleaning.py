"""Parsers for money, numbers, dates, categories: examples, rejections and properties."""

from __future__ import annotations

import contextlib
from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from estate.cleaning import (
    CellProblem,
    blank_to_null,
    choice_parser,
    clean_column,
    financial_year_of,
    parse_count,
    parse_criticality,
    parse_date,
    parse_financial_year,
    parse_money,
    parse_year,
)
from estate.issues import IssueCode
from estate.schema import COSTS, INTERFACES, SYSTEMS


@pytest.mark.parametrize(
    ("text", "pounds"),
    [
        ("£1,234.56", 1234.56),
        (" £3k ", 3000.0),
        ("£1.2m", 1_200_000.0),
        ("1,234", 1234.0),
        ("£1.5bn", 1.5e9),
        ("GBP 250", 250.0),
        ("12345.5", 12345.5),
        ("0", 0.0),
        ("£ 2 million", 2_000_000.0),
        ("1e6", 1e6),
    ],
)
def test_money_examples(text, pounds):
    assert parse_money(text) == pytest.approx(pounds)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-£5", IssueCode.NEGATIVE_MONEY),
        ("(500)", IssueCode.NEGATIVE_MONEY),
        ("abc", IssueCode.BAD_NUMBER),
        ("1,2", IssueCode.BAD_NUMBER),
        ("£12x", IssueCode.BAD_NUMBER),
        ("1.2.3", IssueCode.BAD_NUMBER),
        ("inf", IssueCode.BAD_NUMBER),
    ],
)
def test_money_rejections(text, code):
    with pytest.raises(CellProblem) as problem:
        parse_money(text)
    assert problem.value.code is code


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False).map(lambda x: round(x, 2)))
def test_money_formatted_like_a_spreadsheet_reads_back(value):
    assert parse_money(f"£{value:,.2f}") == pytest.approx(value, rel=1e-12, abs=1e-9)
    assert parse_money(f" {value} ") == pytest.approx(value)


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from([("k", 1e3), ("m", 1e6), ("bn", 1e9)]))
def test_money_suffixes_scale(number, suffix):
    letters, scale = suffix
    assert parse_money(f"£{number}{letters}") == pytest.approx(number * scale)


@given(st.text(max_size=30))
def test_parsers_fail_only_with_cell_problems(text):
    for parser in (parse_money, parse_date, parse_count, parse_year, parse_criticality, parse_financial_year):
        with contextlib.suppress(CellProblem):
            parser(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-31 00:00:00", date(2025, 3, 31)),
        ("2025-03-31", date(2025, 3, 31)),
        ("31/03/2025", date(2025, 3, 31)),
        ("1/4/98", date(1998, 4, 1)),
        ("31 March 2025", date(2025, 3, 31)),
        ("Mar 2025", date(2025, 3, 1)),
        ("45747", date(2025, 3, 31)),
        ("45747.5", date(2025, 3, 31)),
        ("31.03.2025", date(2025, 3, 31)),
    ],
)
def test_date_examples(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("31/02/2025", IssueCode.IMPOSSIBLE_DATE),
        ("31/13/2024", IssueCode.IMPOSSIBLE_DATE),
        ("03/31/2025", IssueCode.IMPOSSIBLE_DATE),
        ("01/01/1066", IssueCode.IMPOSSIBLE_DATE),
        ("2025", IssueCode.BAD_DATE),
        ("soon", IssueCode.BAD_DATE),
    ],
)
def test_date_rejections(text, code):
    with pytest.raises(CellProblem) as problem:
        parse_date(text)
    assert problem.value.code is code
    assert "31/03/2025" in problem.value.hint


@given(st.dates(min_value=date(1910, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_read_back_in_every_written_form(day):
    serial = (day - date(1899, 12, 30)).days
    for text in (day.isoformat(), day.strftime("%d/%m/%Y"), f"{day.isoformat()} 00:00:00", str(serial)):
        assert parse_date(text) == day
    assert parse_date(day.strftime("%b %Y")) == day.replace(day=1)


@pytest.mark.parametrize(
    ("text", "level"),
    [("1", 1), ("5", 5), ("3.0", 3), ("Low", 2), ("medium", 3), ("HIGH", 4), ("Critical", 5), ("very low", 1)],
)
def test_criticality(text, level):
    assert parse_criticality(text) == level


@pytest.mark.parametrize(
    ("text", "code"),
    [("9", IssueCode.OUT_OF_RANGE), ("2.5", IssueCode.OUT_OF_RANGE), ("purple", IssueCode.UNRECOGNISED_VALUE)],
)
def test_criticality_rejections(text, code):
    with pytest.raises(CellProblem) as problem:
        parse_criticality(text)
    assert problem.value.code is code


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("On Prem", "on_premises"),
        ("on-premises", "on_premises"),
        ("Cloud (AWS)", "public_cloud"),
        ("Azure", "public_cloud"),
        ("Private cloud (Crown Hosting)", "private_cloud"),
        ("SaaS", "saas"),
        ("IBM Mainframe", "mainframe"),
        ("z/OS", "mainframe"),
    ],
)
def test_platform_synonyms(text, platform):
    assert choice_parser(SYSTEMS.field("platform"))(text) == platform


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("REST API", "api"),
        ("SFTP", "file"),
        ("Email", "manual"),
        ("IBM MQ", "message_queue"),
        ("DB link", "database_link"),
    ],
)
def test_interface_kinds(text, kind):
    assert choice_parser(INTERFACES.field("kind"))(text) == kind


def test_unrecognised_choice_is_a_warning_code():
    with pytest.raises(CellProblem) as problem:
        choice_parser(COSTS.field("category"))("Quantum")
    assert problem.value.code is IssueCode.UNRECOGNISED_VALUE


@pytest.mark.parametrize(
    ("text", "fy"),
    [
        ("2024-25", "2024-25"),
        ("2024/25", "2024-25"),
        ("2024/2025", "2024-25"),
        ("FY24/25", "2024-25"),
        ("1999-00", "1999-00"),
    ],
)
def test_financial_years(text, fy):
    assert parse_financial_year(text) == fy


@pytest.mark.parametrize("text", ["2024", "2024-26", "24-23", "next year"])
def test_bad_financial_years(text):
    with pytest.raises(CellProblem):
        parse_financial_year(text)


@pytest.mark.parametrize(
    ("day", "fy"), [(date(2025, 3, 31), "2024-25"), (date(2025, 4, 1), "2025-26"), (date(1999, 12, 1), "1999-00")]
)
def test_financial_year_of(day, fy):
    assert financial_year_of(day) == fy


def test_blank_tokens_become_null_and_text_is_trimmed():
    raw = pa.array(["", " n/a ", "N/A", "-", "TBC", "unknown", None, "  kept  ", "=SUM(A1)", "+44 20"])
    assert blank_to_null(raw).to_pylist() == [None] * 7 + ["kept", "=SUM(A1)", "+44 20"]


def test_clean_column_locates_each_problem_and_parses_distinct_values_once():
    raw = pa.array(["1", "1,200", "-3", "2.5", "x", None, "1,200", "7"])
    result = clean_column(SYSTEMS.field("users"), raw)
    assert result.values.to_pylist() == [1, 1200, None, None, None, None, 1200, 7]
    assert {i: p.code for i, p in result.problems.items()} == {
        2: IssueCode.NEGATIVE_VALUE,
        3: IssueCode.NOT_WHOLE_NUMBER,
        4: IssueCode.BAD_NUMBER,
    }


def test_clean_column_dates_from_serials_and_text():
    raw = pa.array(["45747", "31/03/2025", "2025-03-31 00:00:00", "31/02/2025"])
    result = clean_column(SYSTEMS.field("end_of_support"), raw)
    assert result.values.to_pylist()[:3] == [date(2025, 3, 31)] * 3
    assert result.problems[3].code is IssueCode.IMPOSSIBLE_DATE


def test_year_from_dates_and_numbers():
    assert parse_year("1998") == 1998
    assert parse_year("1998.0") == 1998
    assert parse_year("01/04/1998") == 1998
    assert parse_year(str((date(1998, 4, 1) - date(1899, 12, 30)).days)) == 1998
    assert parse_year("2025-01-01") == 2025
