"""A sync is an import: the records a live source sent, kept in the store, imported as the export they amount to.

Each sync fetches what changed since the source's stored cursor (everything the first time), applies it to the
records the store holds from that source (`sync_records`, the mirror: one row per record at its latest state),
writes the mirror as the export workbook the source's built-in profile reads (the sheet and column names of a
ServiceNow list export or a LeanIX inventory export) and imports that workbook like any file: the same mapping
declarations, validation, field-by-field merge with spreadsheets and ledgers, and provenance (each stored row's
sheet and row lead to the record's ID and update time in `sync_records`). Mirror, cursor and import are one
transaction: a sync that fails stores nothing. A record deleted at the source (found by reconciling the full ID
list, or archived in LeanIX) leaves the inventory with a record_deleted warning.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import xlsxwriter

from estate.issues import Issue
from estate.readers import column_letter
from estate.records import ABOUT, SYNC_SHEET, SyncRecord
from estate.store import ImportSummary, connect, import_into, transaction
from estate.sync.http import Http
from estate.validation import validate_file

RECONCILE_EVERY = 10  # the full ID list is read at least every this many syncs (and on the first): a source's own
# `reconcile_every` says otherwise (ServiceNow: every sync, its sys_id list being the cheapest read there is)
STALE_AFTER_HOURS = 24.0  # a source not synced for longer is flagged on every surface


@dataclass
class Sheet:
    """One sheet of the export a source amounts to: its header labels and one row of text per record."""

    table: str  # estate table: systems | interfaces
    name: str  # the sheet's name (the source's table or fact-sheet type), as the profile's [sheets] expects
    headers: list[str]
    fields: list[str]  # the source's field behind each column (issues name it, not the column letter)
    rows: list[tuple[str, list[str]]]  # (record ID, cells)

    @property
    def title(self) -> str:
        """Return the sheet's name as a workbook holds it (Excel's 31 characters)."""
        return self.name[:31]


@dataclass
class Fetched:
    """What one sync read: records changed since the cursors (latest state), new cursors, full ID lists."""

    records: dict[tuple[str, str], tuple[str, dict]] = field(default_factory=dict)  # (table, ID) -> (updated, record)
    cursors: dict[str, str] = field(default_factory=dict)
    present: dict[str, set[str]] = field(default_factory=dict)  # table -> every ID at the source (reconciled)
    removed: set[tuple[str, str]] = field(default_factory=set)  # records the source says are gone (archived)


class Source:
    """A live source: fetch what changed through its client (`http`), render the mirror as the export's sheets."""

    kind = ""
    label = ""
    reconcile_every = RECONCILE_EVERY
    url = ""
    profile = None
    http: Http

    def tables(self) -> dict[str, str]:
        """Return estate table -> the source's table or fact-sheet type."""
        raise NotImplementedError

    def fetch(self, cursors: dict[str, str], reconcile: bool) -> Fetched:
        """Return what changed since the cursors (the source's `read`), closing the connections after."""
        try:
            return self.read(cursors, reconcile)
        finally:
            self.http.close()

    def read(self, cursors: dict[str, str], reconcile: bool) -> Fetched:
        """Return what changed since the cursors, and every ID when `reconcile`."""
        raise NotImplementedError

    def render(self, mirror: dict[tuple[str, str], tuple[str, dict]]) -> list[Sheet]:
        """Return the mirror as the export's sheets."""
        raise NotImplementedError

    def describe(self, record: dict) -> str:
        """Return how people know a record: its number and name where it has them."""
        named = []
        for name in ("number", "name"):
            value = record.get(name)
            if isinstance(value, dict):
                value = value.get("display_value", value.get("value"))
            if value:
                named.append(str(value))
        return " ".join(dict.fromkeys(named))

    @property
    def key(self) -> str:
        """Return the source's identity in the store: kind and URL."""
        return f"{self.kind} {self.url}"

    @property
    def file_name(self) -> str:
        """Return the name the source's imports carry (the workbook the report ships, `estate verify` re-imports)."""
        parts = urlsplit(self.url)
        host = (parts.hostname or "source").replace(":", "-")
        port = f"-{parts.port}" if parts.port else ""
        return f"{self.kind}-{host}{port}.xlsx"


@dataclass
class SyncSummary:
    """What one sync did."""

    source: str
    status: str  # imported | unchanged
    added: list[str] = field(default_factory=list)  # "table/record ID"
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reconciled: bool = False
    imported: ImportSummary | None = None
    issues: list[Issue] = field(default_factory=list)
    requests: int = 0
    throttled: int = 0
    waited: float = 0.0

    @property
    def changed(self) -> bool:
        """Return True when anything was added, updated or removed."""
        return bool(self.added or self.updated or self.removed)

    def as_text(self) -> str:
        """Return a one-line human summary."""
        counts = f"{len(self.added):,} added, {len(self.updated):,} updated, {len(self.removed):,} removed"
        text = f"{self.source}: {counts}"
        if self.reconciled:
            text += " (full ID list reconciled)"
        if self.imported is not None and self.imported.status == "imported":
            text += f"; {self.imported.as_text()}"
        elif not self.changed:
            text += "; nothing changed since the last sync"
        text += f"; {self.requests:,} request(s)"
        if self.throttled:
            text += f", {self.throttled:,} rate-limited (429) and waited {self.waited:,.1f} s"
        return text


