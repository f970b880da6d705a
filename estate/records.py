"""A synced source's workbook describes itself: which record each row is, which field each column, what left.

`estate sync` writes the records a live source sent as the export workbook its profile reads, plus one sheet,
SYNC_SHEET, of typed rows (kind in column A):
  about   | key             | value                      the source, its URL, when it was synced, what changed
  record  | sheet           | row     | record ID | updated the record behind each data row
  field   | sheet           | letter  | field              the source's field behind each column
  removed | sheet           | record ID | name             records the source deleted or archived since the last sync
Validation reads it (no table does), so every issue of such a file is located by record ID and field
instead of row and letter, and each removed record is a record_deleted warning: for the sync itself and for
`estate verify`, which re-imports the same workbook and must store the same issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from estate.issues import Issue, IssueCode
from estate.readers import RawSheet
from estate.schema import normalise_header

SYNC_SHEET = "estate sync"
ABOUT = ("Source", "URL", "Synced at (UTC)", "Added", "Updated", "Removed", "Records")


@dataclass
class SyncRecord:
    """What a synced workbook says about itself."""

    about: dict[str, str] = field(default_factory=dict)
    records: dict[tuple[str, int], str] = field(default_factory=dict)  # (sheet, row) -> record ID
    fields: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, letter) -> the source's field
    removed: list[tuple[str, str, str]] = field(default_factory=list)  # (sheet, record ID, name)

    def rows(self) -> list[list[str]]:
        """Return the sheet's rows, as written."""
        lines = [["about", k, v] for k, v in self.about.items()]
        lines += [["record", s, str(r), i] for (s, r), i in self.records.items()]
        lines += [["field", s, letter, f] for (s, letter), f in self.fields.items()]
        lines += [["removed", s, i, n] for s, i, n in self.removed]
        return lines


def is_sync_sheet(sheet: RawSheet) -> bool:
    """Return True for a synced workbook's own record."""
    return normalise_header(sheet.sheet) == normalise_header(SYNC_SHEET)


def read_sync_sheet(sheet: RawSheet) -> SyncRecord | None:
    """Return the record a SYNC_SHEET holds, or None when it is not one estate sync wrote."""
    columns = [sheet.cells.column(i).to_pylist() for i in range(min(sheet.cells.num_columns, 5))]
    if len(columns) < 3:
        return None
    record = SyncRecord()
    for values in zip(*columns, *([[None] * sheet.cells.num_rows] * (5 - len(columns))), strict=False):
        kind, a, b, c = (str(v or "") for v in values[:4])
        if kind == "about":
            record.about[a] = b
        elif kind == "record" and b.isdigit():
            record.records[(a, int(b))] = c
        elif kind == "field":
            record.fields[(a, b)] = c
        elif kind == "removed":
            record.removed.append((a, b, c))
    return record if set(ABOUT) <= set(record.about) else None


def located(issue: Issue, record: SyncRecord | None) -> Issue:
    """Return the issue located by record ID and field (a sheet-wide one by its field), else as it was."""
    if record is None or issue.record:
        return issue
    column = record.fields.get((issue.sheet, issue.column), issue.column)
    found = record.records.get((issue.sheet, issue.row)) if issue.row is not None else None
    if found is None:  # a sheet-wide issue (row 1 is the header the sync wrote): its field named all the same
        return replace(issue, row=None if issue.row == 1 else issue.row, column=column)
    return replace(issue, row=None, column=column, record=found)


def removed_issues(file: str, record: SyncRecord) -> list[Issue]:
    """Return a record_deleted warning for each record the source no longer has."""
    label = record.about.get("Source", "The source")
    return [
        Issue(
            file,
            sheet,
            None,
            "",
            name,
            IssueCode.RECORD_DELETED,
            f"{label} no longer has '{name}' (deleted or archived there): it leaves the current inventory",
            record=record_id,
        )
        for sheet, record_id, name in record.removed
    ]
