"""Validation: raw sheets -> typed canonical tables plus every problem, located (lazy, like pandera)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from estate.cleaning import (
    MAX_MONEY,
    CellProblem,
    CleanColumn,
    blank_to_null,
    clean_column,
    clean_text,
    financial_year,
    financial_year_of,
)
from estate.files import sha256_of
from estate.issues import Issue, IssueCode, has_errors
from estate.lifecycle import CONFLICT_YEARS, derive_end_of_support
from estate.mapping import (
    QUIET_SHEETS,
    ColumnMapping,
    LinkRules,
    MappingProfile,
    SheetLayout,
    builtin_profile,
    layout_sheet,
    money_unit,
    sheet_matches,
    table_for_csv,
    table_for_sheet,
    table_for_single_sheet,
)
from estate.readers import SINGLE_TABLE_SUFFIXES, XML_SUFFIXES, FileProblem, RawSheet, read_file
from estate.records import SyncRecord, is_sync_sheet, located, read_sync_sheet, removed_issues
from estate.schema import COSTS, INTERFACES, SYSTEMS, TABLES_BY_NAME, FieldType, Table, normalise_header
from estate.shaping import shape_rows

EXAMPLE_SYSTEM_HEADERS = "System ID, Name, Department"


@dataclass
class TableData:
    """One validated sheet: canonical typed columns, provenance, and `extra` for unknown columns."""

    table: Table
    sheet: str
    values: pa.Table
    header_row: int
    columns: list[ColumnMapping]
    left_out: int = 0  # rows the profile left out on purpose (filters); rows read = stored + left out
    links: LinkRules = field(default_factory=LinkRules)

    def letter(self, field_name: str) -> str:
        """Return the spreadsheet letter of the column a field came from ('' when no column gave it)."""
        return next((c.letter for c in self.columns if c.field == field_name), "")


@dataclass
class FileResult:
    """Everything validation learned about one input file."""

    path: Path
    file: str
    sha256: str
    tables: dict[str, list[TableData]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    unread: list[tuple[str, list[ColumnMapping]]] = field(default_factory=list)  # sheets mapped, then refused
    profile_text: str | None = None  # the mapping profile the file was read with, as written
    request: str | None = None  # a returned data request's ID, once the store has checked it (estate.requests)
    sync: SyncRecord | None = None  # a synced source's workbook: its record IDs, fields and removals (estate.records)

    @property
    def ok(self) -> bool:
        """Return True when the file has no errors."""
        return not has_errors(self.issues)

    def rows(self, table_name: str) -> int:
        """Return the number of valid rows read for a table."""
        return sum(t.values.num_rows for t in self.tables.get(table_name, []))

    def mapping_report(self) -> list[dict[str, str]]:
        """Return one record per column: sheet, column letter, header, field (or extra), how matched."""
        return [
            {
                "sheet": t.sheet,
                "column": c.letter,
                "header": c.header,
                "field": c.field or "extra",
                "how": c.how + (f" x{c.multiplier:,.0f}" if c.multiplier != 1 else ""),
            }
            for t in [*(t for tables in self.tables.values() for t in tables), *self._unread()]
            for c in t.columns
        ]

    def _unread(self) -> list[TableData]:
        return [TableData(SYSTEMS, sheet, pa.table({}), 0, columns) for sheet, columns in self.unread]


def validate_file(
    path: Path, profile: MappingProfile | None = None, display_name: str | None = None, today: date | None = None
) -> FileResult:
    """Return the validated tables and every issue of one file; never raises for bad content.

    An ArchiMate exchange file (.xml) given no profile is read with the built-in `archi` profile.
    """
    if profile is None and path.suffix.lower() in XML_SUFFIXES:
        profile = builtin_profile("archi")
    profile = profile or MappingProfile()
    name = display_name or path.name
    try:
        digest = sha256_of(path)
    except OSError as exc:
        return FileResult(
            path,
            name,
            "",
            issues=[Issue(name, "", None, "", "", IssueCode.UNREADABLE_FILE, f"cannot open the file: {exc.strerror}")],
        )
    result = FileResult(path, name, digest, profile_text=profile.text or None)
    try:
        sheets = read_file(path, name)
    except FileProblem as problem:
        result.issues.append(problem.issue)
        return result
    if sheets and all(sheet.cells.num_rows == 0 for sheet in sheets):
        first = sheets[0].sheet
        result.issues.append(Issue(name, first, None, "", "", IssueCode.EMPTY_FILE,
                                   f"sheet '{first}' is empty, as is every sheet of the file"))  # fmt: skip
        return result
    result.sync = next((read_sync_sheet(s) for s in sheets if is_sync_sheet(s)), None)
    for sheet, table in _assign_tables(path, sheets, profile, result.issues):
        data = _validate_sheet(sheet, table, profile, result.issues, today or date.today(), result.unread)
        if data is None:
            continue
        result.tables.setdefault(table.name, []).append(data)
        if table is SYSTEMS:
            costs = _annual_cost_lines(data, today or date.today(), profile, sheet, result.issues)
            if costs is not None:
                result.tables.setdefault(COSTS.name, []).append(costs)
    if result.sync is not None:  # a synced source's workbook: issues by record ID, and what the source removed
        result.issues = [located(i, result.sync) for i in result.issues] + removed_issues(name, result.sync)
    return result


def _issue(sheet: RawSheet, row: int | None, column: str, value: object, code: IssueCode, message: str) -> Issue:
    return Issue(sheet.file, sheet.sheet, row, column, "" if value is None else brief(str(value), 200), code, message)


def brief(text: str, limit: int = 60) -> str:
    """Return text cut to `limit` characters (with its full length) so a message stays readable."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


