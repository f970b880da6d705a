"""A department's return in a shared deployment: the rows of other departments are refused, located.

A department user (app.access) may import their own departments' systems, those systems' cost lines and
interfaces (an interface may reach another department's system: its far end). Everything else is an
out_of_scope error on its row, so nothing is stored: a system of another department, a system ID that another
department's stored system already has (the merge would change their record), a cost line of such a system.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from estate.issues import Issue, IssueCode
from estate.schema import COSTS, SYSTEMS
from estate.validation import FileResult


def out_of_scope(results: Sequence[FileResult], departments: Iterable[str], stored: Mapping[str, str]) -> list[Issue]:
    """Return an error for every row of the files that is not the departments' own.

    stored: system_id -> department of the systems already in the store.
    """
    allowed = set(departments)
    shown = ", ".join(sorted(allowed))
    issues: list[Issue] = []
    for result in results:
        mine: set[str] = set()
        for data in result.tables.get(SYSTEMS.name, []):
            values = data.values
            for system_id, department, row in zip(values.column("system_id").to_pylist(),
                                                   values.column("department").to_pylist(),
                                                   values.column("source_row").to_pylist(), strict=True):  # fmt: skip
                owner = stored.get(system_id)
                if department not in allowed:
                    issues.append(Issue(result.file, data.sheet, row, data.letter("department"), str(department),
                                        IssueCode.OUT_OF_SCOPE, f"department '{department}' is not yours ({shown}): "
                                        "a department imports only its own systems; remove the row"))  # fmt: skip
                elif owner is not None and owner not in allowed:
                    issues.append(Issue(result.file, data.sheet, row, data.letter("system_id"), str(system_id),
                                        IssueCode.OUT_OF_SCOPE, f"system '{system_id}' is {owner}'s in the store: "
                                        "give your system its own ID"))  # fmt: skip
                else:
                    mine.add(system_id)
        for data in result.tables.get(COSTS.name, []):
            values = data.values
            for system_id, row in zip(values.column("system_id").to_pylist(), values.column("source_row").to_pylist(),
                                      strict=True):  # fmt: skip
                owner = stored.get(system_id)
                if system_id not in mine and owner is not None and owner not in allowed:
                    issues.append(Issue(result.file, data.sheet, row, data.letter("system_id"), str(system_id),
                                        IssueCode.OUT_OF_SCOPE, f"a cost line of {owner}'s system '{system_id}': "
                                        "a department reports only its own systems' costs"))  # fmt: skip
    return issues
