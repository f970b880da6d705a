"""The DuckDB store: schema, all-or-nothing imports, supersession and import history."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from estate.cleaning import MAX_ESTATE_MONEY
from estate.issues import ISSUE_COLUMNS, ImportRejected, Issue, IssueCode, has_errors
from estate.links import resolve_links
from estate.mapping import MappingProfile
from estate.records import located
from estate.schema import COSTS, INTERFACES, PROVENANCE_COLUMNS, SYSTEMS, TABLES, FieldType, Table
from estate.validation import FileResult, TableData, validate_file

DEFAULT_DB = "estate.duckdb"
# The store's layout. 1: release 0.1 (no estate_meta table); 2: estate_meta records the version;
# 3: systems gain the CDDO framework's own scores (cddo_l1 ... cddo_c6). Raise it when a table or column
# is added: opening an earlier database adds them (from the schema module) and keeps every row.
SCHEMA_VERSION = 6  # 4: data_requests (what each data-request workbook asked); 5: sync_sources, sync_records;
# 6: access_log (who saw or changed what in a shared deployment)
DERIVED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "systems": (("end_of_support_derived", "BOOLEAN"), ("end_of_support_basis", "VARCHAR")),
}


class StoreError(Exception):
    """The database cannot be opened or written (in use, read-only, damaged)."""


def default_db_path() -> Path:
    """Return the database path: $ESTATE_DB, else estate.duckdb in the working directory."""
    return Path(os.environ.get("ESTATE_DB") or DEFAULT_DB)


def table_columns(table: Table) -> list[tuple[str, str]]:
    """Return (name, DuckDB type) of every stored column of a table, in order."""
    columns = [(f.name, f.duckdb_type) for f in table.stored_fields]
    columns += DERIVED_COLUMNS.get(table.name, ())
    columns.append(("extra", "JSON"))
    columns += PROVENANCE_COLUMNS
    return columns


def schema_ddl() -> list[str]:
    """Return the CREATE TABLE statements of the store."""
    statements = [
        f"CREATE TABLE IF NOT EXISTS {t.name} ({', '.join(f'{n} {ty}' for n, ty in table_columns(t))})" for t in TABLES
    ]
    statements.append(
        "CREATE TABLE IF NOT EXISTS imports (import_id BIGINT PRIMARY KEY, file_name VARCHAR NOT NULL, "
        "sha256 VARCHAR NOT NULL, mapping JSON, rows_systems BIGINT, rows_interfaces BIGINT, rows_costs BIGINT, "
        "warnings BIGINT, imported_at TIMESTAMP, status VARCHAR, superseded_by BIGINT, software_version VARCHAR)"
    )
    statements.append("CREATE TABLE IF NOT EXISTS estate_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    statements.append(
        "CREATE TABLE IF NOT EXISTS import_files (import_id BIGINT, file_name VARCHAR, sha256 VARCHAR, content BLOB)"
    )
    statements.append(  # one row per data-request workbook written: what it asked, to check its return
        "CREATE TABLE IF NOT EXISTS data_requests (request_id VARCHAR PRIMARY KEY, addressee VARCHAR, "
        "file_name VARCHAR, systems VARCHAR, written_at TIMESTAMP)"
    )
    statements.append(
        "CREATE TABLE IF NOT EXISTS import_issues (import_id BIGINT, file VARCHAR, sheet VARCHAR, row BIGINT, "
        '"column" VARCHAR, value VARCHAR, code VARCHAR, severity VARCHAR, message VARCHAR, record VARCHAR)'
    )
    # live sources (estate.sync): one row per source, and the records it last sent (the mirror each sync updates)
    statements.append(
        "CREATE TABLE IF NOT EXISTS sync_sources (source VARCHAR PRIMARY KEY, kind VARCHAR, url VARCHAR, "
        "file_name VARCHAR, cursors JSON, syncs BIGINT, since_reconcile BIGINT, last_synced_at TIMESTAMP, "
        "last_changed_at TIMESTAMP, last_changes JSON, import_id BIGINT)"
    )
    statements.append(  # a shared deployment (estate app --access): every page, download and import, by whom
        "CREATE TABLE IF NOT EXISTS access_log (logged_at TIMESTAMP, who VARCHAR, role VARCHAR, departments VARCHAR, "
        "page VARCHAR, action VARCHAR, detail VARCHAR)"
    )
    statements.append(
        "CREATE TABLE IF NOT EXISTS sync_records (source VARCHAR, record_table VARCHAR, record_id VARCHAR, "
        "updated_on VARCHAR, sheet VARCHAR, row BIGINT, record JSON)"
    )
    return statements


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to the store, upgraded to this release's layout; raise StoreError if unusable.

    A writable connection creates missing tables and adds missing columns (keeping every row) and
    records the schema version. A read-only connection to a database from an earlier release first
    upgrades it the same way. A database from a newer release is refused, never modified.
    """
    if read_only and not path.exists():
        raise StoreError(f"{path}: no database here yet: run `estate import FILE` first")
    if read_only:
        with _open(path, read_only=True) as connection:
            version = stored_schema_version(connection)
        if version < SCHEMA_VERSION and _has_tables(path):
            with _open(path, read_only=False) as connection:
                upgrade(connection, path)
    with _open(path, read_only) as connection:
        if read_only:
            _refuse_newer(connection, path)
        else:
            upgrade(connection, path)
        yield connection