MAX_TEXT_CHARS = 32_767  # Excel's own limit for one cell; a csv or Parquet file can exceed it
MAX_ID_CHARS = 255


def _assign_tables(
    path: Path, sheets: list[RawSheet], profile: MappingProfile, issues: list[Issue]
) -> list[tuple[RawSheet, Table]]:
    """Return (sheet, table) pairs to import, reporting hidden, missing and unknown sheets."""
    file = sheets[0].file
    ignored = [s for s in sheets if any(sheet_matches(s.sheet, pattern) for pattern in profile.ignore)]
    for sheet in ignored:
        rows = sheet.cells.num_rows
        message = f"'{sheet.sheet}' ({rows:,} rows) left out by the profile's [ignore]"
        issues.append(_issue(sheet, None, "", sheet.sheet, IssueCode.ROWS_LEFT_OUT, message))
    sheets = [s for s in sheets if s not in ignored]
    if not sheets:
        return []
    stem = Path(file).stem  # the name the user knows (an upload is staged under another name)
    if path.suffix.lower() in SINGLE_TABLE_SUFFIXES:
        return [(sheets[0], TABLES_BY_NAME[table_for_csv(stem, sheets[0], profile)])]
    assigned: list[tuple[RawSheet, Table]] = []
    visible = [s for s in sheets if not s.hidden]
    for sheet in sheets:
        table_name = table_for_sheet(sheet.sheet, profile)
        if table_name is None and len(visible) == 1 and sheet is visible[0]:
            # a one-sheet workbook ("Page 1"): the table its file name or its headers say, Systems when unsure
            table_name = table_for_single_sheet(stem, sheet, profile)
        if table_name is None:
            if not sheet.hidden and normalise_header(sheet.sheet) not in QUIET_SHEETS and sheet.cells.num_rows:
                issues.append(
                    _issue(
                        sheet,
                        None,
                        "",
                        "",
                        IssueCode.UNKNOWN_SHEET,
                        f"sheet '{sheet.sheet}' is not Systems, Interfaces or Costs and was not "
                        "imported: rename it or name it in the mapping profile's [sheets]",
                    )
                )
            continue
        if sheet.hidden:
            issues.append(
                _issue(
                    sheet,
                    None,
                    "",
                    "",
                    IssueCode.HIDDEN_SHEET,
                    f"sheet '{sheet.sheet}' is hidden: unhide it (right-click a sheet tab > Unhide) "
                    "so its data can be checked, or delete it",
                )
            )
            continue
        listed = profile.sheets.get(table_name, ())
        stacked = len(listed) > 1 or "*" in listed
        if any(t.name == table_name for _, t in assigned) and not stacked:
            issues.append(
                _issue(
                    sheet,
                    None,
                    "",
                    "",
                    IssueCode.DUPLICATE_SHEET,
                    f"a second {table_name} sheet: keep one sheet per table",
                )
            )
            continue
        assigned.append((sheet, TABLES_BY_NAME[table_name]))
    for table_name, names in profile.sheets.items():
        for wanted in names:
            if "*" in wanted:  # a pattern may match no sheet of a given file
                continue
            if not any(normalise_header(s.sheet) == normalise_header(wanted) for s in sheets):
                issues.append(
                    Issue(
                        file, wanted, None, "", "", IssueCode.MISSING_SHEET,
                        f"the mapping profile names sheet '{wanted}' for {table_name}, but the workbook has no "
                        "such sheet",
                    )
                )  # fmt: skip
    if not assigned and not has_errors(issues):
        names = ", ".join(f"'{s.sheet}'" for s in sheets)
        issues.append(
            Issue(
                file,
                "",
                None,
                "",
                "",
                IssueCode.NO_SYSTEMS_SHEET,
                f"no Systems sheet among {names}: name the inventory sheet 'Systems'",
            )
        )
    return assigned


