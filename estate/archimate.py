"""The Open Group ArchiMate Model Exchange File Format (2.1 and 3.x) as two raw sheets, `elements` and `relations`.

The sheets have the columns of Archi's "Export Model to CSV" (ID, Type, Name, Documentation; relations add
Source and Target), so the built-in `archi` profile reads both. Relationship types are written as Archi writes
them ("ServingRelationship"; the 3.x exchange file says "Serving"). Each row's number is its line in the XML
file, so a problem points at the element in the file. Documents with a DOCTYPE (entity declarations) are
refused, as they are in workbooks.
"""

from __future__ import annotations

import xml.parsers.expat
from pathlib import Path

import pyarrow as pa

from estate.issues import Issue, IssueCode

ELEMENT_COLUMNS = ("ID", "Type", "Name", "Documentation")
RELATION_COLUMNS = ("ID", "Type", "Name", "Documentation", "Source", "Target")
_XSI_TYPE = "http://www.w3.org/2001/XMLSchema-instance type"


class ArchimateProblem(ValueError):
    """An exchange file that cannot be read, with a located issue."""

    def __init__(self, issue: Issue):
        self.issue = issue
        super().__init__(issue.as_text())


def _local(tag: str) -> str:
    return tag.rsplit(" ", 1)[-1]


def read_exchange_file(path: Path, name: str) -> dict[str, tuple[list[int], list[tuple[str, ...]]]]:
    """Return {'elements': (line numbers, rows), 'relations': (...)}: header first, then one row per item."""
    found: dict[str, tuple[list[int], list[tuple[str, ...]]]] = {"elements": ([], []), "relations": ([], [])}
    stack: list[str] = []
    current: dict[str, str] | None = None
    text: list[str] = []
    is_model = False
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def refuse(*_args: object) -> None:
        raise ArchimateProblem(Issue(name, "", parser.CurrentLineNumber, "", "", IssueCode.UNSAFE_FILE,
                                     "the XML file declares a DOCTYPE or entities: not read"))  # fmt: skip

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal current, is_model
        local = _local(tag)
        if not stack:
            is_model = local == "model" and "opengroup.org/xsd/archimate" in tag
        parent = stack[-1] if stack else ""
        stack.append(local)
        if local in ("element", "relationship") and parent in ("elements", "relationships"):
            kind = attributes.get(_XSI_TYPE, "")
            if local == "relationship" and kind and not kind.endswith("Relationship"):
                kind += "Relationship"  # 3.x "Serving" -> "ServingRelationship", as Archi's csv export writes it
            current = {
                "ID": attributes.get("identifier", ""), "Type": kind, "Source": attributes.get("source", ""),
                "Target": attributes.get("target", ""), "line": str(parser.CurrentLineNumber),
            }  # fmt: skip
        elif current is not None and local in ("name", "label", "documentation"):
            text.clear()

    def end(tag: str) -> None:
        nonlocal current
        local = stack.pop()
        if current is None:
            return
        if local in ("name", "label", "documentation") and stack and stack[-1] in ("element", "relationship"):
            key = "Documentation" if local == "documentation" else "Name"
            current.setdefault(key, "".join(text).strip())
        elif local in ("element", "relationship") and len(stack) >= 1 and stack[-1] in ("elements", "relationships"):
            sheet = "elements" if local == "element" else "relations"
            columns = ELEMENT_COLUMNS if local == "element" else RELATION_COLUMNS
            lines, rows = found[sheet]
            lines.append(int(current["line"]))
            rows.append(tuple(current.get(c, "") for c in columns))
            current = None

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        with path.open("rb") as handle:
            parser.ParseFile(handle)
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.errors.messages[exc.code]
        raise ArchimateProblem(
            Issue(name, "", exc.lineno, "", "", IssueCode.UNREADABLE_FILE, f"not well-formed XML: {reason}")
        ) from None
    if not is_model:
        raise ArchimateProblem(
            Issue(
                name, "", 1, "", "", IssueCode.UNSUPPORTED_FILE_TYPE,
                "not an ArchiMate exchange file (its root is not an Open Group <model>): estate reads .xml files "
                "in the ArchiMate Model Exchange File Format only",
            )
        )  # fmt: skip
    return found


def exchange_tables(path: Path, name: str) -> list[tuple[str, pa.Table, list[int]]]:
    """Return (sheet name, cells by column letter, row numbers) for the elements and relations of a model."""
    from estate.readers import column_letter

    result = []
    for sheet, (lines, rows) in read_exchange_file(path, name).items():
        header = ELEMENT_COLUMNS if sheet == "elements" else RELATION_COLUMNS
        every = [header, *rows]
        cells = pa.table(
            {column_letter(i): pa.array([r[i] or None for r in every], pa.string()) for i in range(len(header))}
        )
        result.append((sheet, cells, [min(lines, default=2) - 1, *lines]))
    return result