_IN_TRANSACTION: set[int] = set()  # connections inside transaction(): an inner one joins the outer


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block in one transaction, committed at its end; inside another, as part of that one.

    On any failure the transaction is rolled back and the failure itself is raised: when the rollback
    cannot run (DuckDB has already ended a transaction that failed, say on a full disk), the first cause
    is what the caller sees, never "cannot rollback".
    """
    key = id(connection)
    if key in _IN_TRANSACTION:
        yield
        return
    connection.execute("BEGIN TRANSACTION")
    _IN_TRANSACTION.add(key)
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            connection.execute("ROLLBACK")
        raise
    finally:
        _IN_TRANSACTION.discard(key)


LOCK_WAIT_SECONDS = 5.0  # another process's short read or write: waited for, then "in use" named


@contextmanager
def _open(path: Path, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.05
    while True:
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise StoreError(f"{path}: cannot open the database: {text.splitlines()[0]}") from None
            if time.monotonic() > deadline:  # a reader's moment, or another write, is over in well under this
                raise StoreError(
                    f"{path}: the database is in use by another process: retry when it has finished"
                ) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        except duckdb.Error as exc:
            raise StoreError(f"{path}: cannot open the database: {str(exc).splitlines()[0]}") from None
    try:
        yield connection
    finally:
        connection.close()


def _has_tables(path: Path) -> bool:
    with _open(path, read_only=True) as connection:
        return bool(_table_names(connection))


def _table_names(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def stored_schema_version(connection: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version a database records (1 for release 0.1, which recorded none; 0 when empty)."""
    tables = _table_names(connection)
    if "estate_meta" in tables:
        rows = connection.execute("SELECT value FROM estate_meta WHERE key = 'schema_version'").fetchall()
        if not rows:
            return 1
        if not str(rows[0][0]).isdigit():
            raise StoreError(
                f"the database records schema version {str(rows[0][0])[:20]!r}, which no release of estate writes: "
                "it is damaged or was edited; restore it from a backup (nothing was changed)"
            )
        return int(rows[0][0])
    return 1 if tables else 0