def _validate_sheet(
    sheet: RawSheet,
    table: Table,
    profile: MappingProfile,
    issues: list[Issue],
    today: date,
    unread: list[tuple[str, list[ColumnMapping]]],
) -> TableData | None:
    if sheet.cells.num_rows == 0:  # a leftover empty sheet is skipped; a file with nothing at all is empty_file
        issues.append(_issue(sheet, None, "", "", IssueCode.EMPTY_SHEET, f"sheet '{sheet.sheet}' is empty: skipped"))
        return None
    layout = layout_sheet(sheet, table, profile)
    listed = profile.sheets.get(table.name, ())
    by_wildcard = "*" in listed and not any(n != "*" and sheet_matches(sheet.sheet, n) for n in listed)
    if layout is None and by_wildcard:  # "*" offers every other sheet; one that is not an inventory is skipped
        issues.append(_issue(sheet, None, "", "", IssueCode.UNKNOWN_SHEET,
                             f"sheet '{sheet.sheet}' has none of the profile's columns: not imported"))  # fmt: skip
        return None
    if layout is None:
        expected = ", ".join(f.header for f in table.fields if f.required)
        issues.append(
            _issue(
                sheet,
                None,
                "",
                "",
                IssueCode.NO_HEADER,
                f"no recognisable header in the first 10 rows: expected columns like {expected} "
                "(or map your headers with --mapping)",
            )
        )
        return None
    before = len(issues)
    provided = set(profile.constants.get(table.name, {})) | {profile.sheet_fields.get(table.name)}
    _check_layout(sheet, layout, issues, provided)
    layout = _money_units(sheet, layout, profile, issues)
    if len(issues) > before and has_errors(issues[before:]):
        unread.append((sheet.sheet, layout.columns))
        return None
    body = sheet.cells.slice(layout.header_index + 1)
    row_numbers = pa.array(sheet.row_numbers[layout.header_index + 1 :], pa.int64())
    text = {c.letter: blank_to_null(body.column(c.letter).combine_chunks()) for c in layout.columns}
    nonblank = _any_nonnull(list(text.values()), body.num_rows)
    keep = pc.indices_nonzero(nonblank)
    count = len(keep)
    if count < body.num_rows:  # drop wholly blank rows, keeping each row's own number
        text = {letter: values.take(keep) for letter, values in text.items()}
        row_numbers = row_numbers.take(keep)
    shaped = shape_rows(sheet, layout, profile, text, row_numbers, issues)
    if shaped is None:
        unread.append((sheet.sheet, layout.columns))
        return None
    text, row_numbers, count = shaped.text, shaped.row_numbers, len(shaped.row_numbers)
    rows = row_numbers.to_pylist()
    mapped = layout.mapped()
    broken = _formula_errors(sheet, layout, rows, issues)
    columns: dict[str, pa.Array] = {}
    extra: dict[str, pa.Array] = {}
    given = dict(profile.constants.get(table.name, {}))
    if table.name in profile.sheet_fields:
        given[profile.sheet_fields[table.name]] = sheet.sheet
    for f in table.fields:
        column = mapped.get(f.name)
        if column is None:
            if f.name in given:  # a constant, or the sheet's name, for a field the sheet has no column for
                cleaned = clean_text(f, pa.array([given[f.name]] * count, pa.string()))
                columns[f.name] = cleaned.values
                for problem in list(cleaned.problems.values())[:1]:
                    issues.append(_issue(sheet, None, "", given[f.name], problem.code,
                                         f"the profile's value for {f.name}: {problem.hint}"))  # fmt: skip
            else:
                columns[f.name] = pa.nulls(count, clean_type(f))
            continue
        raw = text[column.letter]
        if column.currency:  # the amounts may carry the currency's sign: '$31.642', 'US$ 5', 'EUR 3'
            raw = pc.replace_substring_regex(raw, r"(?i)^\s*(?:us\$|\$|€|usd|eur)\s*", "")
        _check_length(sheet, f, column, raw, rows, issues)
        cleaned = clean_text(f, raw)
        if table is COSTS and f.name == "category":
            cleaned = _other_category(sheet, column, raw, cleaned, rows, issues)
        if column.multiplier != 1.0:
            cleaned = CleanColumn(apply_header_unit(raw, cleaned.values, column.multiplier), cleaned.problems)
        if f.type is FieldType.MONEY:
            cleaned = _money_in_range(cleaned, column)
        columns[f.name] = cleaned.values
        unrecognised = []
        where = pa.array(list(cleaned.problems), pa.int64())
        shown = dict(zip(cleaned.problems, raw.take(where).to_pylist(), strict=True))
        for position, problem in cleaned.problems.items():
            value = shown[position]
            issues.append(
                _issue(
                    sheet,
                    rows[position],
                    column.letter,
                    value,
                    problem.code,
                    f"column '{column.header}' has '{brief(str(value))}': {problem.hint}",
                )
            )
            if problem.code is IssueCode.UNRECOGNISED_VALUE:
                unrecognised.append(position)
        if unrecognised:
            mask = [False] * count
            for position in unrecognised:
                mask[position] = True
            extra[column.header] = pc.if_else(pa.array(mask, pa.bool_()), raw, pa.scalar(None, pa.string()))
        if f.required:
            flagged = set(cleaned.problems) | broken.get(column.letter, set())
            for position in pc.indices_nonzero(pc.is_null(cleaned.values)).to_pylist():
                if position not in flagged:
                    issues.append(
                        _issue(
                            sheet,
                            rows[position],
                            column.letter,
                            None,
                            IssueCode.MISSING_VALUE,
                            f"column '{column.header}' is blank: a {f.header} is required on every row",
                        )
                    )
    for column in layout.columns:
        if column.field is None or mapped.get(column.field) is not column:
            extra[_unique_key(extra, column.header)] = text[column.letter]
    split = table is INTERFACES and bool(pc.max(shaped.parts).as_py())
    suffix = pa.scalar("")
    if split:  # a split cell's further values: the row's ID (given or FILE:SHEET:ROW) with .2, .3 ...
        suffix = pc.if_else(
            pc.greater(shaped.parts, 0),
            pc.binary_join_element_wise(pa.scalar(""), pc.cast(pc.add(shaped.parts, 1), pa.string()), "."),
            pa.scalar(""),
        )
        columns["interface_id"] = pc.binary_join_element_wise(columns["interface_id"], suffix, "")
    if table.key:
        _check_duplicates(sheet, columns[table.key], rows, mapped.get(table.key), issues)
    if table is SYSTEMS:
        _check_support_dates(sheet, columns, rows, mapped, issues)  # before derivation: only stated dates
        _derive_end_of_support(sheet, columns, rows, mapped, issues)
    if table is INTERFACES:
        generated = pc.binary_join_element_wise(
            pa.scalar(f"{sheet.file}:{sheet.sheet}"), pc.cast(row_numbers, pa.string()), ":"
        )
        if split:
            generated = pc.binary_join_element_wise(generated, suffix, "")
        columns["interface_id"] = pc.coalesce(columns["interface_id"], generated)
        _check_self_loops(sheet, columns, rows, mapped, issues)
    columns["source_row"] = row_numbers
    columns["extra"] = _extra_struct(extra, count)
    return TableData(
        table, sheet.sheet, pa.table(columns), layout.header_row, layout.columns, shaped.left_out,
        profile.links if table is INTERFACES else LinkRules(),
    )  # fmt: skip


