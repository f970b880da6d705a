"""Interface ends as a profile's [links] states them: system names resolved to IDs, links to non-systems left out.

Resolution needs every system an import will know (the files being imported and the systems already stored),
so it runs across files, before the cross-file checks, never inside one sheet's validation.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from estate.issues import Issue, IssueCode
from estate.schema import INTERFACES, SYSTEMS
from estate.validation import FileResult, TableData, brief

ENDS = ("source_system_id", "target_system_id")
NO_NAMES = pa.table({"system_id": pa.array([], pa.string()), "name": pa.array([], pa.string())})


def name_key(name: str) -> str:
    """Return a system name as compared: case-free, spaces collapsed."""
    return " ".join(name.casefold().split())


def resolve_links(results: Sequence[FileResult], stored: pa.Table = NO_NAMES) -> list[Issue]:
    """Resolve interfaces given by system name and leave out links to non-systems; return what was found.

    `stored` holds (system_id, name, ...) of the systems already stored that stay. Each result's interface tables
    are changed in place: names become IDs; rows whose end is not a system are removed and counted when the
    profile says outside = "skip". A name two systems share is an error on its row.
    """
    tables = [(r, d) for r in results for d in r.tables.get(INTERFACES.name, []) if not d.links.default]
    if not tables:
        return []
    ids, names = _known(results, stored)
    issues: list[Issue] = []
    for result, data in tables:
        if data.links.ends == "name":
            issues += _by_name(result, data, ids, names)
        if data.links.outside == "skip":
            issues += _skip_outside(result, data, ids)
    return issues


def _known(results: Sequence[FileResult], stored: pa.Table) -> tuple[set[str], dict[str, set[str]]]:
    """Return every known system ID, and each name's IDs."""
    pairs = list(zip(stored.column("system_id").to_pylist(), stored.column("name").to_pylist(), strict=True))
    for result in results:
        for data in result.tables.get(SYSTEMS.name, []):
            pairs += zip(data.values.column("system_id").to_pylist(), data.values.column("name").to_pylist(),
                         strict=True)  # fmt: skip
    ids = {system_id for system_id, _ in pairs if system_id is not None}
    names: dict[str, set[str]] = {}
    for system_id, name in pairs:
        if system_id is not None and name:
            names.setdefault(name_key(name), set()).add(system_id)
    return ids, names


def _by_name(result: FileResult, data: TableData, ids: set[str], names: dict[str, set[str]]) -> list[Issue]:
    issues = []
    rows = data.values.column("source_row").to_pylist()
    values = data.values
    for end in ENDS:
        resolved = []
        for position, value in enumerate(values.column(end).to_pylist()):
            found = names.get(name_key(value), set()) if value is not None else set()
            if len(found) == 1:
                resolved.append(next(iter(found)))
                continue
            if len(found) > 1:
                issues.append(
                    Issue(
                        result.file, data.sheet, rows[position], data.letter(end), value, IssueCode.AMBIGUOUS_NAME,
                        f"'{brief(value)}' is the name of {len(found)} systems ({', '.join(sorted(found)[:5])}): "
                        "give the system ID instead, or rename one",
                    )
                )  # fmt: skip
            resolved.append(value)  # an ID given instead of a name, or not a system: kept as it is
        values = values.set_column(values.schema.get_field_index(end), end, pa.array(resolved, pa.string()))
    data.values = values
    return issues


def _skip_outside(result: FileResult, data: TableData, ids: set[str]) -> list[Issue]:
    known = pa.array(sorted(ids), pa.string())
    inside = pc.and_(*(pc.fill_null(pc.is_in(data.values.column(end), value_set=known), False) for end in ENDS))
    dropped = len(inside) - pc.sum(inside).as_py() if len(inside) else 0
    if not dropped:
        return []
    outside = data.values.filter(pc.invert(inside))
    rows = outside.column("source_row").to_pylist()
    shown = ", ".join(map(str, rows[:10])) + (" ..." if dropped > 10 else "")
    data.values = data.values.filter(inside)
    data.left_out += dropped
    return [
        Issue(
            result.file, data.sheet, None, "", "", IssueCode.ROWS_LEFT_OUT,
            f"{dropped:,} of {len(inside):,} links left out because an end is not a system in the inventory "
            f"(the profile's links.outside = \"skip\"): rows {shown}",
        )
    ]  # fmt: skip
