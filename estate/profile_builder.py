"""Mapping profiles made by choosing: the columns each sheet was read with, a profile from a person's choices
(saved as TOML to download and reuse), and the built-in profile that reads a file best.

The Import page uses these so that a department can map its own columns without writing TOML; the profile it
downloads is the one `estate import --mapping FILE` reads, and the one recorded with the import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import tomli_w

from estate.issues import Issue, Severity
from estate.mapping import (
    NOT_A_FIELD,
    ColumnMapping,
    MappingProfile,
    ProfileError,
    builtin_profile,
    builtin_profile_names,
)
from estate.schema import TABLES, TABLES_BY_NAME
from estate.validation import FileResult

KEPT = "(not a field: kept as extra)"  # the choice for a column that is no field
MADE_HERE = "the Import page's mapping"  # the source a chosen profile's messages name


@dataclass(frozen=True)
class SheetColumns:
    """One sheet of a file: the table it was read as (or best fits, if refused) and how each column was matched."""

    file: str
    sheet: str
    table: str
    columns: tuple[ColumnMapping, ...]
    read: bool  # False: the sheet was refused (a required column missing ...)


def sheets_of(result: FileResult) -> list[SheetColumns]:
    """Return every sheet of a validated file with its columns' mapping: read sheets, then refused ones."""
    read = [SheetColumns(result.file, t.sheet, name, tuple(t.columns), True)
            for name, tables in result.tables.items() for t in tables]  # fmt: skip
    refused = [SheetColumns(result.file, sheet, best_table(columns), tuple(columns), False)
               for sheet, columns in result.unread]  # fmt: skip
    return read + refused


def best_table(columns: Sequence[ColumnMapping]) -> str:
    """Return the table whose fields the matched columns name most (systems on a tie)."""
    matched = {c.field for c in columns if c.field}
    return max(TABLES, key=lambda t: (len(matched & {f.name for f in t.fields}), t.name == "systems")).name


def field_choices(table: str) -> dict[str, str]:
    """Return a table's fields as a person picks them: 'Annual cost (£) · annual_cost_gbp' -> field name; and KEPT."""
    fields = {f"{f.header} · {f.name}": f.name for f in TABLES_BY_NAME[table].fields}
    return {KEPT: NOT_A_FIELD, **fields}


def choice_label(table: str, field_name: str | None) -> str:
    """Return the label field_choices gives `field_name` (KEPT for none)."""
    return next((label for label, name in field_choices(table).items() if name == field_name), KEPT)


def profile_data(profile: MappingProfile | None) -> dict:
    """Return a profile's TOML as data (empty for none)."""
    return tomllib.loads(profile.text) if profile is not None and profile.text else {}


def chosen_profile(
    base: MappingProfile | None, columns: dict[str, dict[str, str]], sheets: dict[str, str] | None = None
) -> MappingProfile | None:
    """Return `base` with a person's choices laid over it, its text the TOML to download; `base` if none.

    `columns`: table -> {header as written: field name or "extra"}; `sheets`: a refused sheet -> the table it
    holds (added to that table's sheets). Raise estate.mapping.ProfileError for a choice the schema refuses.
    """
    columns = {table: chosen for table, chosen in columns.items() if chosen}
    sheets = dict(sheets or {})
    if not columns and not sheets:
        return base
    data = profile_data(base)
    for table, chosen in columns.items():
        data.setdefault("columns", {}).setdefault(table, {}).update(chosen)
    for sheet, table in sheets.items():
        listed = data.setdefault("sheets", {}).get(table, [])
        listed = [listed] if isinstance(listed, str) else list(listed)
        data["sheets"][table] = [*listed, sheet] if sheet not in listed else listed
    header = f"# estate mapping profile made on the Import page{f' from {base.source}' if base else ''}\n"
    text = header + tomli_w.dumps(data)
    return replace(MappingProfile.from_dict(tomllib.loads(text), MADE_HERE), text=text)


@dataclass(frozen=True)
class Suggestion:
    """A built-in profile that reads the files better than the one chosen."""

    name: str
    errors: int
    matched: int  # columns matched to a field


def score(results: Sequence[FileResult], issues: Sequence[Issue]) -> tuple[int, int]:
    """Return (errors, columns matched to a field on every sheet, read or refused) of a validation: fewer errors,
    then more matches, is better."""
    errors = sum(i.severity is Severity.ERROR for i in issues)
    matched = sum(1 for r in results for s in sheets_of(r) for c in s.columns if c.field)
    return errors, matched


def suggest_profile(
    validate: Callable[[MappingProfile | None], tuple[list[FileResult], list[Issue]]],
    current: tuple[int, int],
    chosen: str | None,
) -> Suggestion | None:
    """Return the built-in profile that reads the files with fewer errors (or as few and more columns matched)
    than the `current` score, or None; `validate(profile)` validates the files with a profile."""
    best: Suggestion | None = None
    for name in builtin_profile_names():
        if name == chosen:
            continue
        errors, matched = score(*validate(builtin_profile(name)))
        # a hint must read the files better and recognise more of them: a profile that only supplies a constant
        # (a department, say) while recognising no more columns is no hint
        better = (errors, -matched) < (current[0], -current[1]) and matched > current[1]
        if better and (best is None or (errors, -matched) < (best.errors, -best.matched)):
            best = Suggestion(name, errors, matched)
    return best


def uploaded_profile(name: str, content: bytes, folder: Path) -> MappingProfile:
    """Return a mapping profile uploaded as a TOML file (read as `estate import --mapping` reads it); raise
    ProfileError naming the uploaded file for one that is not valid."""
    path = folder / Path(name).name
    path.write_bytes(content)
    try:
        return MappingProfile.load(path)
    except ProfileError as exc:  # name the upload, not the private folder it was staged in
        raise ProfileError(str(exc).replace(str(path), path.name)) from None
