"""Cleaning of raw spreadsheet text into typed values.

Scalar parsers (`parse_money`, `parse_date`, ...) take one trimmed, non-blank
string and return a value or raise `CellProblem`. `clean_column` applies them
to a whole Arrow column, parsing each distinct value once, with a vectorised
fast path for plain numbers, so large sheets clean quickly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from estate.issues import IssueCode
from estate.schema import CRITICALITY_WORDS, NULL_TOKENS, Field, FieldType, normalise_header

EXCEL_EPOCH = date(1899, 12, 30)
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
DATE_EXAMPLE = "31/03/2025"


class CellProblem(ValueError):
    """A cell value that cannot be read as its field's type."""

    def __init__(self, code: IssueCode, hint: str):
        self.code = code
        self.hint = hint
        super().__init__(hint)


def is_blank(text: str | None) -> bool:
    """Return True for empty cells and placeholders such as n/a, TBC, unknown."""
    return text is None or text.strip().lower() in NULL_TOKENS


# ---------------------------------------------------------------- numbers

_SUFFIXES = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mil": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "b": 1e9,
    "billion": 1e9,
}
_NUMBER = re.compile(r"^(?P<sign>[-+])?(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)(?P<suffix>[a-z]*)$")
_PLAIN_NUMBER = r"^\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?")


MAX_NUMBER = 1e15  # £1,000 trillion: larger is a typo or junk, and would overflow whole-number columns
# Money after its unit and currency are applied. One cost line or system figure of more than £1 trillion is
# not IT spending (UK total managed expenditure is about £1.2 trillion a year), and an estate's money must sum
# exactly in 64-bit hundredths of a penny (pipeline.relational.PARTS), which holds to £922 trillion.
MAX_MONEY = 1e12
MAX_ESTATE_MONEY = 9e14


def parse_number(text: str, *, money: bool = False) -> float:
    """Return the number in text such as '1,234.5', '£3k', '£1.2m' or '(500)' (negative)."""
    s = text.strip().lower()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    s = s.replace("gbp", "").replace("£", "").replace(" ", "").replace("\u00a0", "")
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    if "," in s:
        if not _THOUSANDS.match(s):
            raise CellProblem(IssueCode.BAD_NUMBER, _number_hint(money))
        s = s.replace(",", "")
    match = _NUMBER.match(s)
    if not match or match["suffix"] not in _SUFFIXES:
        raise CellProblem(IssueCode.BAD_NUMBER, _number_hint(money))
    value = float(match["num"]) * _SUFFIXES[match["suffix"]]
    if match["sign"] == "-":
        negative = not negative
    if not math.isfinite(value):
        raise CellProblem(IssueCode.BAD_NUMBER, _number_hint(money))
    if value > MAX_NUMBER:
        raise CellProblem(IssueCode.OUT_OF_RANGE, f"expected a number below {MAX_NUMBER:,.0f}")
    return -value if negative else value


def _number_hint(money: bool) -> str:
    return "expected an amount like £1,234.56, £3k or £1.2m" if money else "expected a number like 1,200 or 1.5"


def parse_money(text: str) -> float:
    """Return pounds from text such as '£1,234.56', ' £3k ', '£1.2m', '1,234'."""
    value = parse_number(text, money=True)
    if value < 0:
        raise CellProblem(IssueCode.NEGATIVE_MONEY, "expected a cost of zero or more; refunds are not costs")
    return value


def parse_quantity(text: str) -> float:
    """Return a non-negative number (hours, FTE, years)."""
    value = parse_number(text)
    if value < 0:
        raise CellProblem(IssueCode.NEGATIVE_VALUE, "expected zero or more")
    return value


def parse_count(text: str) -> float:
    """Return a non-negative whole number from text such as '1,200' or '2.5m'."""
    value = parse_quantity(text)
    if value != math.floor(value):
        raise CellProblem(IssueCode.NOT_WHOLE_NUMBER, "expected a whole number like 1200")
    return value


# ---------------------------------------------------------------- dates

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b %Y",
    "%B %Y",
    "%b-%Y",
    "%b-%y",
    "%B-%Y",
    "%m/%Y",
    "%Y-%m",
    "%Y/%m/%d",
)
_DATE_SHAPE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})")
_SERIAL = re.compile(r"^\d+(\.\d+)?$")
_UK_DATE = re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?: 00:00:00)?$")


