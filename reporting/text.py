"""User text made inert in spreadsheets and csv (OWASP CSV injection guidance)."""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    """Return True when a spreadsheet could read this text as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def inert_csv_text(value: object) -> object:
    """Return text prefixed with a single quote when it could run as a formula; other values unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value
