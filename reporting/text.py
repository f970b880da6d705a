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