def sync(db: Path, source: Source, reconcile: bool = False, reconcile_every: int | None = None) -> SyncSummary:
    """Sync one source into the store; return what changed, or raise (SyncError, ImportRejected): nothing stored.

    The full ID list is read (deletions found) on the first sync, with `reconcile`, and at least every
    `reconcile_every` syncs (the source's own default when None).
    """
    state = _state(db, source)
    every = reconcile_every or source.reconcile_every
    full = reconcile or state["syncs"] == 0 or state["since_reconcile"] + 1 >= every
    fetched = source.fetch({} if state["syncs"] == 0 else state["cursors"], full)
    mirror = dict(state["mirror"])
    http = source.http  # its counts: requests made, 429s waited out and for how long
    summary = SyncSummary(source.key, "unchanged", reconciled=full and state["syncs"] > 0, requests=http.requests,
                          throttled=http.throttled, waited=http.waited)  # fmt: skip
    gone = {
        k for k in set(mirror) | set(fetched.records)
        if k in fetched.removed or (k[0] in fetched.present and k[1] not in fetched.present[k[0]])
    }  # fmt: skip
    for key, (updated, record) in sorted(fetched.records.items()):
        if key in gone:
            continue
        before = mirror.get(key)
        if before is not None and before[0] == updated:  # read again at the cursor's second: not a change
            continue
        (summary.added if before is None else summary.updated).append(f"{key[0]}/{key[1]}")
        mirror[key] = (updated, record)
    removed = sorted(k for k in gone if k in mirror)
    summary.removed = [f"{k[0]}/{k[1]}" for k in removed]
    tables = source.tables()
    record = SyncRecord(removed=[(tables.get(k[0], k[0]), k[1], source.describe(mirror[k][1])) for k in removed])
    for key in removed:
        del mirror[key]
    cursors = state["cursors"] | {t: c for t, c in fetched.cursors.items() if c}
    since = 0 if full else state["since_reconcile"] + 1
    if not summary.changed and state["import_id"] is not None:
        with connect(db) as connection, transaction(connection):
            _record_source(connection, source, cursors, state["syncs"] + 1, since, summary, changed=False)
        return summary
    sheets = source.render(mirror)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    about = [source.label, source.url, now.isoformat(sep=" "), str(len(summary.added)), str(len(summary.updated)),
             str(len(summary.removed)), str(len(mirror))]  # fmt: skip
    record.about = dict(zip(ABOUT, about, strict=True))
    placed = {}  # (estate table, record ID) -> (sheet, row): the workbook's rows, and the mirror's provenance
    for sheet in sheets:
        placed.update({(sheet.table, record_id): (sheet.title, row) for row, (record_id, _) in
                       enumerate(sheet.rows, start=2)})  # fmt: skip
        record.fields.update({(sheet.title, column_letter(i)): f for i, f in enumerate(sheet.fields)})
    record.records = {where: record_id for (_, record_id), where in placed.items()}
    with tempfile.TemporaryDirectory(prefix="estate-sync-") as folder:
        path = Path(folder) / source.file_name
        _write_workbook(path, sheets, record)
        result = validate_file(path, source.profile, display_name=source.file_name)
        with connect(db) as connection, transaction(connection):
            summaries, issues = import_into(connection, [result])
            _store_mirror(connection, source, placed, mirror)
            summary.status, summary.imported, summary.issues = summaries[0].status, summaries[0], issues
            _record_source(connection, source, cursors, state["syncs"] + 1, since, summary, changed=True,
                           import_id=summaries[0].import_id)  # fmt: skip
    return summary


def _state(db: Path, source: Source) -> dict:
    key = source.key
    estate_table = {t: name for name, t in source.tables().items()}
    empty = {"syncs": 0, "since_reconcile": 0, "cursors": {}, "mirror": {}, "import_id": None}
    if not db.exists():
        return empty
    with connect(db, read_only=True) as connection:
        row = connection.execute(
            "SELECT syncs, since_reconcile, cursors, import_id FROM sync_sources WHERE source = ?", [key]
        ).fetchone()
        if row is None:
            return empty
        records = connection.execute(
            "SELECT record_table, record_id, updated_on, record FROM sync_records WHERE source = ?", [key]
        ).fetchall()
    mirror = {(estate_table.get(t, t), i): (u, json.loads(r)) for t, i, u, r in records}
    return {"syncs": row[0], "since_reconcile": row[1], "cursors": json.loads(row[2]), "mirror": mirror,
            "import_id": row[3]}  # fmt: skip