def _refuse_newer(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = stored_schema_version(connection)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: written by a newer release of estate (store schema {version}; this release reads up to "
            f"{SCHEMA_VERSION}): upgrade estate (pip install -U estate) to use it; the file was not changed"
        )


def upgrade(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Bring a store to this release's layout in one transaction: new tables and columns, version recorded."""
    _refuse_newer(connection, path)
    if stored_schema_version(connection) == SCHEMA_VERSION and _columns_complete(connection):
        return
    with transaction(connection):
        for statement in schema_ddl():
            connection.execute(statement)
        for table in TABLES:
            have = {r[0] for r in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table.name]
            ).fetchall()}  # fmt: skip
            for name, kind in table_columns(table):
                if name not in have:  # a field added since the database was written: every row keeps its values
                    connection.execute(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")
        issue_columns = {r[0] for r in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'import_issues'"
        ).fetchall()}  # fmt: skip
        if "record" not in issue_columns:  # 5: a live source's record ID in place of a row
            connection.execute("ALTER TABLE import_issues ADD COLUMN record VARCHAR")
        connection.execute("INSERT OR REPLACE INTO estate_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def _columns_complete(connection: duckdb.DuckDBPyConnection) -> bool:
    """Return True when every input table has every column the schema module declares."""
    have = connection.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    stored = set(have)
    return all((t.name, n) in stored for t in TABLES for n, _ in table_columns(t))


@dataclass
class ImportSummary:
    """What one file's import did."""

    file: str
    sha256: str
    status: str  # imported | unchanged
    import_id: int | None
    rows: dict[str, int] = field(default_factory=dict)
    warnings: int = 0
    superseded: list[int] = field(default_factory=list)
    mapping: list[dict[str, str]] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)  # rows the profile left out on purpose, by table

    def as_text(self) -> str:
        """Return a one-line human summary."""
        if self.status == "unchanged":
            return f"{self.file}: unchanged (the same bytes are already imported as import {self.import_id})"
        counts = ", ".join(f"{n:,} {t}" for t, n in self.rows.items())
        text = f"{self.file}: import {self.import_id}: {counts}; {self.warnings} warning(s)"
        if any(self.left_out.values()):
            text += "; left out by the profile: " + ", ".join(f"{n:,} {t}" for t, n in self.left_out.items() if n)
        if self.superseded:
            text += f"; supersedes import {', '.join(map(str, self.superseded))}"
        return text


def validate_files(
    paths: Sequence[Path],
    profile: MappingProfile | None = None,
    names: Sequence[str] | None = None,
    db: Path | None = None,
    isolated: bool = False,
) -> tuple[list[FileResult], list[Issue]]:
    """Return each file's validation and every issue, including checks across the files given.

    With `db` (an existing store), references are checked against the systems already stored too, as the
    import will: an interface to a stored system is not reported as dangling, a name resolves to its ID.
    `isolated` reads each file in a child process with memory and time limits (estate.isolation): what
    a shared server does with uploads.
    """
    read = validate_file
    if isolated:
        from estate.isolation import validate_file_isolated as read
    results = [read(p, profile, names[i] if names else None) for i, p in enumerate(paths)]
    issues = [i for r in results for i in r.issues]
    stored = NO_SYSTEMS
    if db is not None and db.exists():
        with connect(db, read_only=True) as connection:
            stored = _stored_systems(connection, exclude_files={r.file for r in results})
    issues += resolve_links(results, stored)
    issues += cross_check(results, stored)
    return results, issues


def import_files(
    db: Path,
    paths: Sequence[Path],
    profile: MappingProfile | None = None,
    names: Sequence[str] | None = None,
    validated: Sequence[FileResult] | None = None,
) -> tuple[list[ImportSummary], list[Issue]]:
    """Import files in one transaction; return summaries and issues, or raise ImportRejected (nothing stored).

    `validated`: the files' validation already done (as the app does it, isolated), not repeated.
    """
    results = list(validated) if validated is not None else [
        validate_file(p, profile, names[i] if names else None) for i, p in enumerate(paths)
    ]  # fmt: skip
    refuse_errors(results)  # before the store is opened: a refused file never creates or touches it
    with connect(db) as connection:
        return import_into(connection, results)


def refuse_errors(results: Sequence[FileResult]) -> None:
    """Raise ImportRejected (with the cross-file issues too) when any file has an error."""
    issues = [i for r in results for i in r.issues]
    if has_errors(issues):
        raise ImportRejected(issues + resolve_links(results) + cross_check(results))


def import_into(
    connection: duckdb.DuckDBPyConnection, results: Sequence[FileResult]
) -> tuple[list[ImportSummary], list[Issue]]:
    """Store validated files through `connection` (in one transaction, or the caller's); see import_files."""
    refuse_errors(results)
    issues = [i for r in results for i in r.issues]
    # the same bytes read with another mapping profile are another import, not "unchanged"
    current = {
        (sha, used): import_id
        for import_id, sha, used in connection.execute(
            "SELECT import_id, sha256, json_extract_string(mapping, '$.profile') FROM imports WHERE status = 'current'"
        ).fetchall()
    }
    summaries: list[ImportSummary] = []
    fresh: list[FileResult] = []
    seen: set[tuple[str, str | None]] = set()
    for result in results:
        key = (result.sha256, result.profile_text)
        if key in current or key in seen:
            summaries.append(ImportSummary(result.file, result.sha256, "unchanged", current.get(key)))
            continue
        seen.add(key)
        fresh.append(result)
    replaced = {r.file for r in fresh}
    stored = _stored_systems(connection, exclude_files=replaced)
    issues += resolve_links(fresh, stored)
    issues += cross_check(fresh, stored)
    issues += _check_request_returns(connection, fresh, stored)
    _locate(issues, fresh)
    if has_errors(issues):
        raise ImportRejected(issues)
    _write(connection, fresh, summaries, issues)
    order = {r.file: i for i, r in enumerate(results)}
    summaries.sort(key=lambda s: order.get(s.file, 0))
    return summaries, issues


