"""Data requests: workbooks asking owners for the missing facts worth most, that import straight back.

A request workbook's `Systems` sheet has the system IDs, names and departments (locked) and one empty
column per requested field, with a note giving the value estate assumes today and its range,
drop-down lists for choice fields and number checks for the rest; a `Guidance` sheet lists the
requests in order of value. The workbook records the system IDs it asks about (a custom document
property); a returned workbook imports with `estate import`: its non-empty cells fill those fields
for those systems (merged field by field with what is stored), and an edited ID or an extra row is a
located error that stores nothing.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pyarrow as pa
import xlsxwriter

from estate.files import atomic_path
from estate.issues import Issue, IssueCode
from estate.schema import SYSTEMS, FieldType
from estate.workbook import close_workbook

PROPERTY = "estate_request_ids"
LOCKED = ("system_id", "name", "department")


def safe_name(text: str) -> str:
    """Return a file-name-safe version of an owner or department name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80] or "unassigned"


def write_requests(requests: pd.DataFrame, systems: pd.DataFrame, out: Path) -> list[Path]:
    """Write one request workbook per owner (department when the owner is unknown) into `out`; return them.

    requests: system_id, field, value_gbp, assumed, low, high (one row per missing field, most valuable first).
    systems: system_id, name, department, owner.
    """
    out.mkdir(parents=True, exist_ok=True)
    frame = requests.merge(systems[["system_id", "name", "department", "owner"]], on="system_id", how="left")
    frame["addressee"] = frame["owner"].where(frame["owner"].notna() & frame["owner"].ne(""), frame["department"])
    frame["addressee"] = frame["addressee"].fillna("unassigned")
    written = []
    for addressee, part in frame.groupby("addressee", sort=True):
        path = out / f"request-{safe_name(str(addressee))}.xlsx"
        _write_one(part, str(addressee), path)
        written.append(path)
    return written


def _write_one(part: pd.DataFrame, addressee: str, path: Path) -> None:
    fields = [f for f in SYSTEMS.fields if f.name in set(part["field"])]
    order = part.groupby("system_id", sort=False)["value_gbp"].max().sort_values(ascending=False, kind="stable")
    ids = order.index.tolist()
    first = part.drop_duplicates("system_id").set_index("system_id")
    with atomic_path(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"strings_to_formulas": False, "strings_to_numbers": False})
        book.set_custom_property(PROPERTY, json.dumps(ids))
        locked = book.add_format({"locked": True, "bg_color": "#EEEEEE"})
        open_cell = book.add_format({"locked": False})
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet("Systems")
        headers = [*(SYSTEMS.field(n).header for n in LOCKED), *(f.header for f in fields)]
        for c, header in enumerate(headers):
            sheet.write_string(0, c, header, bold)
            sheet.set_column(c, c, max(14, len(header) + 2))
        asked = {(r.system_id, r.field): r for r in part.itertuples()}
        for r, system_id in enumerate(ids, start=1):
            record = first.loc[system_id]
            for c, value in enumerate((system_id, record["name"], record["department"])):
                sheet.write_string(r, c, "" if pd.isna(value) else str(value), locked)
            for c, f in enumerate(fields, start=len(LOCKED)):
                request = asked.get((system_id, f.name))
                if request is None:  # known already, or not worth asking: locked, grey
                    sheet.write_blank(r, c, None, locked)
                    continue
                sheet.write_blank(r, c, None, open_cell)
                sheet.write_comment(
                    r, c, f"{f.description} estate assumes {_shown(request.assumed)} today "
                    f"(range {_shown(request.low)} to {_shown(request.high)}).", {"x_scale": 2},
                )  # fmt: skip
        for c, f in enumerate(fields, start=len(LOCKED)):
            rule = _validation(f)
            if rule and ids:
                sheet.data_validation(1, c, len(ids), c, rule)
        sheet.protect("", {"format_columns": True, "autofilter": True})
        sheet.freeze_panes(1, 1)
        guidance = book.add_worksheet("Guidance")
        lines = [
            f"Data request for {addressee}: {len(ids)} system(s), {len(part)} missing fact(s), most valuable first.",
            "Fill the white cells of the Systems sheet (leave a cell empty if you do not know); do not change the",
            "grey columns or add rows. Return the file to be imported with `estate import`.",
            "",
        ]
        for n, line in enumerate(lines):
            guidance.write_string(n, 0, line)
        table_headers = [
            "System ID",
            "Name",
            "Field",
            "Value of knowing it (£)",
            "Assumed now",
            "Low (P10)",
            "High (P90)",
        ]
        for c, header in enumerate(table_headers):
            guidance.write_string(len(lines), c, header, bold)
        for r, row in enumerate(part.itertuples(), start=len(lines) + 1):
            guidance.write_string(r, 0, row.system_id)
            guidance.write_string(r, 1, "" if pd.isna(row.name) else str(row.name))
            guidance.write_string(r, 2, SYSTEMS.field(row.field).header)
            for c, value in enumerate((row.value_gbp, row.assumed, row.low, row.high), start=3):
                if pd.notna(value):
                    guidance.write_number(r, c, float(value))
        guidance.set_column(0, 6, 22)
        close_workbook(book)


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "nothing"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


def _validation(f) -> dict | None:
    if f.type is FieldType.CHOICE and f.choices:
        return {"validate": "list", "source": sorted(f.choices)[:50]}
    if f.type in (FieldType.INTEGER,):
        return {"validate": "integer", "criteria": ">=", "value": 0}
    if f.type in (FieldType.NUMBER, FieldType.MONEY):
        return {"validate": "decimal", "criteria": ">=", "value": 0}
    if f.type is FieldType.DATE:
        return {"validate": "date", "criteria": "between", "minimum": pd.Timestamp("1900-01-01").to_pydatetime(),
                "maximum": pd.Timestamp("2100-12-31").to_pydatetime()}  # fmt: skip
    return None


def requested_ids(path: Path) -> list[str] | None:
    """Return the system IDs a request workbook was written for, or None when the file is not one."""
    if path.suffix.lower() != ".xlsx":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            if "docProps/custom.xml" not in archive.namelist():
                return None
            root = ElementTree.fromstring(archive.read("docProps/custom.xml"))
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    for prop in root:
        if prop.get("name") == PROPERTY:
            try:
                return [str(i) for i in json.loads("".join(prop.itertext()))]
            except ValueError:
                return None
    return None


def check_return(file: str, sheet: str, ids: pa.Array, rows: pa.Array, letter: str, asked: Sequence[str],
                 stored: set[str]) -> list[Issue]:  # fmt: skip
    """Return an error for every row of a returned request whose system ID was not asked about or is not stored."""
    issues = []
    allowed = set(asked) & stored
    for system_id, row in zip(ids.to_pylist(), rows.to_pylist(), strict=True):
        if system_id not in allowed:
            issues.append(Issue(
                file, sheet, row, letter, system_id, IssueCode.REQUEST_CHANGED,
                f"'{system_id}' is not one of the systems this data request asked about: restore the ID (IDs are "
                "locked) or delete the added row, then import the file again",
            ))  # fmt: skip
    return issues