def _other_category(
    sheet: RawSheet, column: ColumnMapping, raw: pa.Array, cleaned: CleanColumn, rows: list[int], issues: list[Issue]
) -> CleanColumn:
    """Return cost categories with any estate does not know kept as `other` (never dropped), each reported."""
    unknown = [p for p, problem in cleaned.problems.items() if problem.code is IssueCode.UNRECOGNISED_VALUE]
    if not unknown:
        return cleaned
    mask = pc.is_in(pa.array(range(len(raw)), pa.int64()), value_set=pa.array(unknown, pa.int64()))
    values = pc.if_else(mask, pa.scalar("other"), cleaned.values)
    for position in unknown:
        value = raw[position].as_py()
        issues.append(
            _issue(
                sheet, rows[position], column.letter, value, IssueCode.UNMAPPED_CATEGORY,
                f"cost category '{brief(str(value))}' is not one of estate's: counted as other; map it in the "
                f'profile, e.g. [values.costs.category] "{brief(str(value), 20)}" = "support_contract"',
            )
        )  # fmt: skip
    return CleanColumn(values, {p: q for p, q in cleaned.problems.items() if p not in unknown})


def _money_in_range(cleaned: CleanColumn, column) -> CleanColumn:
    """Refuse money that, in pounds after the column's unit and currency, is not finite or above MAX_MONEY."""
    values = cleaned.values
    bad = pc.fill_null(pc.or_(pc.invert(pc.is_finite(values)), pc.greater(values, MAX_MONEY)), False)
    if not pc.any(bad).as_py():
        return cleaned
    problems = dict(cleaned.problems)
    for position in pc.indices_nonzero(bad).to_pylist():
        pounds = values[position].as_py()
        shown = f"£{pounds:,.0f}" if math.isfinite(pounds) and pounds < 1e18 else f"£{pounds:.3g}"
        hint = (
            f"this is {shown} in pounds (the column's unit and currency multiply it by {column.multiplier:g}), "
            f"above the £{MAX_MONEY:,.0f} any one amount can be: check the column's unit (£k, £m) and the "
            "profile's exchange rate"
        )
        problems.setdefault(position, CellProblem(IssueCode.OUT_OF_RANGE, hint))
    return CleanColumn(pc.if_else(bad, pa.scalar(None, values.type), values), problems)