def parse_date(text: str) -> date:
    """Return a date from an Excel date, serial number, '31/03/2025', '2025-03-31' or 'Mar 2025'.

    Month-and-year dates are read as the first day of that month.
    """
    s = " ".join(text.strip().split())
    quick = _UK_DATE.match(s) or _ISO_DATE.match(s)
    if quick:  # the two commonest forms, without strptime's overhead
        try:
            return _check_year(date(int(quick["y"]), int(quick["m"]), int(quick["d"])))
        except ValueError:
            raise CellProblem(
                IssueCode.IMPOSSIBLE_DATE, f"no such day: expected day/month/year like {DATE_EXAMPLE}"
            ) from None
    if _SERIAL.match(s):
        serial = float(s)
        if serial < 3653:  # before 1910: a year or a count, not a date
            raise CellProblem(IssueCode.BAD_DATE, f"'{s}' is not a date: expected a date like {DATE_EXAMPLE}")
        try:
            value = EXCEL_EPOCH + timedelta(days=int(serial))
        except OverflowError:
            raise CellProblem(IssueCode.IMPOSSIBLE_DATE, f"expected a date like {DATE_EXAMPLE}") from None
        return _check_year(value)
    for fmt in _DATE_FORMATS:
        try:
            return _check_year(datetime.strptime(s, fmt).date())
        except ValueError:
            continue
    if _DATE_SHAPE.match(s):
        raise CellProblem(
            IssueCode.IMPOSSIBLE_DATE,
            f"no such day: expected day/month/year like {DATE_EXAMPLE}",
        )
    raise CellProblem(IssueCode.BAD_DATE, f"expected a date like {DATE_EXAMPLE}")


