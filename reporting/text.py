"""User text made inert in spreadsheets and csv (OWASP CSV injection guidance), and the one csv writer.

Every csv estate writes (the CLI's `--format csv`, the app's downloads, the report's data/) goes through
`csv_text`: a header row, LF line ends, UTF-8 text, and any text cell a spreadsheet could run as a formula
prefixed with a single quote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# The ranking methods by the names the app and the report give them (method_agreement's method_a/method_b)
METHOD_NAMES = {"estate": "estate", "cddo": "CDDO", "gao": "GAO-style", "time": "TIME"}


def is_formula_like(text: str) -> bool:
    """Return True when a spreadsheet could read this text as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def inert_csv_text(value: object) -> object:
    """Return text prefixed with a single quote when it could run as a formula; other values unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` with every formula-like text cell made inert (numbers and other cells unchanged)."""
    import pandas as pd

    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(inert_csv_text)
    return safe


def csv_text(rows: pd.DataFrame | Sequence[Mapping], columns: Sequence[str] | None = None) -> str:
    """Return rows (a frame, or mappings with `columns` in order) as csv text: header, LF, formula-inert text."""
    import pandas as pd

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=list(columns or ()))
    if columns is not None and isinstance(rows, pd.DataFrame):
        frame = frame[list(columns)]
    return inert_frame(frame).to_csv(index=False, lineterminator="\n")


def readable_frame(frame: pd.DataFrame, codes: Sequence[str] = ()) -> pd.DataFrame:
    """Return result rows as people download them: catalogue headers with units, code columns as words,
    money to the whole pound, shares and other measures to four decimals (the app's csv downloads).

    Columns the results catalogue (pipeline.catalogue) does not declare keep their names and values.
    """
    from pipeline.catalogue import COLUMNS
    from reporting.views import code_label

    shown = frame.copy()
    for column in shown.columns:
        declared = COLUMNS.get(column)
        if column in codes:
            shown[column] = shown[column].map(lambda v: code_label(v) if isinstance(v, str) and v else v)
        elif declared is not None and declared.kind == "money":
            shown[column] = shown[column].round(0)
        elif shown[column].dtype.kind == "f":
            shown[column] = shown[column].round(4)
    return shown.rename(columns={c: COLUMNS[c].header for c in shown.columns if c in COLUMNS})


def field_header(field: str) -> str:
    """Return an inventory field's header as an inventory writes it ('Annual cost (£)'), or the name if unknown."""
    from estate.schema import SYSTEMS

    return next((f.header for f in SYSTEMS.fields if f.name == field), field)


def field_value(field: str, value: float) -> str:
    """Return a value of an inventory field as text: money as money (£148k), counts and hours with separators, an
    end of support as the years past it (the form costing.gaps learns it in)."""
    from estate.schema import SYSTEMS, FieldType
    from reporting.charts import money

    if any(f.name == field and f.type is FieldType.MONEY for f in SYSTEMS.fields):
        return money(value)
    if field == "end_of_support":  # learnt as years past the end of support at the assessment date
        return f"{value:,.1f} years past it" if value > 0 else "still supported"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def plain_number(value: float) -> str:
    """Return a number as people write it, never in scientific notation: 1,500,000; 0.035; 0.00012 (the report's
    assumptions log and the app's Assumptions page)."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")
