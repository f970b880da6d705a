"""Data requests: workbooks asking owners for the missing facts worth most, that import straight back.

A request workbook's `Systems` sheet has the system IDs, names and departments (locked) and one empty
column per requested field, with a note giving the value estate assumes today and its range,
drop-down lists for choice fields and number checks for the rest; a `Guidance` sheet lists the
requests in order of value. Each workbook carries an unguessable request ID (a custom document
property); the store records, under that ID, the systems asked about with their names and
departments (table data_requests). A returned workbook imports with `estate import`: its non-empty
cells fill those fields for those systems (merged field by field with what is stored). An edited
ID, name or department, an extra row, a missing or unknown request ID, and a second return of a
request already imported under another file name are located errors that store nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pyarrow as pa
import xlsxwriter

from estate.files import OutputError, atomic_path
from estate.issues import Issue, IssueCode
from estate.schema import SYSTEMS, FieldType
from estate.workbook import close_workbook

PROPERTY = "estate_request"  # the request ID; what was asked is recorded in the store under it
LEGACY_PROPERTY = "estate_request_ids"  # releases before 0.6 wrote the asked IDs into the workbook itself
SHEETS = ("Systems", "Guidance")  # a request workbook's sheets, in order: how one is recognised without its ID
LOCKED = ("system_id", "name", "department")


def safe_name(text: str) -> str:
    """Return a file-name-safe version of an owner or department name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80] or "unassigned"


def request_file_names(addressees: Sequence[str]) -> dict[str, str]:
    """Return addressee -> request file name, one distinct name each (a short hash when safe names clash)."""
    bases = {a: safe_name(a) for a in addressees}
    clashing = {b for b in bases.values() if list(bases.values()).count(b) > 1}
    names = {}
    for addressee, base in bases.items():
        tag = f"-{hashlib.sha256(addressee.encode()).hexdigest()[:8]}" if base in clashing else ""
        names[addressee] = f"request-{base}{tag}.xlsx"
    return names


def write_requests(requests: pd.DataFrame, systems: pd.DataFrame, out: Path) -> list[tuple[Path, dict]]:
    """Write one request workbook per owner (department when the owner is unknown) into `out`.

    Return (path, record) for each: the record (request_id, addressee, file_name, systems: the asked
    system_id, name and department) is what the store keeps so that a return can be checked.
    requests: system_id, field, value_gbp, assumed, low, high (one row per missing field, most valuable first).
    systems: system_id, name, department, owner.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write {out}: it is a file; give a folder for the request workbooks")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    frame = requests.merge(systems[["system_id", "name", "department", "owner"]], on="system_id", how="left")
    frame["addressee"] = frame["owner"].where(frame["owner"].notna() & frame["owner"].ne(""), frame["department"])
    frame["addressee"] = frame["addressee"].fillna("unassigned").astype(str)
    names = request_file_names(sorted(frame["addressee"].unique()))
    written = []
    for addressee, part in frame.groupby("addressee", sort=True):
        path = out / names[str(addressee)]
        written.append((path, _write_one(part, str(addressee), path)))
    return written


def _write_one(part: pd.DataFrame, addressee: str, path: Path) -> dict:
    fields = [f for f in SYSTEMS.fields if f.name in set(part["field"])]
    order = part.groupby("system_id", sort=False)["value_gbp"].max().sort_values(ascending=False, kind="stable")
    ids = order.index.tolist()
    first = part.drop_duplicates("system_id").set_index("system_id")
    with atomic_path(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"strings_to_formulas": False, "strings_to_numbers": False})
        request_id = secrets.token_hex(16)  # unguessable: a return is matched to the store's record by it
        book.set_custom_property(PROPERTY, request_id)
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
    asked = [
        {"system_id": i, "name": _text(first.at[i, "name"]), "department": _text(first.at[i, "department"])}
        for i in ids
    ]
    return {"request_id": request_id, "addressee": addressee, "file_name": path.name, "systems": asked}


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)


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


def request_identity(path: Path) -> tuple[str, str] | None:
    """Return how a workbook identifies itself as a data request, or None when it is not one.

    ("id", request ID); ("legacy", "") for a request from an earlier release; ("damaged", why) for a
    workbook with a request's sheets whose identity is missing or unreadable.
    """
    if path.suffix.lower() != ".xlsx":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            looks = _has_request_sheets(archive)
            if "docProps/custom.xml" not in names:
                return ("damaged", "its request ID (docProps/custom.xml) was removed") if looks else None
            root = ElementTree.fromstring(archive.read("docProps/custom.xml"))
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    except ElementTree.ParseError:
        return ("damaged", "its request ID (docProps/custom.xml) is not readable XML")
    properties = {prop.get("name"): "".join(prop.itertext()).strip() for prop in root}
    if PROPERTY in properties:
        value = properties[PROPERTY]
        if re.fullmatch(r"[0-9a-f]{32}", value):
            return ("id", value)
        return ("damaged", "its request ID was edited")
    if LEGACY_PROPERTY in properties:
        return ("legacy", "")
    return ("damaged", "its request ID was removed") if looks else None


def _has_request_sheets(archive: zipfile.ZipFile) -> bool:
    try:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
    except KeyError:
        return False
    return tuple(re.findall(r'<(?:\w+:)?sheet\b[^>]*\bname="([^"]*)"', workbook)) == SHEETS


def check_return(file: str, sheet: str, rows: pa.Table, letters: dict[str, str], asked: Sequence[dict],
                 stored: set[str]) -> list[Issue]:  # fmt: skip
    """Return an error for every row of a returned request that was not asked about, or whose locked cells changed.

    rows: system_id, name, department, source_row of the returned Systems sheet; asked: the store's record.
    """
    issues = []
    recorded = {a["system_id"]: a for a in asked if a["system_id"] in stored}
    for record in rows.to_pylist():
        system_id, row = record["system_id"], record["source_row"]
        expected = recorded.get(system_id)
        if expected is None:
            issues.append(Issue(
                file, sheet, row, letters["system_id"], system_id, IssueCode.REQUEST_CHANGED,
                f"'{system_id}' is not one of the systems this data request asked about: restore the ID (IDs are "
                "locked) or delete the added row, then import the file again",
            ))  # fmt: skip
            continue
        for name in ("name", "department"):
            if name in record and (record[name] or "") != expected[name]:
                issues.append(Issue(
                    file, sheet, row, letters.get(name, ""), record[name], IssueCode.REQUEST_CHANGED,
                    f"the {name} of '{system_id}' was '{expected[name]}' when the request was sent: it is locked "
                    "(a data request fills facts, it does not rename or move a system); restore it",
                ))  # fmt: skip
    return issues


def refused_return(file: str, why: str) -> Issue:
    """Return the file-level error of a data request that cannot be trusted."""
    return Issue(file, "", None, "", "", IssueCode.REQUEST_CHANGED, f"this data request cannot be imported: {why}")
