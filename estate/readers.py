"""Readers: workbooks (via fastexcel, built on calamine) and csv (Python's csv module) into raw text sheets.

Every cell arrives as text (or null) with its spreadsheet row number and
column letter, so that later steps can report problems where a person
would look for them. Files are checked for size, encryption and XML tricks
before any parser sees them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import pyarrow as pa

from estate.extent import ExtentProblem, ExtentScan
from estate.issues import Issue, IssueCode

# Documented limits (docs/inputs.md, "Limits").
MAX_FILE_BYTES = 512 * 1024**2
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
MAX_COMPRESSION_RATIO = 500
RATIO_CHECK_FROM_BYTES = 50 * 1024**2
MAX_SHEET_CELLS = 40_000_000
HEADER_SEARCH_ROWS = 10

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet",)
SINGLE_TABLE_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES  # one table per file, named by the file
XML_SUFFIXES = (".xml",)  # the ArchiMate Model Exchange File Format (estate.archimate)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


class FileProblem(Exception):
    """A file that cannot be read at all, with a located issue."""

    def __init__(self, issue: Issue):
        self.issue = issue
        super().__init__(issue.as_text())


@dataclass
class RawSheet:
    """One sheet as text cells, with the spreadsheet's own row numbers and column letters."""

    file: str
    sheet: str
    cells: pa.Table  # one string column per spreadsheet column, named by its letter
    row_numbers: list[int]  # 1-based row number of each row of `cells`
    hidden: bool = False
    merged_ranges: list[str] = field(default_factory=list)
    error_cells: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, letter) -> '#REF!' ...


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Return the 0-based index of a column letter ('A' -> 0)."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def _problem(file: str, code: IssueCode, message: str, sheet: str = "") -> FileProblem:
    return FileProblem(Issue(file, sheet, None, "", "", code, message))


def read_file(path: Path, display_name: str | None = None) -> list[RawSheet]:
    """Return every sheet of a workbook, or the one sheet of a csv file; raise FileProblem if unreadable."""
    name = display_name or path.name
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _problem(name, IssueCode.UNREADABLE_FILE, f"cannot open the file: {exc.strerror}") from None
    if size == 0:
        raise _problem(name, IssueCode.EMPTY_FILE, "the file is empty")
    if size > MAX_FILE_BYTES:
        raise _problem(
            name,
            IssueCode.TOO_LARGE,
            f"the file is {size / 1024**2:.0f} MB; the limit is {MAX_FILE_BYTES // 1024**2} MB",
        )
    with path.open("rb") as handle:
        head = handle.read(8)
    if suffix in WORKBOOK_SUFFIXES:
        return _read_workbook(path, name, head)
    if suffix in CSV_SUFFIXES:
        return [_read_csv(path, name)]
    if suffix in PARQUET_SUFFIXES:
        return [_read_parquet(path, name)]
    if suffix in XML_SUFFIXES:
        return _read_archimate(path, name)
    if suffix == ".xls":
        raise _problem(name, IssueCode.UNSUPPORTED_FILE_TYPE, "legacy .xls workbooks are not read: save it as .xlsx")
    raise _problem(
        name,
        IssueCode.UNSUPPORTED_FILE_TYPE,
        f"'{suffix or 'no extension'}' files are not read: use .xlsx, .csv, .parquet or an ArchiMate .xml",
    )


# ---------------------------------------------------------------- workbooks


