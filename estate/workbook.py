"""Canonical workbooks written from the schema: the blank template and its data dictionary."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter
import xlsxwriter.exceptions

from estate.files import atomic_path
from estate.schema import TABLES, Field, FieldType, Table

DICTIONARY_COLUMNS = (
    "Sheet",
    "Column header",
    "Field",
    "Type",
    "Required",
    "Unit",
    "Accepted values",
    "Other headers accepted",
    "Description",
)


def dictionary_rows() -> list[tuple[str, ...]]:
    """Return one row per field, in the order of DICTIONARY_COLUMNS, derived from the schema."""
    rows = []
    for table in TABLES:
        for f in table.fields:
            rows.append(
                (
                    table.sheet,
                    f.header,
                    f.name,
                    f.type.value,
                    "yes" if f.required else "",
                    f.unit,
                    accepted_values(f),
                    ", ".join(f.synonyms),
                    f.description,
                )
            )
    return rows


def accepted_values(f: Field) -> str:
    """Return the canonical values a field accepts, or its format in words."""
    if f.choices:
        return ", ".join(f.choices)
    return {
        FieldType.CRITICALITY: "1-5 or very low, low, medium, high, critical",
        FieldType.DATE: "a date: 31/03/2025, 2025-03-31, Mar 2025 or an Excel date",
        FieldType.MONEY: "pounds: 1234.56, £1,234, £3k, £1.2m",
        FieldType.FINANCIAL_YEAR: "2024-25 (also 2024/25, FY24/25)",
        FieldType.YEAR: "a year such as 1998",
    }.get(f.type, "")


def write_data_dictionary(workbook: xlsxwriter.Workbook, bold: object) -> None:
    """Add a 'Data dictionary' sheet describing every field."""
    sheet = workbook.add_worksheet("Data dictionary")
    sheet.write_row(0, 0, DICTIONARY_COLUMNS, bold)
    for r, row in enumerate(dictionary_rows(), start=1):
        sheet.write_row(r, 0, row)
    for c, width in enumerate((12, 34, 32, 14, 9, 16, 40, 50, 70)):
        sheet.set_column(c, c, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(dictionary_rows()), len(DICTIONARY_COLUMNS) - 1)


def write_table_sheet(workbook: xlsxwriter.Workbook, table: Table, bold: object) -> xlsxwriter.worksheet.Worksheet:
    """Add a sheet with the table's canonical headers, notes and drop-down lists; return it."""
    sheet = workbook.add_worksheet(table.sheet)
    for c, f in enumerate(table.fields):
        sheet.write(0, c, f.header, bold)
        sheet.write_comment(0, c, f"{f.description}{' Required.' if f.required else ''}")
        sheet.set_column(c, c, max(14, len(f.header) + 2))
        if f.choices:
            sheet.data_validation(
                1,
                c,
                1_048_575,
                c,
                {
                    "validate": "list",
                    "source": list(f.choices),
                    "error_type": "warning",
                },
            )
    sheet.freeze_panes(1, 0)
    return sheet


def write_template(path: Path) -> Path:
    """Write a blank canonical inventory workbook with a data-dictionary sheet; return its path."""
    with atomic_path(path) as temporary:
        workbook = xlsxwriter.Workbook(str(temporary))
        bold = workbook.add_format({"bold": True})
        for table in TABLES:
            write_table_sheet(workbook, table, bold)
        write_data_dictionary(workbook, bold)
        close_workbook(workbook)
    return path


def close_workbook(workbook: xlsxwriter.Workbook) -> None:
    """Close (write) an xlsxwriter workbook; a failed write is an OSError, so `atomic_path` reports it cleanly.

    xlsxwriter wraps the operating system's error (a full disk, say) in its own FileCreateError.
    """
    try:
        workbook.close()
    except xlsxwriter.exceptions.FileCreateError as exc:
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        raise cause or OSError(str(exc)) from None
