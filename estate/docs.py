"""Documentation derived from the schema: the data dictionary and issue-code table of docs/inputs.md."""

from __future__ import annotations

from estate.issues import CODE_DESCRIPTIONS, IssueCode, Severity
from estate.workbook import dictionary_rows


def markdown_cell(text: str) -> str:
    """Return text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def data_dictionary_markdown() -> str:
    """Return the data dictionary as Markdown tables, one per sheet."""
    lines: list[str] = []
    sheet = None
    for row in dictionary_rows():
        if row[0] != sheet:
            sheet = row[0]
            lines += [
                "",
                f"#### Sheet `{sheet}`",
                "",
                "| Column header | Field | Type | Required | Unit | Accepted values | Also accepted headers |"
                " Description |",
                "|---|---|---|---|---|---|---|---|",
            ]
        _, header, name, kind, required, unit, accepted, synonyms, description = row
        lines.append(
            f"| {markdown_cell(header)} | `{name}` | {kind} | {required} | {markdown_cell(unit)} | "
            f"{markdown_cell(accepted)} | {markdown_cell(synonyms)} | {markdown_cell(description)} |"
        )
    return "\n".join(lines).strip() + "\n"


def issue_codes_markdown() -> str:
    """Return every issue code with its severity and meaning as a Markdown table."""
    from estate.issues import WARNING_CODES

    lines = ["| Code | Severity | Meaning |", "|---|---|---|"]
    for code in IssueCode:
        severity = Severity.WARNING if code in WARNING_CODES else Severity.ERROR
        lines.append(f"| `{code}` | {severity} | {markdown_cell(CODE_DESCRIPTIONS[code])} |")
    return "\n".join(lines) + "\n"