_EXPLICIT_SCALE = r"(?i)[0-9.]\s*(k|m|mn|bn|b|thousand|million|billion)\s*\)?\s*$"


def apply_header_unit(raw: pa.Array, values: pa.Array, multiplier: float) -> pa.Array:
    """Return values scaled by a header unit such as '£k', except cells that state their own ('£1.2m')."""
    own_scale = pc.fill_null(pc.match_substring_regex(raw, _EXPLICIT_SCALE), False)
    return pc.if_else(own_scale, values, pc.multiply(values, multiplier))


def clean_type(f) -> pa.DataType:
    """Return the Arrow type of a cleaned field."""
    return clean_column(f, pa.nulls(0, pa.string())).values.type


def _any_nonnull(arrays: list[pa.Array], length: int) -> pa.Array:
    result = pa.array([False] * length) if not arrays else pc.is_valid(arrays[0])
    for array in arrays[1:]:
        result = pc.or_(result, pc.is_valid(array))
    return result


def _unique_key(existing: dict[str, pa.Array], header: str) -> str:
    key, n = header, 2
    while key in existing:
        key, n = f"{header} ({n})", n + 1
    return key


def _extra_struct(extra: dict[str, pa.Array], length: int) -> pa.Array:
    if not extra:
        return pa.nulls(length, pa.string())
    struct = pa.StructArray.from_arrays(list(extra.values()), names=list(extra))
    return struct


def _formula_errors(sheet: RawSheet, layout: SheetLayout, rows: list[int], issues: list[Issue]) -> dict[str, set[int]]:
    """Report every formula-error cell (#REF!, #DIV/0! ...) in an imported column below the header.

    Return letter -> positions (in `rows`) of those cells, so a required one is not reported blank too.
    """
    if not sheet.error_cells:
        return {}
    headers = {c.letter: c.header for c in layout.columns}
    position = {row: i for i, row in enumerate(rows)}
    broken: dict[str, set[int]] = {}
    for (row, letter), shown in sorted(sheet.error_cells.items()):
        if letter not in headers or row <= layout.header_row:
            continue
        issues.append(
            _issue(
                sheet,
                row,
                letter,
                shown,
                IssueCode.FORMULA_ERROR,
                f"column '{headers[letter]}' shows {shown}: a broken formula, so its value is unknown; "
                "fix the formula or type the value",
            )
        )
        if row in position:
            broken.setdefault(letter, set()).add(position[row])
    return broken