def _locate(issues: list[Issue], results: Sequence[FileResult]) -> None:
    """Locate (in place) the issues of a synced source's workbook by record ID and field (estate.records)."""
    synced = {r.file: r.sync for r in results if r.sync is not None}
    if synced:
        issues[:] = [located(i, synced.get(i.file)) for i in issues]


def _stored_systems(connection: duckdb.DuckDBPyConnection, exclude_files: set[str]) -> pa.Table:
    """Return (system_id, name, source_file) of the stored systems that stay: what the cross-file checks need."""
    return connection.sql(
        "SELECT system_id, name, source_file FROM systems WHERE NOT list_contains(?, source_file)",
        params=[sorted(exclude_files)],
    ).to_arrow_table()


NO_SYSTEMS = pa.table({name: pa.array([], pa.string()) for name in ("system_id", "name", "source_file")})


def cross_check(results: Sequence[FileResult], stored: pa.Table = NO_SYSTEMS) -> list[Issue]:
    """Return issues across files: a system_id from two files, and references to unknown systems.

    `stored` holds (system_id, name, source_file) of systems already in the store that stay there.
    """
    issues: list[Issue] = []
    known = [stored.column("system_id").combine_chunks()]
    owners = [stored]
    for result in results:
        for data in result.tables.get(SYSTEMS.name, []):
            ids = data.values.column("system_id")
            taken = pa.concat_arrays(known)
            clashes = pc.indices_nonzero(pc.fill_null(pc.is_in(ids, value_set=taken), False)).to_pylist()
            if clashes:
                owner = _owners(owners, ids.take(clashes))
                rows = data.values.column("source_row")
                for position in clashes:
                    system_id = ids[position].as_py()
                    other = owner.get(system_id, "another file")
                    issues.append(
                        Issue(
                            result.file,
                            data.sheet,
                            rows[position].as_py(),
                            data.letter("system_id"),
                            system_id,
                            IssueCode.ID_IN_OTHER_FILE,
                            f"system '{system_id}' also comes from {other}: merged field by field, this file's "
                            "non-empty values win (see field_conflict for any value that differs)",
                        )
                    )
            known.append(ids.drop_null().combine_chunks())
            owners.append(pa.table({"system_id": ids, "source_file": pa.array([result.file] * len(ids))}))
    every_id = pa.concat_arrays(known)
    for result in results:
        for table, fields in ((INTERFACES, ("source_system_id", "target_system_id")), (COSTS, ("system_id",))):
            for data in result.tables.get(table.name, []):
                rows = data.values.column("source_row")
                for name in fields:
                    refs = data.values.column(name)
                    unknown = pc.and_(pc.is_valid(refs), pc.invert(pc.is_in(refs, value_set=every_id)))
                    for position in pc.indices_nonzero(unknown).to_pylist():
                        system_id = refs[position].as_py()
                        issues.append(
                            Issue(
                                result.file,
                                data.sheet,
                                rows[position].as_py(),
                                data.letter(name),
                                system_id,
                                IssueCode.DANGLING_REFERENCE,
                                f"'{system_id}' is not in the inventory: kept; add the system or correct the ID",
                            )
                        )
    return issues