def _check_year(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise CellProblem(
            IssueCode.IMPOSSIBLE_DATE,
            f"year {value.year} is outside {EARLIEST_YEAR}-{LATEST_YEAR}: expected a date like {DATE_EXAMPLE}",
        )
    return value


def parse_year(text: str) -> int:
    """Return a calendar year from '1998', '1998.0' or any date parse_date accepts."""
    s = text.strip()
    if re.fullmatch(r"\d{4}(\.0+)?", s):
        year = int(float(s))
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise CellProblem(IssueCode.OUT_OF_RANGE, f"expected a year between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return year
    try:
        return parse_date(s).year
    except CellProblem:
        raise CellProblem(IssueCode.BAD_DATE, "expected a year like 1998") from None


_FY = re.compile(r"^(?:fy)?\s*(\d{2}|\d{4})\s*[-/–]\s*(\d{2}|\d{4})$")


def parse_financial_year(text: str) -> str:
    """Return a UK financial year as '2024-25' from '2024-25', '2024/2025', 'FY24/25'."""
    match = _FY.match(text.strip().lower())
    if not match:
        raise CellProblem(IssueCode.BAD_FINANCIAL_YEAR, "expected a financial year like 2024-25")
    start, end = (int(g) for g in match.groups())
    start = start + 2000 if start < 100 else start
    if end % 100 != (start + 1) % 100 or (end >= 100 and end != start + 1):
        raise CellProblem(IssueCode.BAD_FINANCIAL_YEAR, "the second year must follow the first, like 2024-25")
    if not EARLIEST_YEAR <= start <= LATEST_YEAR:
        raise CellProblem(IssueCode.BAD_FINANCIAL_YEAR, "expected a financial year like 2024-25")
    return financial_year(start)


# UK financial years, April to March, written 2027-28: declared here once, for imports, plans and pages


def financial_year(start: int, offset: int = 0) -> str:
    """Return the financial year `offset` years after the one starting in April of `start`, as 2027-28."""
    year = start + offset
    return f"{year}-{(year + 1) % 100:02d}"


def financial_year_start(day: date) -> int:
    """Return the calendar year in which the UK financial year containing `day` starts (April to March)."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_of(day: date) -> str:
    """Return the UK financial year (April to March) containing `day`, e.g. '2026-27'."""
    return financial_year(financial_year_start(day))


def financial_year_after(day: date) -> int:
    """Return the start year of the financial year after the one containing `day` (a plan's default start)."""
    return financial_year_start(day) + 1


# ---------------------------------------------------------------- categories

_CRITICALITY_LOOKUP = {normalise_header(w): level for level, words in CRITICALITY_WORDS.items() for w in words}


def parse_criticality(text: str) -> int:
    """Return criticality 1-5 from a number or a word (low=2, medium=3, high=4, critical=5)."""
    key = normalise_header(text)
    if key in _CRITICALITY_LOOKUP:
        return _CRITICALITY_LOOKUP[key]
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise CellProblem(IssueCode.UNRECOGNISED_VALUE, "expected 1-5 or low, medium, high, critical; kept as extra")
    if value != math.floor(value) or not 1 <= value <= 5:
        raise CellProblem(IssueCode.OUT_OF_RANGE, "expected a whole number from 1 (lowest) to 5 (highest)")
    return int(value)


def choice_parser(field: Field) -> Callable[[str], str]:
    """Return a parser mapping a field's synonyms to its canonical choices (longest match wins)."""
    exact: dict[str, str] = {}
    for choice, words in field.choices.items():
        for word in (choice, *words):
            exact.setdefault(normalise_header(word), choice)
    by_length = sorted(((k, v) for k, v in exact.items() if len(k) >= 3), key=lambda kv: -len(kv[0]))
    accepted = ", ".join(field.choices)

    def parse(text: str) -> str:
        key = normalise_header(text)
        if key in exact:
            return exact[key]
        for word, choice in by_length:
            if word in key:
                return choice
        raise CellProblem(IssueCode.UNRECOGNISED_VALUE, f"expected one of {accepted}; kept as extra")

    return parse


# ---------------------------------------------------------------- columns


@dataclass
class CleanColumn:
    """A cleaned column: typed values plus the problems found, by row position."""

    values: pa.Array
    problems: dict[int, CellProblem]


_ARROW_TYPES = {
    FieldType.TEXT: pa.string(),
    FieldType.INTEGER: pa.int64(),
    FieldType.NUMBER: pa.float64(),
    FieldType.MONEY: pa.float64(),
    FieldType.DATE: pa.date32(),
    FieldType.YEAR: pa.int32(),
    FieldType.CRITICALITY: pa.int8(),
    FieldType.CHOICE: pa.string(),
    FieldType.FINANCIAL_YEAR: pa.string(),
}

_NULL_TOKEN_SET = pa.array(sorted(NULL_TOKENS))


def blank_to_null(raw: pa.Array) -> pa.Array:
    """Return trimmed text with blank cells and placeholders (n/a, TBC, unknown) as null."""
    trimmed = pc.utf8_trim_whitespace(raw)
    blank = pc.is_in(pc.utf8_lower(trimmed), value_set=_NULL_TOKEN_SET)
    return pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)


def normalised_ids(text: pa.Array) -> pa.Array:
    """Return identifiers in Unicode NFKC with invisible format characters (zero-width space, BOM ...) removed.

    'S-1', 'S-1' followed by a zero-width space, and a full-width 'Ｓ-1' are one ID, so a duplicate cannot hide
    behind a character nobody can see.
    """
    visible = pc.replace_substring_regex(text, r"\p{Cf}", "")
    return pc.utf8_trim_whitespace(pc.utf8_normalize(visible, "NFKC"))


def _parser_for(field: Field) -> Callable[[str], object]:
    match field.type:
        case FieldType.MONEY:
            return parse_money
        case FieldType.INTEGER:
            return parse_count
        case FieldType.NUMBER:
            return parse_quantity
        case FieldType.DATE:
            return parse_date
        case FieldType.YEAR:
            return parse_year
        case FieldType.CRITICALITY:
            return parse_criticality
        case FieldType.CHOICE:
            return choice_parser(field)
        case FieldType.FINANCIAL_YEAR:
            return parse_financial_year
    raise ValueError(f"no parser for {field.type}")


def clean_column(field: Field, raw: pa.Array) -> CleanColumn:
    """Return the column cleaned to the field's type, with every problem located by position."""
    return clean_text(field, blank_to_null(raw))


def clean_text(field: Field, text: pa.Array) -> CleanColumn:
    """Return trimmed text (blanks already null, see `blank_to_null`) parsed to the field's type."""
    if field.type is FieldType.TEXT:
        return CleanColumn(normalised_ids(text) if field.name.endswith("_id") else text, {})
    target = _ARROW_TYPES[field.type]
    parser = _parser_for(field)
    values = pa.nulls(len(text), target)
    pending = text
    if field.type in (FieldType.MONEY, FieldType.NUMBER, FieldType.INTEGER):
        # Fast path: plain numerals (what numeric cells read as) cast in one step.
        plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_NUMBER), False)
        if pc.any(plain).as_py():
            numbers = pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.string())), pa.float64())
            # negatives, fractions and huge values go to the parser for a located message
            bad = pc.or_(pc.less(numbers, 0), pc.greater(numbers, MAX_NUMBER))
            if field.type is FieldType.INTEGER:
                bad = pc.or_(bad, pc.not_equal(numbers, pc.floor(numbers)))
            ok = pc.and_(plain, pc.invert(pc.fill_null(bad, False)))
            values = pc.if_else(ok, pc.cast(numbers, target, safe=False), values)
            pending = pc.if_else(ok, pa.scalar(None, pa.string()), text)
    distinct = pc.unique(pending).drop_null()
    if len(distinct) == 0:
        return CleanColumn(values, {})
    parsed: list[object] = []
    failed: dict[str, CellProblem] = {}
    for item in distinct.to_pylist():
        try:
            parsed.append(parser(item))
        except CellProblem as problem:
            parsed.append(None)
            failed[item] = problem
    positions = pc.index_in(pending, value_set=distinct)
    looked_up = pc.take(pa.array(parsed, type=target), positions)
    values = pc.coalesce(values, looked_up)
    problems: dict[int, CellProblem] = {}
    if failed:
        bad_mask = pc.is_in(pending, value_set=pa.array(list(failed), pa.string()))
        for index in pc.indices_nonzero(bad_mask).to_pylist():
            problems[index] = failed[pending[index].as_py()]
    return CleanColumn(values, problems)
