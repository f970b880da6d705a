"""Documentation derived from the schema: the README's data dictionary and issue-code table."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from estate.issues import CODE_DESCRIPTIONS, IssueCode, Severity
from estate.workbook import dictionary_rows

MARKERS = {
    "data-dictionary": "data_dictionary_markdown",
    "issue-codes": "issue_codes_markdown",
}


def _cell(text: str) -> str:
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
            f"| {_cell(header)} | `{name}` | {kind} | {required} | {_cell(unit)} | {_cell(accepted)} | "
            f"{_cell(synonyms)} | {_cell(description)} |"
        )
    return "\n".join(lines).strip() + "\n"


def issue_codes_markdown() -> str:
    """Return every issue code with its severity and meaning as a Markdown table."""
    from estate.issues import WARNING_CODES

    lines = ["| Code | Severity | Meaning |", "|---|---|---|"]
    for code in IssueCode:
        severity = Severity.WARNING if code in WARNING_CODES else Severity.ERROR
        lines.append(f"| `{code}` | {severity} | {_cell(CODE_DESCRIPTIONS[code])} |")
    return "\n".join(lines) + "\n"


def render_block(name: str) -> str:
    """Return the generated text for one README block."""
    return globals()[MARKERS[name]]()


def update_readme(path: Path) -> bool:
    """Rewrite the generated blocks of a README in place; return True if anything changed."""
    text = path.read_text(encoding="utf-8")
    updated = text
    for name in MARKERS:
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        updated = pattern.sub(lambda m, n=name: m.group(1) + render_block(n) + m.group(2), updated)
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":
    changed = update_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README updated" if changed else "README already up to date")