def _check_request_returns(
    connection: duckdb.DuckDBPyConnection, results: Sequence[FileResult], stored: pa.Table
) -> list[Issue]:
    """Return errors for returned data requests (estate.requests) that cannot be trusted or were changed.

    The request ID in the workbook must be one this store recorded (data_requests); its rows must be the
    systems recorded, with the recorded names and departments; a request already imported as another file
    (still current) is refused. A trusted return's FileResult records its request ID.
    """
    from estate.requests import check_return, refused_return, request_identity

    issues: list[Issue] = []
    known = set(stored.column("system_id").to_pylist())
    for result in results:
        identity = request_identity(result.path)
        if identity is None:
            continue
        kind, value = identity
        if kind == "damaged":
            issues.append(refused_return(result.file, f"{value}; import the workbook as it was sent"))
            continue
        if kind == "legacy":
            issues.append(
                refused_return(
                    result.file,
                    "it was written by an earlier release of estate, whose "
                    "requests the store did not record: write them again with estate requests",
                )
            )
            continue
        recorded = connection.execute("SELECT systems FROM data_requests WHERE request_id = ?", [value]).fetchall()
        if not recorded:
            issues.append(
                refused_return(
                    result.file,
                    "its request ID is not one this store sent (another store's "
                    "request, or an edited ID): import it into the store that wrote it",
                )
            )
            continue
        earlier = connection.execute(
            "SELECT file_name FROM imports WHERE status = 'current' AND json_extract_string(mapping, '$.request') = ? "
            "AND file_name <> ?",
            [value, result.file],
        ).fetchall()
        if earlier:
            issues.append(
                refused_return(
                    result.file,
                    f"this request was already imported as '{earlier[0][0]}': "
                    "import a corrected return under that same file name to replace it",
                )
            )
            continue
        asked = json.loads(recorded[0][0])
        for data in result.tables.get(SYSTEMS.name, []):
            columns = [c for c in ("system_id", "name", "department", "source_row") if c in data.values.column_names]
            letters = {c: data.letter(c) for c in ("system_id", "name", "department") if c in columns}
            issues += check_return(
                result.file, data.sheet, data.values.select(columns), letters, asked, known
            )  # fmt: skip
        result.request = value
    return issues


