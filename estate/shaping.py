"""Row shaping a mapping profile asks for, on a sheet's raw text before typing: filters, direction, splits, recodes.

Every step keeps each row's own spreadsheet row number, and every row a profile leaves out is counted and
reported (rows read = rows kept + rows left out), so a profile never loses a row silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from estate.issues import Issue, IssueCode
from estate.mapping import ColumnMapping, MappingProfile, SheetLayout
from estate.readers import RawSheet
from estate.schema import normalise_header


@dataclass
class ShapedRows:
    """A sheet's raw text columns (by letter) after the profile's row rules."""

    text: dict[str, pa.Array]
    row_numbers: pa.Array
    parts: pa.Array  # 0 for a row as read; 1, 2 ... for the further values of a split cell
    left_out: int = 0


def _column(layout: SheetLayout, wanted: str) -> ColumnMapping | None:
    """Return the column a profile names by header or by letter."""
    key = normalise_header(wanted)
    by_header = next((c for c in layout.columns if normalise_header(c.header) == key), None)
    return by_header or next((c for c in layout.columns if c.letter.lower() == key), None)


def _normalised(values: pa.Array) -> tuple[pa.Array, list[str]]:
    """Return a column's distinct values and their normalised forms (for case- and punctuation-free matching)."""
    distinct = pc.unique(values).drop_null()
    return distinct, [normalise_header(v) for v in distinct.to_pylist()]


def _where(values: pa.Array, wanted: set[str] | tuple[str, ...]) -> pa.Array:
    """Return a mask of the cells whose normalised text is one of `wanted` (null cells: False)."""
    distinct, keys = _normalised(values)
    hits = pa.array([v for v, k in zip(distinct.to_pylist(), keys, strict=True) if k in wanted], pa.string())
    return pc.fill_null(pc.is_in(values, value_set=hits), False)


def shape_rows(
    sheet: RawSheet,
    layout: SheetLayout,
    profile: MappingProfile,
    text: dict[str, pa.Array],
    row_numbers: pa.Array,
    issues: list[Issue],
) -> ShapedRows | None:
    """Return the rows the profile keeps, reversed, split and recoded; None after an error in the profile's use."""
    table = layout.table.name
    shaped = ShapedRows(text, row_numbers, pa.array([0] * len(row_numbers), pa.int64()))
    for wanted, kept in profile.filters.get(table, {}).items():
        column = _column(layout, wanted)
        if column is None:
            issues.append(_missing(sheet, layout, wanted, "filters on"))
            return None
        _filter(sheet, layout, shaped, column, kept, issues)
    if table == "interfaces" and profile.links.direction:
        column = _column(layout, profile.links.direction)
        if column is None:
            issues.append(_missing(sheet, layout, profile.links.direction, "takes each link's direction from"))
            return None
        _reverse(layout, shaped, _where(shaped.text[column.letter], profile.links.reverse))
    mapped = layout.mapped()
    for field_name, separator in profile.split.get(table, {}).items():
        if field_name in mapped:
            _split(shaped, mapped[field_name].letter, separator)
    for field_name, codes in profile.values.get(table, {}).items():
        if field_name in mapped:
            letter = mapped[field_name].letter
            shaped.text[letter] = recode(shaped.text[letter], codes)
    return shaped


def _missing(sheet: RawSheet, layout: SheetLayout, wanted: str, what: str) -> Issue:
    return Issue(
        sheet.file, sheet.sheet, layout.header_row or None, "", wanted, IssueCode.MISSING_COLUMN,
        f"the mapping profile {what} column '{wanted}', which this sheet does not have",
    )  # fmt: skip


def _filter(
    sheet: RawSheet,
    layout: SheetLayout,
    shaped: ShapedRows,
    column: ColumnMapping,
    kept: tuple[str, ...],
    issues: list[Issue],
) -> None:
    values = shaped.text[column.letter]
    keep = _where(values, kept)
    dropped = len(values) - pc.sum(keep).as_py() if len(values) else 0
    if not dropped:
        return
    left = values.filter(pc.invert(keep)).to_pylist()
    common = ", ".join(f"{v or '(blank)'} ({n:,})" for v, n in Counter(left).most_common(5))
    issues.append(
        Issue(
            sheet.file, sheet.sheet, layout.header_row or None, column.letter, column.header, IssueCode.ROWS_LEFT_OUT,
            f"{dropped:,} of {len(values):,} rows left out by the profile's filter on '{column.header}' "
            f"(most common: {common})",
        )
    )  # fmt: skip
    shaped.text = {letter: array.filter(keep) for letter, array in shaped.text.items()}
    shaped.row_numbers = shaped.row_numbers.filter(keep)
    shaped.parts = shaped.parts.filter(keep)
    shaped.left_out += dropped


def _reverse(layout: SheetLayout, shaped: ShapedRows, flip: pa.Array) -> None:
    """Swap the source and target cells of the rows whose direction column says the link points the other way."""
    mapped = layout.mapped()
    if "source_system_id" not in mapped or "target_system_id" not in mapped:
        return
    source, target = mapped["source_system_id"].letter, mapped["target_system_id"].letter
    old_source, old_target = shaped.text[source], shaped.text[target]
    shaped.text[source] = pc.if_else(flip, old_target, old_source)
    shaped.text[target] = pc.if_else(flip, old_source, old_target)


def _split(shaped: ShapedRows, letter: str, separator: str) -> None:
    """Give each value of a multi-valued cell its own row (other cells repeated; blank cells keep one row)."""
    positions: list[int] = []
    parts: list[int] = []
    values: list[str | None] = []
    for position, cell in enumerate(shaped.text[letter].to_pylist()):
        pieces = [p.strip() for p in cell.split(separator)] if cell is not None else []
        pieces = [p for p in pieces if p] or [None]
        for index, piece in enumerate(pieces):
            positions.append(position)
            parts.append(index)
            values.append(piece)
    if len(positions) == len(shaped.row_numbers):
        shaped.text[letter] = pa.array(values, pa.string())
        return
    take = pa.array(positions, pa.int64())
    shaped.text = {key: array.take(take) for key, array in shaped.text.items()}
    shaped.text[letter] = pa.array(values, pa.string())
    shaped.row_numbers = shaped.row_numbers.take(take)
    shaped.parts = pc.add(shaped.parts.take(take), pa.array(parts, pa.int64()))


def recode(values: pa.Array, codes: dict[str, str]) -> pa.Array:
    """Return the column with each value the profile recodes replaced (matched without case or punctuation)."""
    distinct, keys = _normalised(values)
    replacements = [codes.get(k, v) for v, k in zip(distinct.to_pylist(), keys, strict=True)]
    where = pc.index_in(values, value_set=distinct)
    return pa.array(replacements, pa.string()).take(where)