def _read_workbook(path: Path, name: str, head: bytes) -> list[RawSheet]:
    if head.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in path.read_bytes():
            raise _problem(
                name,
                IssueCode.PASSWORD_PROTECTED,
                "the workbook is password-protected: remove the password (File > Info > Protect Workbook) and save",
            )
        raise _problem(name, IssueCode.UNSUPPORTED_FILE_TYPE, "this is a legacy .xls workbook: save it as .xlsx")
    if not head.startswith(_ZIP_MAGIC):
        kind = "text (csv?)" if _looks_like_text(path) else "not a workbook"
        raise _problem(
            name,
            IssueCode.UNREADABLE_FILE,
            f"the file is named .xlsx but its content is {kind}: open it in Excel and save as .xlsx, or rename it .csv",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, name)
            parts = _sheet_parts(archive)
            for sheet, part in parts.items():
                cells = _declared_cells(archive, part)
                if cells > MAX_SHEET_CELLS:
                    raise _problem(
                        name,
                        IssueCode.TOO_LARGE,
                        f"the sheet spans {cells:,} cells; the limit is {MAX_SHEET_CELLS:,}: "
                        "delete unused rows and columns",
                        sheet,
                    )
    except zipfile.BadZipFile:
        raise _problem(
            name, IssueCode.UNREADABLE_FILE, "the workbook is damaged (not a complete zip archive)"
        ) from None
    # One stream through each sheet's XML finds its real extent (every cell reference, checked against
    # Excel's limits), merged ranges and formula-error cells (fastexcel reads #REF! as blank). It runs while
    # fastexcel opens the workbook (shared strings), and no sheet is laid out before its extent is known.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanned = pool.submit(_scan_sheets, path, parts, name)
        try:
            reader = fastexcel.read_excel(str(path))
        except fastexcel.FastExcelError as exc:
            scanned.result()  # a located extent problem is the better message
            raise _problem(
                name, IssueCode.UNREADABLE_FILE, f"the workbook cannot be read: {_first_line(exc)}"
            ) from None
        try:
            ranges = scanned.result()
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise _problem(name, IssueCode.UNREADABLE_FILE, "the workbook is damaged (a part is unreadable)") from None
    unscanned = [s for s in reader.sheet_names if s not in ranges]
    if unscanned:  # every sheet fastexcel would lay out must have been measured
        raise _problem(
            name,
            IssueCode.UNREADABLE_FILE,
            "the workbook's sheet list does not match its parts: save it again",
            unscanned[0],
        )
    try:
        sheets = [_load_sheet(reader, sheet_name, name) for sheet_name in reader.sheet_names]
    except fastexcel.FastExcelError as exc:
        raise _problem(name, IssueCode.UNREADABLE_FILE, f"the workbook cannot be read: {_first_line(exc)}") from None
    for sheet in sheets:
        sheet.merged_ranges, sheet.error_cells = ranges[sheet.sheet]
    if not sheets:
        raise _problem(name, IssueCode.EMPTY_FILE, "the workbook has no sheets")
    return sheets


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(4096)
    return b"\x00" not in sample