def record_access(
    db: Path,
    who: str,
    role: str,
    departments: str,
    page: str,
    action: str,
    detail: str = "",
    connection: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Append one line to the access log (logged_at: UTC now); through `connection`, in the caller's transaction."""
    row = [datetime.now(UTC).replace(tzinfo=None), who, role, departments, page, action, detail]
    if connection is not None:
        connection.execute("INSERT INTO access_log VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        return
    with connect(db) as opened, transaction(opened):
        opened.execute("INSERT INTO access_log VALUES (?, ?, ?, ?, ?, ?, ?)", row)


def record_requests(db: Path, records: Sequence[dict]) -> None:
    """Record what each data-request workbook asked (estate.requests), so that its return can be checked."""
    with connect(db) as connection, transaction(connection):
        for record in records:
            connection.execute(
                "INSERT INTO data_requests VALUES (?, ?, ?, ?, ?)",
                [record["request_id"], record["addressee"], record["file_name"], json.dumps(record["systems"]),
                 datetime.now(UTC).replace(tzinfo=None)],
            )  # fmt: skip


def _owners(owners: list[pa.Table], ids: pa.Array) -> dict[str, str]:
    """Return system_id -> file for the given ids, from the stored and earlier tables."""
    result: dict[str, str] = {}
    for table in owners:
        hits = table.filter(pc.is_in(table.column("system_id"), value_set=ids))
        for system_id, file in zip(
            hits.column("system_id").to_pylist(), hits.column("source_file").to_pylist(), strict=True
        ):
            result.setdefault(system_id, file)
    return result


def _write(
    connection: duckdb.DuckDBPyConnection,
    fresh: list[FileResult],
    summaries: list[ImportSummary],
    issues: list[Issue],
) -> None:
    from estate import __version__

    # Measured: on 2 cores, one thread inserts Arrow data about twice as fast (benchmarks/RESULTS.md).
    with _one_thread(connection), transaction(connection):
        next_id = connection.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchone()[0]
        for result in fresh:
            import_id = next_id
            next_id += 1
            superseded = [
                row[0]
                for row in connection.execute(
                    "SELECT import_id FROM imports WHERE file_name = ? AND status = 'current'", [result.file]
                ).fetchall()
            ]
            if superseded:
                connection.execute(
                    "UPDATE imports SET status = 'superseded', superseded_by = ? WHERE file_name = ? "
                    "AND status = 'current'",
                    [import_id, result.file],
                )
                for table in TABLES:
                    connection.execute(f"DELETE FROM {table.name} WHERE source_file = ?", [result.file])
            rows = {t.name: 0 for t in TABLES}
            for table in TABLES:
                for data in result.tables.get(table.name, []):
                    rows[table.name] += _insert(connection, table, data, import_id, result.file)
            issues += field_conflicts(connection, import_id)
            _locate(issues, fresh)
            file_issues = [i for i in issues if i.file == result.file]
            left_out = {t.name: sum(d.left_out for d in result.tables.get(t.name, [])) for t in TABLES}
            mapping = {
                "columns": result.mapping_report(), "profile": result.profile_text, "left_out": left_out
            } | ({"request": result.request} if result.request else {})  # fmt: skip
            # The file's own bytes, so `estate report` can ship them and `estate verify` rerun from them.
            connection.execute(
                "INSERT INTO import_files VALUES (?, ?, ?, ?)",
                [import_id, result.file, result.sha256, result.path.read_bytes()],
            )
            connection.execute(
                "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', NULL, ?)",
                [
                    import_id,
                    result.file,
                    result.sha256,
                    json.dumps(mapping),
                    rows["systems"],
                    rows["interfaces"],
                    rows["costs"],
                    len(file_issues),
                    datetime.now(UTC).replace(tzinfo=None),
                    __version__,
                ],
            )
            _insert_issues(connection, import_id, file_issues)
            summaries.append(
                ImportSummary(
                    result.file,
                    result.sha256,
                    "imported",
                    import_id,
                    rows,
                    len(file_issues),
                    superseded,
                    result.mapping_report(),
                    left_out,
                )
            )
        _refuse_unsummable_money(connection, fresh)


def _insert_issues(connection: duckdb.DuckDBPyConnection, import_id: int, issues: Sequence[Issue]) -> None:
    if not issues:
        return
    records = pa.Table.from_pylist([i.as_record() for i in issues])
    connection.register("new_issues", records)
    try:
        connection.execute(
            f"INSERT INTO import_issues SELECT ?, {', '.join(_quoted(c) for c in ISSUE_COLUMNS)} FROM new_issues",
            [import_id],
        )
    finally:
        with suppress(duckdb.Error):
            connection.unregister("new_issues")


def _refuse_unsummable_money(connection: duckdb.DuckDBPyConnection, fresh: list[FileResult]) -> None:
    """Raise ImportRejected (the transaction then rolls back) when the estate's money would not sum exactly."""
    parts = [
        f"SELECT coalesce(sum({f.name}), 0) FROM {table.name}"
        for table in TABLES
        for f in table.stored_fields
        if f.type is FieldType.MONEY
    ]
    total = connection.execute(f"SELECT {' + '.join(f'({p})' for p in parts)}").fetchone()[0]
    if total is not None and total > MAX_ESTATE_MONEY:
        file = fresh[0].file if fresh else ""
        raise ImportRejected([Issue(file, "", None, "", "", IssueCode.OUT_OF_RANGE, (
            f"with this import the estate's money would total £{total:,.0f}, above the £{MAX_ESTATE_MONEY:,.0f} "
            "that estate sums exactly: an amount is in the wrong unit (check £k and £m columns); nothing was stored"
        ))])  # fmt: skip


@contextmanager
def _one_thread(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    connection.execute("SET threads = 1")
    try:
        yield
    finally:
        with suppress(duckdb.Error):
            connection.execute("RESET threads")


MERGED_FIELDS = tuple(f.name for f in SYSTEMS.stored_fields if f.name != "system_id") + tuple(
    name for name, _ in DERIVED_COLUMNS["systems"]
)


def merged_systems_sql(fields: tuple[str, ...] = MERGED_FIELDS) -> str:
    """Return a SELECT of one row per system, merged field by field over every source that gives it.

    Rule: for each field the non-empty value of the latest import wins (a later source supersedes an
    earlier one for the fields it fills, and an import of a new version of a file replaces that file's
    rows). `field_sources` (JSON) names, per field, the file, sheet and row its value came from; the
    system's own provenance columns are those of the latest import that gives the system.
    """
    picked = ",\n  ".join(
        f"arg_max({_quoted(f)}, import_id) FILTER (WHERE {_quoted(f)} IS NOT NULL) AS {_quoted(f)}" for f in fields
    )
    where = ", ".join(
        f"'{f}', arg_max(source_file || '!' || source_sheet || '!' || source_row, import_id) "
        f"FILTER (WHERE {_quoted(f)} IS NOT NULL)"
        for f in fields
    )
    return (
        f"SELECT system_id,\n  {picked},\n  arg_max(extra, import_id) AS extra,\n"
        f"  max(import_id) AS import_id, arg_max(source_file, import_id) AS source_file,\n"
        f"  arg_max(source_sheet, import_id) AS source_sheet, arg_max(source_row, import_id) AS source_row,\n"
        f"  json_object({where}) AS field_sources,\n  count(*) AS sources\nFROM systems GROUP BY system_id"
    )


def field_conflicts(connection: duckdb.DuckDBPyConnection, import_id: int) -> list[Issue]:
    """Return a warning for every field where this import's value differs from another source's for the same system."""
    issues: list[Issue] = []
    shared = connection.execute(
        "SELECT count(*) FROM systems n SEMI JOIN (SELECT system_id FROM systems WHERE import_id <> ?) o "
        "USING (system_id) WHERE n.import_id = ?",
        [import_id, import_id],
    ).fetchall()[0][0]
    if not shared:  # no system also comes from another source: nothing to compare
        return issues
    for name in MERGED_FIELDS:
        column = _quoted(name)
        rows = connection.execute(
            f"SELECT n.source_file, n.source_sheet, n.source_row, n.system_id, CAST(n.{column} AS VARCHAR), "
            f"CAST(o.{column} AS VARCHAR), o.source_file, o.source_sheet, o.source_row "
            f"FROM systems n JOIN systems o ON n.system_id = o.system_id AND o.import_id <> n.import_id "
            f"WHERE n.import_id = ? AND n.{column} IS NOT NULL AND o.{column} IS NOT NULL "
            f"AND n.{column} IS DISTINCT FROM o.{column} ORDER BY n.source_row, o.import_id",
            [import_id],
        ).fetchall()
        for file, sheet, row, system_id, new, old, other_file, other_sheet, other_row in rows:
            issues.append(
                Issue(
                    file,
                    sheet,
                    row,
                    "",
                    new,
                    IssueCode.FIELD_CONFLICT,
                    f"system '{system_id}' field '{name}' is '{new}' here but '{old}' in {other_file}:{other_sheet}:"
                    f"{other_row}: the later import's value is used",
                )
            )
    return issues


def _quoted(name: str) -> str:
    return f'"{name}"'


def _insert(connection: duckdb.DuckDBPyConnection, table: Table, data: TableData, import_id: int, file: str) -> int:
    values = data.values
    connection.register("new_rows", values)
    try:
        names = [n for n, _ in table_columns(table) if n not in ("import_id", "source_file", "source_sheet")]
        select = []
        for name in names:
            if name == "extra":
                is_struct = pa.types.is_struct(values.schema.field("extra").type)
                select.append("to_json(extra)" if is_struct else "NULL::JSON")
            elif name in values.column_names:
                select.append(name)
            else:
                select.append("NULL")
        connection.execute(
            f"INSERT INTO {table.name} ({', '.join(names)}, import_id, source_file, source_sheet) "
            f"SELECT {', '.join(select)}, ?, ?, ? FROM new_rows",
            [import_id, file, data.sheet],
        )
    finally:
        with suppress(duckdb.Error):  # in an aborted transaction: keep the error that aborted it
            connection.unregister("new_rows")
    return values.num_rows


def replace_tables(
    connection: duckdb.DuckDBPyConnection,
    tables: dict[str, object],
    types: dict[str, list[tuple[str, str]]] | None = None,
) -> None:
    """Replace whole result tables (name -> DataFrame or Arrow table) in one transaction.

    `types` (name -> [(column, DuckDB type)]) stores each table with exactly those columns and types.
    """
    with transaction(connection):
        for name, frame in tables.items():
            if not name.isidentifier():
                raise ValueError(f"not a table name: {name!r}")
            declared = (types or {}).get(name)
            select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' if not t.endswith("[]") else f'"{c}"'
                               for c, t in declared) if declared else "*"  # fmt: skip
            connection.register("replacement", frame)
            connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {select} FROM replacement")
            connection.unregister("replacement")