def _write_workbook(path: Path, sheets: list[Sheet], record: SyncRecord) -> None:
    """Write the sheets as an xlsx of text cells, then the sync's own record (SYNC_SHEET)."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"created": datetime(2000, 1, 1)})  # not the time of writing: the digest is the content's
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet.title)
        for column, header in enumerate(sheet.headers):
            worksheet.write_string(0, column, header)
        for row, (_, cells) in enumerate(sheet.rows, start=1):
            for column, text in enumerate(cells):
                if text:
                    worksheet.write_string(row, column, text[:32_767])
    worksheet = workbook.add_worksheet(SYNC_SHEET)
    for row, cells in enumerate(record.rows()):
        for column, text in enumerate(cells):
            worksheet.write_string(row, column, text)
    workbook.close()


def synced_workbook(content: bytes) -> dict[str, str] | None:
    """Return the sync's own record (SYNC_SHEET's about rows) a synced source's workbook carries, else None."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(content)
        if SYNC_SHEET not in reader.sheet_names:
            return None
        frame = reader.load_sheet(SYNC_SHEET, header_row=None, dtypes="string").to_arrow()
    except Exception:
        return None
    about = {str(b): str(c or "") for a, b, c in zip(*(frame.column(i).to_pylist() for i in range(3)), strict=True)
             if a == "about"}  # fmt: skip
    return about if set(ABOUT) <= set(about) else None


def _store_mirror(connection: duckdb.DuckDBPyConnection, source: Source, placed: dict, mirror: dict) -> None:
    connection.execute("DELETE FROM sync_records WHERE source = ?", [source.key]).fetchall()
    tables = source.tables()
    rows = [
        (
            source.key,
            tables.get(t, t),
            i,
            updated,
            *placed.get((t, i), (None, None)),
            json.dumps(record, sort_keys=True),
        )
        for (t, i), (updated, record) in sorted(mirror.items())
    ]
    if rows:
        connection.executemany("INSERT INTO sync_records VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _record_source(
    connection: duckdb.DuckDBPyConnection,
    source: Source,
    cursors: dict[str, str],
    syncs: int,
    since_reconcile: int,
    summary: SyncSummary,
    changed: bool,
    import_id: int | None = None,
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    changes = json.dumps({"added": len(summary.added), "updated": len(summary.updated),
                          "removed": len(summary.removed)})  # fmt: skip
    previous = connection.execute(
        "SELECT last_changed_at, last_changes, import_id FROM sync_sources WHERE source = ?", [source.key]
    ).fetchone()
    if previous is not None and not changed:
        last_changed_at, changes, import_id = previous
    else:
        last_changed_at = now
    connection.execute(
        "INSERT OR REPLACE INTO sync_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source.key, source.kind, source.url, source.file_name, json.dumps(cursors), syncs, since_reconcile, now,
         last_changed_at, changes, import_id],
    )  # fmt: skip


@dataclass
class SourceStatus:
    """One live source as the surfaces show it."""

    source: str
    kind: str
    url: str
    file_name: str
    last_synced_at: datetime  # UTC, naive
    last_changed_at: datetime | None
    changes: dict[str, int]
    records: int

    def age_hours(self, now: datetime | None = None) -> float:
        """Return the hours since the source was last synced (at `now`, UTC; the time of asking by default)."""
        return ((now or datetime.now(UTC).replace(tzinfo=None)) - self.last_synced_at).total_seconds() / 3600

    def stale(self, now: datetime | None = None, after_hours: float = STALE_AFTER_HOURS) -> bool:
        """Return True when the source was last synced more than `after_hours` ago."""
        return self.age_hours(now) > after_hours


def source_status(connection: duckdb.DuckDBPyConnection) -> list[SourceStatus]:
    """Return every synced source: when last synced, what its last change was, how many records it holds."""
    tables = {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "sync_sources" not in tables:
        return []
    rows = connection.execute(
        "SELECT s.source, s.kind, s.url, s.file_name, s.last_synced_at, s.last_changed_at, s.last_changes, "
        "(SELECT count(*) FROM sync_records r WHERE r.source = s.source) FROM sync_sources s ORDER BY s.source"
    ).fetchall()
    return [
        SourceStatus(source, kind, url, file_name, synced, changed, json.loads(changes or "{}"), records)
        for source, kind, url, file_name, synced, changed, changes, records in rows
    ]


def record_provenance(connection: duckdb.DuckDBPyConnection, file_name: str, sheet: str, row: int) -> dict | None:
    """Return the source record behind a stored row (source, table, record ID, update time), or None for a file."""
    found = connection.execute(
        "SELECT r.source, r.record_table, r.record_id, r.updated_on FROM sync_records r JOIN sync_sources s "
        "USING (source) WHERE s.file_name = ? AND r.sheet = ? AND r.row = ?",
        [file_name, sheet, row],
    ).fetchone()
    if found is None:
        return None
    return dict(zip(("source", "table", "record_id", "updated_on"), found, strict=True))