def _check_archive(archive: zipfile.ZipFile, name: str) -> None:
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise _problem(
                name,
                IssueCode.UNSAFE_FILE,
                f"part '{info.filename}' expands {ratio:,.0f} times (limit {MAX_COMPRESSION_RATIO}): "
                "refused as a zip bomb",
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _problem(
            name,
            IssueCode.UNSAFE_FILE,
            f"the workbook expands to {total / 1024**3:.1f} GiB (limit {MAX_UNCOMPRESSED_BYTES / 1024**3:.0f} GiB)",
        )
    for info in archive.infolist():
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as part:
                start = part.read(4096)
            if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                raise _problem(
                    name,
                    IssueCode.UNSAFE_FILE,
                    f"part '{info.filename}' declares XML entities, which workbooks never need: refused",
                )


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map sheet names to their XML part inside the archive."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for tag in _REL_TAG.findall(rels):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get(b"Target", b"").decode()
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[attrs.get(b"Id", b"")] = target
    parts = {}
    for tag in _SHEET_TAG.findall(workbook):
        attrs = dict(_ATTR.findall(tag))
        rel = attrs.get(b"r:id") or next((v for k, v in attrs.items() if k.endswith(b":id")), b"")
        sheet_name = _unescape(attrs.get(b"name", b"").decode("utf-8"))
        if rel in targets:
            parts[sheet_name] = targets[rel]
    return parts


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
# <c r="D2" s="1" t="e"><f>#REF!*2</f><v>#REF!</v></c>: an error cell and the error it shows
_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*? t="e"[^>]*>(?:(?!</c>).){0,400}?<v>([^<]{1,40})</v>', re.DOTALL)
MAX_ERROR_CELLS = 10_000  # enough to report; a sheet of errors is not kept in memory whole


def _declared_cells(archive: zipfile.ZipFile, part: str) -> int:
    """Return the cell count the sheet's <dimension> declares (0 when absent), reading only its start."""
    try:
        with archive.open(part) as handle:
            first = handle.read(1 << 16)
    except KeyError:
        return 0
    dim = _DIMENSION.search(first)
    if not dim or not dim.group(3):
        return 0
    rows = int(dim.group(4)) - int(dim.group(2)) + 1
    cols = column_index(dim.group(3).decode()) - column_index(dim.group(1).decode()) + 1
    return rows * cols


def _scan_sheets(
    path: Path, parts: dict[str, str], name: str
) -> dict[str, tuple[list[str], dict[tuple[int, str], str]]]:
    """Return each sheet's merged ranges and formula-error cells, streaming its XML once.

    Raise FileProblem for a cell reference past Excel's limits, or a grid past MAX_SHEET_CELLS.
    """
    result: dict[str, tuple[list[str], dict[tuple[int, str], str]]] = {}
    with zipfile.ZipFile(path) as archive:
        for sheet, part in parts.items():
            merged: list[str] = []
            errors: dict[tuple[int, str], str] = {}
            extent = ExtentScan()
            try:
                handle = archive.open(part)
            except KeyError:
                result[sheet] = ([], {})  # fastexcel lays out nothing for a sheet without a part
                continue
            with handle:
                tail = b""
                while chunk := handle.read(1 << 22):
                    try:
                        extent.feed(chunk)
                    except ExtentProblem as problem:
                        raise _problem(name, IssueCode.TOO_LARGE, str(problem), sheet) from None
                    buffer = tail + chunk
                    if b"<mergeCell " in buffer:
                        merged.extend(m.decode() for m in _MERGE.findall(buffer))
                    if b't="e"' in buffer:
                        for letters, row, value in _ERROR_CELL.findall(buffer):
                            if len(errors) < MAX_ERROR_CELLS:
                                errors[(int(row), letters.decode())] = value.decode(errors="replace")
                    tail = buffer[-1024:]  # a tag cut by the chunk boundary is found whole next time
            try:
                cells = extent.finish().cells
            except ExtentProblem as problem:
                raise _problem(name, IssueCode.TOO_LARGE, str(problem), sheet) from None
            if cells > MAX_SHEET_CELLS:
                raise _problem(
                    name,
                    IssueCode.TOO_LARGE,
                    f"the sheet's cells span {extent.extent.label} ({cells:,} cells); the limit is "
                    f"{MAX_SHEET_CELLS:,}: delete unused rows and columns (a cell far from the rest, "
                    "even an empty formatted one, makes the whole rectangle count)",
                    sheet,
                )
            result[sheet] = (sorted(set(merged)), errors)
    return result


def _load_sheet(reader: fastexcel.ExcelReader, sheet_name: str, file_name: str) -> RawSheet:
    sheet = reader.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string", skip_whitespace_tail_rows=True)
    batch = sheet.to_arrow()
    letters = [column_letter(info.absolute_index) for info in sheet.available_columns()]
    table = pa.Table.from_batches([batch]).rename_columns(letters) if batch.num_columns else pa.table({})
    hidden = str(sheet.visible) != "visible"
    return RawSheet(file_name, sheet_name, table, list(range(1, table.num_rows + 1)), hidden)


def _read_archimate(path: Path, name: str) -> list[RawSheet]:
    from estate.archimate import ArchimateProblem, exchange_tables

    try:
        return [RawSheet(name, sheet, cells, rows) for sheet, cells, rows in exchange_tables(path, name)]
    except ArchimateProblem as problem:
        raise FileProblem(problem.issue) from None


# ---------------------------------------------------------------- csv


def _read_csv(path: Path, name: str) -> RawSheet:
    data = path.read_bytes()
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise _problem(name, IssueCode.UNREADABLE_FILE, "the file is named .csv but is a workbook: rename it .xlsx")
    text = _decode(data, name)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise _problem(
            name, IssueCode.UNREADABLE_FILE, f"the csv cannot be read at line {reader.line_num:,}: {exc}"
        ) from None
    width = max((len(r) for r in rows), default=0)
    if width * len(rows) > MAX_SHEET_CELLS:
        raise _problem(
            name, IssueCode.TOO_LARGE, f"the csv has {width * len(rows):,} cells; the limit is {MAX_SHEET_CELLS:,}"
        )
    columns = {
        column_letter(i): pa.array([r[i] if i < len(r) and r[i] != "" else None for r in rows], pa.string())
        for i in range(width)
    }
    return RawSheet(name, Path(name).stem, pa.table(columns), list(range(1, len(rows) + 1)))  # the name shown


def _decode(data: bytes, name: str) -> str:
    """Return csv text from UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise _problem(name, IssueCode.UNREADABLE_FILE, "the file is binary, not csv text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = exc.start
    import charset_normalizer

    guess = charset_normalizer.from_bytes(data[: 1 << 16]).best()
    if guess is not None and guess.encoding in _MULTIBYTE_ENCODINGS:
        raise _problem(
            name, IssueCode.UNREADABLE_FILE,
            f"the file is not UTF-8 (byte {where:,}): it looks like {guess.encoding} text, which would be read "
            "garbled: save it as 'CSV UTF-8' (Excel) or re-encode it to UTF-8",
        )  # fmt: skip
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _problem(
            name, IssueCode.UNREADABLE_FILE,
            f"the file is neither UTF-8 (byte {where:,}) nor Windows-1252 (byte {exc.start:,}): save it as "
            "'CSV UTF-8' (Excel) or re-encode it to UTF-8",
        ) from None  # fmt: skip


# encodings of East Asian and other multi-byte text: read as Windows-1252 they would be silently garbled
_MULTIBYTE_ENCODINGS = frozenset({
    "cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
    "iso2022_jp", "gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp950", "euc_kr", "cp949", "johab",
    "iso2022_kr", "utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le",
})  # fmt: skip


def _sniff_delimiter(sample: str) -> str:
    counts = {d: sample.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# ---------------------------------------------------------------- parquet


def _read_parquet(path: Path, name: str) -> RawSheet:
    """Return a Parquet file as text cells: its column names are row 1, its rows 2 onwards (as in a csv)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise _problem(name, IssueCode.UNREADABLE_FILE, f"not a readable Parquet file: {_first_line(exc)}") from None
    if table.num_rows * max(table.num_columns, 1) > MAX_SHEET_CELLS:
        raise _problem(
            name,
            IssueCode.TOO_LARGE,
            f"the file has {table.num_rows * table.num_columns:,} cells; the limit is {MAX_SHEET_CELLS:,}",
        )
    nested = [c.name for c in table.schema if pa.types.is_nested(c.type) or (pa.types.is_dictionary(c.type)
              and pa.types.is_nested(c.type.value_type))]  # fmt: skip
    if nested:
        raise _problem(
            name, IssueCode.UNREADABLE_FILE,
            f"column '{nested[0][:60]}' holds nested values (lists, structs or maps), not one value per cell: "
            "flatten it (one column per field) and export the table again",
        )  # fmt: skip
    columns = {}
    for i, column in enumerate(table.schema):
        values = table.column(i).combine_chunks()
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            values = pc.strftime(
                values, format="%Y-%m-%d %H:%M:%S" if pa.types.is_timestamp(column.type) else "%Y-%m-%d"
            )
        text = pc.cast(values, pa.string()) if not pa.types.is_string(values.type) else values
        columns[column_letter(i)] = pa.concat_arrays([pa.array([column.name], pa.string()), text])
    return RawSheet(name, path.stem, pa.table(columns), list(range(1, table.num_rows + 2)))
