"""How every `estate` command prints rows: one `--format` (table, csv, json) and one `emit()`.

csv goes through reporting.text.csv_text (LF, UTF-8, formula-like text made inert); json through
estate.jsontext.strict_json (no NaN or Infinity tokens). A command gives its rows once, and a function
that prints them as a table for people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import typer

from estate.jsontext import strict_json


class Format(StrEnum):
    """What a row-printing command writes to stdout."""

    table = "table"
    csv = "csv"
    json = "json"


def choices(name: str, values: Sequence[str]) -> type[StrEnum]:
    """Return an Enum of `values` (declared elsewhere once) for a typer option, so typer checks the choice."""
    return StrEnum(name, {value: value for value in values})


def emit(
    output: Format,
    rows: Any,
    table: Callable[[], None],
    columns: Sequence[str] | None = None,
    json_value: Any = None,
) -> None:
    """Print `rows` (a DataFrame or mappings) as `output`: csv of `columns`, strict JSON, or `table()`.

    JSON is `json_value` when given (a command whose JSON holds more than its rows), else the rows as records.
    """
    if output is Format.json:
        typer.echo(strict_json(json_value if json_value is not None else records(rows, columns), indent=2))
    elif output is Format.csv:
        from reporting.text import csv_text

        typer.echo(csv_text(rows, columns), nl=False)
    else:
        table()


def records(rows: Any, columns: Sequence[str] | None = None) -> list[dict]:
    """Return rows (a DataFrame or mappings) as a list of dicts, `columns` only when given."""
    if hasattr(rows, "to_dict"):
        frame = rows[list(columns)] if columns is not None else rows
        return frame.to_dict("records")
    if columns is None:
        return [dict(r) for r in rows]
    return [{c: r.get(c) for c in columns} for r in rows if isinstance(r, Mapping)]