def _check_length(sheet: RawSheet, f, column, raw: pa.Array, rows: list[int], issues: list[Issue]) -> None:
    """Report text over Excel's cell limit, or an ID over MAX_ID_CHARS (IDs are keys shown everywhere)."""
    limit = MAX_ID_CHARS if f.name.endswith("_id") else MAX_TEXT_CHARS
    lengths = pc.utf8_length(raw)
    if (pc.max(lengths).as_py() or 0) <= limit:
        return
    for position in pc.indices_nonzero(pc.greater(lengths, limit)).to_pylist():
        value = raw[position].as_py()
        issues.append(
            _issue(
                sheet,
                rows[position],
                column.letter,
                value,
                IssueCode.TOO_LONG,
                f"column '{column.header}' has {len(value):,} characters; the limit is {limit:,}: '{brief(value)}'",
            )
        )


def _check_layout(
    sheet: RawSheet, layout: SheetLayout, issues: list[Issue], provided: set | frozenset = frozenset()
) -> None:
    for merged in sheet.merged_ranges:
        first, _, last = merged.partition(":")
        if int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or 0) >= layout.header_row:
            top = int(first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            issues.append(
                _issue(
                    sheet,
                    top,
                    first.rstrip("0123456789"),
                    merged,
                    IssueCode.MERGED_CELLS,
                    f"cells {merged} are merged, so only the first row or column holds a value: "
                    "unmerge them and fill in every cell",
                )
            )
    seen: dict[str, ColumnMapping] = {}
    for column in layout.columns:
        if column.field is None:
            if column.header != f"Column {column.letter}" and column.how != "profile":  # the profile said so
                issues.append(
                    _issue(
                        sheet,
                        layout.header_row,
                        column.letter,
                        column.header,
                        IssueCode.UNKNOWN_COLUMN,
                        f"column '{column.header}' is not a known field: kept in 'extra'; "
                        "map it with --mapping if it is one",
                    )
                )
            continue
        if column.field in seen:
            first = seen[column.field]
            issues.append(
                _issue(
                    sheet,
                    layout.header_row,
                    column.letter,
                    column.header,
                    IssueCode.DUPLICATE_COLUMN,
                    f"columns {first.letter} ('{first.header}') and {column.letter} ('{column.header}') "
                    f"both mean {column.field}: rename or remove one",
                )
            )
        seen[column.field] = column
    unmapped = [c for c in layout.columns if c.field is None and not c.header.startswith("Column ")]
    for f in layout.table.fields:
        if f.required and f.name not in seen and f.name not in provided:
            closest = _closest_headers(f, unmapped)
            hint = f" (closest unmapped: {', '.join(closest)})" if closest else ""
            issues.append(
                _issue(
                    sheet,
                    layout.header_row,
                    "",
                    "",
                    IssueCode.MISSING_COLUMN,
                    f"no '{f.header}' column{hint}: add one, or map your column to {f.name} with --mapping",
                )
            )


_HEADER_YEAR = re.compile(r"(?<!\d)(\d{4})\s*[-/]\s*(\d{2}|\d{4})(?!\d)")
_HEADER_FY = re.compile(r"\bfy\s*'?(\d{4}|\d{2})\b", re.I)


def header_financial_year(header: str) -> str | None:
    """Return the financial year a header names: '2020-21' or '2020/2021' as 2020-21, 'FY2021' as 2021-22 (UK)."""
    match = _HEADER_YEAR.search(header)
    if match:
        start, end = int(match.group(1)), int(match.group(2)) % 100
        if (start + 1) % 100 == end:
            return financial_year(start)
    match = _HEADER_FY.search(header)
    if match:
        start = int(match.group(1))
        return financial_year(start + 2000 if start < 100 else start)
    return None


def _money_units(sheet: RawSheet, layout: SheetLayout, profile: MappingProfile, issues: list[Issue]) -> SheetLayout:
    """Check each money column's unit and currency; convert other currencies at the profile's recorded rate.

    A bracketed unit estate does not understand ('Cost (CHF)', 'Spend (bn€)') is an error, never ignored;
    so is a currency other than pounds without a rate in the profile's [currency] table.
    """
    columns = []
    stated = profile.units.get(layout.table.name, {})
    for column in layout.columns:
        if column.field in stated:  # the profile states the unit (a headerless sheet, or a header without it)
            _, multiplier, currency = money_unit(f"x ({stated[column.field]})")
            column = replace(column, multiplier=multiplier, currency=currency, unknown_unit="",
                             how=f"{column.how} (unit {stated[column.field]} from the profile)")  # fmt: skip
        if column.unknown_unit:
            issues.append(_issue(
                sheet, layout.header_row, column.letter, column.header, IssueCode.UNKNOWN_UNIT,
                f"column '{column.header}' is in '{column.unknown_unit}', a unit estate does not understand: give "
                "the amounts in pounds, or write the unit as £, £k, £m, $, $k, $M, (USD), (EUR), (thousands) or "
                "(millions)",
            ))  # fmt: skip
        if column.currency:
            rate = profile.rates.get(column.currency)
            if rate is None:
                issues.append(_issue(
                    sheet, layout.header_row, column.letter, column.header, IssueCode.NO_EXCHANGE_RATE,
                    f"column '{column.header}' is in {column.currency}: give pounds per {column.currency} in the "
                    f"mapping profile ([currency] {column.currency} = 0.79, say) so amounts are converted, never "
                    "stored as pounds",
                ))  # fmt: skip
            else:
                column = replace(column, multiplier=column.multiplier * rate,
                                 how=f"{column.how} ({column.currency} at £{rate:g})")  # fmt: skip
        columns.append(column)
    return replace(layout, columns=columns)


def _closest_headers(f, unmapped: list[ColumnMapping], most: int = 3) -> list[str]:
    """Return up to `most` unmapped headers most like the field's name, header or synonyms, as "'header' (B)"."""
    keys = list(f.matching_keys())
    scored = []
    for column in unmapped:
        key = normalise_header(column.header)
        best = max((SequenceMatcher(None, key, k).ratio() for k in keys), default=0.0)
        if best >= 0.4:
            scored.append((-best, column.letter, f"'{column.header}' ({column.letter})"))
    return [text for _, _, text in sorted(scored)[:most]]


def _check_duplicates(
    sheet: RawSheet, keys: pa.Array, rows: list[int], column: ColumnMapping | None, issues: list[Issue]
) -> None:
    if column is None:
        return
    counts = pc.value_counts(keys.drop_null())
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if len(repeated) == 0:
        return
    first_row: dict[str, int] = {}
    for position in pc.indices_nonzero(pc.is_in(keys, value_set=pa.array(repeated))).to_pylist():
        key = keys[position].as_py()
        if key not in first_row:
            first_row[key] = rows[position]
            continue
        issues.append(
            _issue(
                sheet,
                rows[position],
                column.letter,
                key,
                IssueCode.DUPLICATE_ID,
                f"'{key}' is already used on row {first_row[key]}: each {column.field} must be unique",
            )
        )


def _derive_end_of_support(
    sheet: RawSheet,
    columns: dict[str, pa.Array],
    rows: list[int],
    mapped: dict[str, ColumnMapping],
    issues: list[Issue],
) -> None:
    """Fill an unknown end of support from the lifecycle catalogue (technology and runtime platform).

    A stated date more than CONFLICT_YEARS after the catalogue's is end_of_support_conflict: no vendor sells
    support that long (Windows Server 2008 R2 'supported to 2029'), so the catalogue's date is used.
    """
    stack = pc.binary_join_element_wise(
        pc.fill_null(columns["technology"], ""), pc.fill_null(columns["runtime_platform"], ""), " ; "
    )
    stack = pc.if_else(pc.equal(stack, " ; "), pa.scalar(None, pa.string()), stack)
    derived, product = derive_end_of_support(stack)
    stated = columns["end_of_support"]
    late = pc.fill_null(pc.greater(pc.years_between(derived, stated), CONFLICT_YEARS), False)  # as contradicts()
    column = mapped.get("end_of_support")
    positions = pc.indices_nonzero(late)  # each conflict's values taken at once (not one Arrow scalar at a time)
    said, catalogue = stated.take(positions), derived.take(positions)
    conflicts = zip(positions.to_pylist(), said.to_pylist(), pc.strftime(said, format="%d/%m/%Y").to_pylist(),
                    pc.strftime(catalogue, format="%d/%m/%Y").to_pylist(), product.take(positions).to_pylist(),
                    strict=True)  # fmt: skip
    for position, value, said_text, catalogue_text, named in conflicts:
        issues.append(_issue(
            sheet, rows[position], column.letter if column else "", value, IssueCode.END_OF_SUPPORT_CONFLICT,
            f"end of support {said_text} contradicts the lifecycle catalogue: {named} is "
            f"out of support from {catalogue_text} (extended support is sold for at most {CONFLICT_YEARS} "
            "years after): the catalogue's date is used; check the date or the technology",
        ))  # fmt: skip
    use = pc.or_(pc.and_(pc.is_null(stated), pc.is_valid(derived)), late)
    columns["end_of_support"] = pc.if_else(use, derived, stated)
    columns["end_of_support_derived"] = use
    columns["end_of_support_basis"] = pc.if_else(use, product, pa.scalar(None, pa.string()))


def _check_support_dates(
    sheet: RawSheet,
    columns: dict[str, pa.Array],
    rows: list[int],
    mapped: dict[str, ColumnMapping],
    issues: list[Issue],
) -> None:
    support_year = pc.year(columns["end_of_support"])
    early = pc.fill_null(pc.less(support_year, columns["go_live_year"]), False)
    column = mapped.get("end_of_support")
    positions = pc.indices_nonzero(early)
    supports = columns["end_of_support"].take(positions).to_pylist()
    go_lives = columns["go_live_year"].take(positions).to_pylist()
    for position, value, go_live in zip(positions.to_pylist(), supports, go_lives, strict=True):
        issues.append(
            _issue(
                sheet,
                rows[position],
                column.letter if column else "",
                value,
                IssueCode.SUPPORT_BEFORE_GO_LIVE,
                f"end of support {value:%d/%m/%Y} is before go-live year {go_live}: check both",
            )
        )


def _check_self_loops(
    sheet: RawSheet,
    columns: dict[str, pa.Array],
    rows: list[int],
    mapped: dict[str, ColumnMapping],
    issues: list[Issue],
) -> None:
    loops = pc.fill_null(pc.equal(columns["source_system_id"], columns["target_system_id"]), False)
    column = mapped["target_system_id"].letter
    for position in pc.indices_nonzero(loops).to_pylist():
        value = columns["source_system_id"][position].as_py()
        issues.append(
            _issue(
                sheet,
                rows[position],
                column,
                value,
                IssueCode.SELF_LOOP,
                f"interface from '{value}' to itself: kept, but check the target",
            )
        )


def _annual_cost_lines(
    data: TableData, today: date, profile: MappingProfile, sheet: RawSheet, issues: list[Issue]
) -> TableData | None:
    """Return `unspecified` cost lines from a Systems 'Annual cost' column, if any.

    Their financial year is the one the header names ('FY2021' -> 2021-22, '2020-21', '2020/21'), else the
    profile's [spending] financial_year (or --financial-year), else the financial year of the import, with a
    located financial_year_assumed warning. A 0 amount is no_spend_reported: no line is stored, so the run
    cost is unknown (imputed or assumed), never an observed £0.
    """
    column = next((c for c in data.columns if c.field == "annual_cost_gbp"), None)
    if column is None:
        return None
    if pc.sum(pc.is_valid(data.values.column("annual_cost_gbp"))).as_py() == 0:
        return None  # an empty column says nothing about spending
    year = header_financial_year(column.header) or profile.financial_year
    if year is None:
        year = financial_year_of(today)
        issues.append(_issue(
            sheet, data.header_row or None, column.letter, column.header, IssueCode.FINANCIAL_YEAR_ASSUMED,
            f"column '{column.header}' names no financial year: its amounts are stored for {year}, the financial "
            "year of the import; state the year with --financial-year 2021-22 (or [spending] financial_year in "
            "the profile)",
        ))  # fmt: skip
    values = data.values
    amounts = values.column("annual_cost_gbp")
    zero = pc.fill_null(pc.equal(amounts, 0), False)
    for position in pc.indices_nonzero(zero).to_pylist():
        system = values.column("system_id")[position].as_py()
        issues.append(_issue(
            sheet, values.column("source_row")[position].as_py(), column.letter, 0, IssueCode.NO_SPEND_REPORTED,
            f"column '{column.header}' reports no spend for '{system}': no cost line is stored, so its run cost is "
            "unknown (imputed or assumed from the prior), not an observed £0",
        ))  # fmt: skip
    present = pc.and_(pc.is_valid(amounts), pc.invert(zero))
    picked = values.filter(present)
    n = picked.num_rows
    table = pa.table(
        {
            "system_id": picked.column("system_id"),
            "financial_year": pa.array([year] * n, pa.string()),
            "category": pa.array(["unspecified"] * n, pa.string()),
            "amount_gbp": picked.column("annual_cost_gbp"),
            "source_row": picked.column("source_row"),
            "extra": pa.nulls(n, pa.string()),
        }
    )
    return TableData(COSTS, data.sheet, table, data.header_row, [])
