"""Located validation issues: every problem as one row, collected lazily."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """Errors stop an import; warnings are stored and reported."""

    ERROR = "error"
    WARNING = "warning"


class IssueCode(StrEnum):
    """Stable reason codes for every problem an import can report."""

    # file-level errors
    UNREADABLE_FILE = "unreadable_file"
    UNSUPPORTED_FILE_TYPE = "unsupported_file_type"
    PASSWORD_PROTECTED = "password_protected"
    UNSAFE_FILE = "unsafe_file"
    TOO_LARGE = "too_large"
    EMPTY_FILE = "empty_file"
    NO_SYSTEMS_SHEET = "no_systems_sheet"
    MISSING_SHEET = "missing_sheet"
    DUPLICATE_SHEET = "duplicate_sheet"
    HIDDEN_SHEET = "hidden_sheet"
    MERGED_CELLS = "merged_cells"
    NO_HEADER = "no_header"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    # cell-level errors
    MISSING_VALUE = "missing_value"
    FORMULA_ERROR = "formula_error"
    TOO_LONG = "too_long"
    DUPLICATE_ID = "duplicate_id"
    ID_IN_OTHER_FILE = "id_in_other_file"
    FIELD_CONFLICT = "field_conflict"
    REQUEST_CHANGED = "request_changed"
    UNKNOWN_UNIT = "unknown_unit"
    NO_EXCHANGE_RATE = "no_exchange_rate"
    BAD_NUMBER = "bad_number"
    BAD_DATE = "bad_date"
    BAD_FINANCIAL_YEAR = "bad_financial_year"
    IMPOSSIBLE_DATE = "impossible_date"
    NEGATIVE_MONEY = "negative_money"
    NEGATIVE_VALUE = "negative_value"
    NOT_WHOLE_NUMBER = "not_whole_number"
    OUT_OF_RANGE = "out_of_range"
    AMBIGUOUS_NAME = "ambiguous_name"
    # warnings
    UNKNOWN_COLUMN = "unknown_column"
    UNKNOWN_SHEET = "unknown_sheet"
    UNRECOGNISED_VALUE = "unrecognised_value"
    DANGLING_REFERENCE = "dangling_reference"
    SELF_LOOP = "self_loop"
    SUPPORT_BEFORE_GO_LIVE = "support_before_go_live"
    ROWS_LEFT_OUT = "rows_left_out"
    UNMAPPED_CATEGORY = "unmapped_category"
    EMPTY_SHEET = "empty_sheet"
    NO_SPEND_REPORTED = "no_spend_reported"
    FINANCIAL_YEAR_ASSUMED = "financial_year_assumed"
    END_OF_SUPPORT_CONFLICT = "end_of_support_conflict"
    RECORD_DELETED = "record_deleted"
    OUT_OF_SCOPE = "out_of_scope"


WARNING_CODES = frozenset(
    {
        IssueCode.UNKNOWN_COLUMN,
        IssueCode.UNKNOWN_SHEET,
        IssueCode.UNRECOGNISED_VALUE,
        IssueCode.DANGLING_REFERENCE,
        IssueCode.SELF_LOOP,
        IssueCode.SUPPORT_BEFORE_GO_LIVE,
        IssueCode.ID_IN_OTHER_FILE,
        IssueCode.FIELD_CONFLICT,
        IssueCode.ROWS_LEFT_OUT,
        IssueCode.UNMAPPED_CATEGORY,
        IssueCode.EMPTY_SHEET,
        IssueCode.NO_SPEND_REPORTED,
        IssueCode.FINANCIAL_YEAR_ASSUMED,
        IssueCode.END_OF_SUPPORT_CONFLICT,
        IssueCode.RECORD_DELETED,
    }
)

CODE_DESCRIPTIONS: dict[IssueCode, str] = {
    IssueCode.UNREADABLE_FILE: "The file cannot be opened or parsed (wrong type for its name, damaged zip, bad csv).",
    IssueCode.UNSUPPORTED_FILE_TYPE: "Not .xlsx, .xlsm or .csv (legacy .xls: save as .xlsx).",
    IssueCode.PASSWORD_PROTECTED: "The workbook is encrypted with a password.",
    IssueCode.UNSAFE_FILE: "Zip bomb (expansion past the limits) or XML entity declarations.",
    IssueCode.TOO_LARGE: "File, sheet or csv larger than the documented limits.",
    IssueCode.EMPTY_FILE: "The file or sheet holds nothing.",
    IssueCode.NO_SYSTEMS_SHEET: "No sheet is recognisably Systems, Interfaces or Costs.",
    IssueCode.HIDDEN_SHEET: "A Systems, Interfaces or Costs sheet is hidden.",
    IssueCode.MERGED_CELLS: "Merged cells in the header or data rows.",
    IssueCode.NO_HEADER: "No row among the first 10 has a recognisable column header.",
    IssueCode.MISSING_COLUMN: "A required column is absent.",
    IssueCode.MISSING_SHEET: "A sheet named in the mapping profile is not in the workbook.",
    IssueCode.DUPLICATE_SHEET: "Two sheets hold the same table.",
    IssueCode.DUPLICATE_COLUMN: "Two columns mean the same field.",
    IssueCode.MISSING_VALUE: "A required cell is blank (or n/a, TBC, unknown ...).",
    IssueCode.FORMULA_ERROR: "A cell shows a formula error (#REF!, #DIV/0!, #N/A, #VALUE! ...): its value is unknown.",
    IssueCode.TOO_LONG: "Text longer than Excel's 32,767-character cell limit, or an ID longer than 255 characters.",
    IssueCode.DUPLICATE_ID: "The same system_id or interface_id twice in one sheet.",
    IssueCode.ID_IN_OTHER_FILE: "The system_id also comes from another file: the two merge field by field, the later "
    "import's non-empty values winning.",
    IssueCode.UNKNOWN_UNIT: "A money column's header names a unit estate does not understand (never ignored).",
    IssueCode.NO_EXCHANGE_RATE: "A money column in another currency (USD, EUR) with no rate in the mapping profile.",
    IssueCode.REQUEST_CHANGED: (
        "A returned data request has an edited ID, name or department, an added row, a missing or unknown "
        "request ID, or was already imported under another file name."
    ),
    IssueCode.FIELD_CONFLICT: "Two sources give different values for one field of one system: the later import's "
    "value is used and both are reported.",
    IssueCode.BAD_NUMBER: "Not a number or an amount.",
    IssueCode.BAD_DATE: "Not a date.",
    IssueCode.BAD_FINANCIAL_YEAR: "Not a financial year like 2024-25.",
    IssueCode.IMPOSSIBLE_DATE: "A date that cannot exist (31/02/2025, month 13, year outside 1900-2100).",
    IssueCode.NEGATIVE_MONEY: "A negative amount of money.",
    IssueCode.NEGATIVE_VALUE: "A negative count, hours or FTE.",
    IssueCode.NOT_WHOLE_NUMBER: "A fraction where a count is expected.",
    IssueCode.OUT_OF_RANGE: "A criticality outside 1-5, a year outside 1900-2100 or a number above 10^15.",
    IssueCode.UNKNOWN_COLUMN: "A column that is not a schema field: stored in `extra` (JSON).",
    IssueCode.UNKNOWN_SHEET: "A sheet that is not imported (README, notes and lists sheets are skipped quietly).",
    IssueCode.UNRECOGNISED_VALUE: "A value outside a field's choices: stored as null, original kept in `extra`.",
    IssueCode.DANGLING_REFERENCE: "An interface or cost names a system that is not in the inventory.",
    IssueCode.SELF_LOOP: "An interface from a system to itself.",
    IssueCode.SUPPORT_BEFORE_GO_LIVE: "End of support falls before the go-live year.",
    IssueCode.AMBIGUOUS_NAME: "An interface names its system by a name that two or more systems share.",
    IssueCode.ROWS_LEFT_OUT: "Rows the mapping profile leaves out on purpose (a filter, or links to things that are "
    "not systems), counted with their most common values or rows.",
    IssueCode.UNMAPPED_CATEGORY: "A cost line's category is not one of estate's: kept and counted as `other`; "
    "map it in the profile's [values.costs.category].",
    IssueCode.EMPTY_SHEET: "A sheet with nothing in it beside the ones imported: skipped (a file with nothing at all "
    "is `empty_file`).",
    IssueCode.NO_SPEND_REPORTED: "A spending column says 0 (`$0.000`, `£0`) for a system: no cost line is stored, so "
    "its run cost is unknown (imputed or assumed from the prior), never an observed £0.",
    IssueCode.FINANCIAL_YEAR_ASSUMED: "A spending column's header names no financial year: its amounts are stored for "
    "the import's financial year; state it with --financial-year or the profile's [spending] financial_year.",
    IssueCode.END_OF_SUPPORT_CONFLICT: "A stated end of support contradicts the lifecycle catalogue's date for the "
    "system's product and version (Windows Server 2008 R2 'supported to 2029'): the stated date is kept, both named.",
    IssueCode.OUT_OF_SCOPE: "In a shared deployment, a department user's import has a row of another department "
    "(a system of a department not theirs, or a cost line or system ID another department's system holds).",
    IssueCode.RECORD_DELETED: "A record a live source (ServiceNow, LeanIX) had sent was deleted or archived there: "
    "it leaves the current inventory (estate sync).",
}

ISSUE_COLUMNS = ("file", "sheet", "row", "column", "value", "code", "severity", "message", "record")


@dataclass(frozen=True)
class Issue:
    """One problem, located as the spreadsheet's user sees it (header is row 1)."""

    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    code: IssueCode
    message: str
    record: str = ""  # a live source's record (ServiceNow sys_id, LeanIX fact-sheet ID), in place of the row

    @property
    def severity(self) -> Severity:
        """Return error or warning, fixed by the code."""
        return Severity.WARNING if self.code in WARNING_CODES else Severity.ERROR

    def location(self) -> str:
        """Return `FILE:SHEET:ROW:COLUMN`, empty parts left blank."""
        row = self.record or ("" if self.row is None else str(self.row))
        return f"{self.file}:{self.sheet}:{row}:{self.column}"

    def as_text(self) -> str:
        """Return the one-line form printed on stderr."""
        return f"{self.location()}: {self.severity} [{self.code}] {self.message}"

    def as_record(self) -> dict[str, object]:
        """Return a plain dict with the columns of ISSUE_COLUMNS."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": str(self.code),
            "severity": str(self.severity),
            "message": self.message,
            "record": self.record,
        }


def has_errors(issues: Iterable[Issue]) -> bool:
    """Return True when any issue is an error."""
    return any(i.severity is Severity.ERROR for i in issues)


def issues_to_json(issues: Iterable[Issue]) -> str:
    """Return the issues as a JSON array of records."""
    return json.dumps([i.as_record() for i in issues], indent=2, ensure_ascii=False)


class ImportRejected(Exception):
    """Raised when validation found errors: nothing was stored."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        errors = sum(i.severity is Severity.ERROR for i in issues)
        super().__init__(f"{errors} error(s) found; nothing was stored")
