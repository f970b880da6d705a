"""`estate sync`: live inventories from ServiceNow and SAP LeanIX, each sync an import (estate.sync)."""

from __future__ import annotations

import json
import re
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from estate.issues import ImportRejected, issues_to_json
from estate.jsontext import strict_json
from estate.mapping import MappingProfile, ProfileError
from estate.store import StoreError, connect, default_db_path

sync_app = typer.Typer(
    help="Read live inventories (ServiceNow, SAP LeanIX) into the store: each sync imports what changed.\n\n"
    "Example: estate sync servicenow --instance https://dept.service-now.com --db estate.duckdb",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

DbOpt = Annotated[
    Path | None, typer.Option("--db", help="DuckDB database file [default: $ESTATE_DB or ./estate.duckdb].")
]
CaOpt = Annotated[
    Path | None,
    typer.Option(
        "--ca-bundle",
        help="PEM file of the CA(s) to trust: a TLS-inspecting proxy's, a private CA's.",
        exists=True,
        dir_okay=False,
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="A copy of the built-in profile with your own [api] fields or constants.",
        exists=True,
        dir_okay=False,
    ),
]
ReconcileOpt = Annotated[
    bool, typer.Option("--reconcile", help="Read the full ID list too, so records deleted at the source leave.")
]
ReconcileEveryOpt = Annotated[
    int | None,
    typer.Option(
        "--reconcile-every",
        min=1,
        help="Reconcile the full ID list at least every N syncs "
        "[default: ServiceNow 1, every sync; LeanIX 10, archived fact sheets being read on every sync].",
    ),
]
AnalyseOpt = Annotated[bool, typer.Option("--analyse", help="Re-run `estate analyse` when anything changed.")]
EveryOpt = Annotated[
    str | None,
    typer.Option(
        "--every",
        help="Keep syncing at this interval (30m, 1h, 1d) until stopped; a failed round is "
        "reported and the next one runs.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print what the sync did as JSON on stdout.")]


@sync_app.command("servicenow")
def servicenow_command(
    instance: Annotated[str, typer.Option("--instance", help="The instance, https://NAME.service-now.com.")],
    db: DbOpt = None,
    ca_bundle: CaOpt = None,
    mapping: MappingOpt = None,
    page_size: Annotated[int, typer.Option("--page-size", help="Records a page (sysparm_limit, 1 to 10,000).")] = 1000,
    reconcile: ReconcileOpt = False,
    reconcile_every: ReconcileEveryOpt = None,
    analyse: AnalyseOpt = False,
    every: EveryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sync Business Applications and their relationships from ServiceNow's Table API.

    Reads cmdb_ci_business_app and cmdb_rel_ci (Depends on::Used by, Uses::Used by, Sends data to::Receives
    data from, Receives data from::Sends data to) as the built-in `servicenow` profile maps them. Credentials
    from the environment: SERVICENOW_USERNAME and SERVICENOW_PASSWORD, or SERVICENOW_TOKEN (OAuth bearer).
    The first sync reads everything; later ones only records updated since, plus the full sys_id list
    (every sync by default; --reconcile-every N for every Nth), so deleted records leave. Exit 1 with nothing stored
    when the data has errors or the instance fails; exit 2 for credentials, URL or options.

    Example: SERVICENOW_USERNAME=estate SERVICENOW_PASSWORD=... estate sync servicenow --instance https://dept.service-now.com
    """
    from estate.sync.servicenow import ServiceNow

    profile = _profile(mapping, "servicenow")
    _run(lambda: ServiceNow(instance, profile, ca_bundle=ca_bundle, page_size=page_size), db, reconcile,
         reconcile_every, analyse, every, as_json)  # fmt: skip


@sync_app.command("leanix")
def leanix_command(
    workspace: Annotated[str, typer.Option("--workspace", help="The workspace's host, https://NAME.leanix.net.")],
    db: DbOpt = None,
    ca_bundle: CaOpt = None,
    mapping: MappingOpt = None,
    page_size: Annotated[int, typer.Option("--page-size", help="Fact sheets a page (first:, 1 to 1,000).")] = 100,
    reconcile: ReconcileOpt = False,
    reconcile_every: ReconcileEveryOpt = None,
    analyse: AnalyseOpt = False,
    every: EveryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sync Applications, Interfaces and IT Component costs from SAP LeanIX's GraphQL API.

    The API token in LEANIX_API_TOKEN is exchanged for an access token (/services/mtm/v1/oauth2/token);
    fact sheets are read with allFactSheets, paged by cursor. Later syncs read only fact sheets updated since;
    archived fact sheets leave the inventory. Exit codes as for `estate sync servicenow`.

    Example: LEANIX_API_TOKEN=... estate sync leanix --workspace https://acme.leanix.net
    """
    from estate.sync.leanix import LeanIX

    profile = _profile(mapping, "leanix")
    _run(lambda: LeanIX(workspace, profile, ca_bundle=ca_bundle, page_size=page_size), db, reconcile,
         reconcile_every, analyse, every, as_json)  # fmt: skip


@sync_app.command("status")
def status_command(
    db: DbOpt = None,
    stale_after: Annotated[float, typer.Option("--stale-after", help="Hours after which a source is stale.")] = 24.0,
    as_json: JsonOpt = False,
) -> None:
    """Show every synced source: when it was last synced, what changed, and whether it is stale (exit 1 if so)."""
    from datetime import UTC, datetime

    from estate.sync import source_status

    db_path = db or default_db_path()
    try:
        with connect(db_path, read_only=True) as connection:
            statuses = source_status(connection)
    except StoreError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    now = datetime.now(UTC).replace(tzinfo=None)
    stale = [s.stale(now, stale_after) for s in statuses]
    if as_json:
        typer.echo(strict_json([{**s.__dict__, "last_synced_at": s.last_synced_at.isoformat(),
                                 "last_changed_at": s.last_changed_at.isoformat() if s.last_changed_at else None,
                                 "stale": flag, "age_hours": s.age_hours(now)}
                                for s, flag in zip(statuses, stale, strict=True)]))  # fmt: skip
    elif not statuses:
        typer.echo(f"{db_path}: no live source synced yet (estate sync servicenow | leanix)")
    for s, flag in zip(statuses, stale, strict=True) if not as_json else ():
        changes = ", ".join(f"{n:,} {k}" for k, n in s.changes.items())
        shown = f"  STALE: older than {stale_after:g} h" if flag else ""
        typer.echo(f"{s.source}: {s.records:,} records, last synced {s.last_synced_at:%Y-%m-%d %H:%M} UTC "
                   f"({s.age_hours(now):,.1f} h ago), last change ({changes}) at "
                   f"{s.last_changed_at:%Y-%m-%d %H:%M} UTC{shown}")  # fmt: skip
    if any(stale):
        raise typer.Exit(1)


def _profile(mapping: Path | None, builtin: str) -> MappingProfile:
    from estate.mapping import builtin_profile

    try:
        return MappingProfile.load(mapping) if mapping is not None else builtin_profile(builtin)
    except ProfileError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None


def interval_seconds(text: str) -> float:
    """Return the seconds of an interval written 90s, 30m, 1h or 1d; raise ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text or "")
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"--every {text!r}: give an interval like 30m, 1h or 1d")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _run(make, db: Path | None, reconcile: bool, reconcile_every: int | None, analyse: bool, every: str | None,
         as_json: bool) -> None:  # fmt: skip
    from estate.sync import SyncUsageError

    try:
        pause = interval_seconds(every) if every else None
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    db_path = db or default_db_path()
    while True:
        try:
            code = _once(make, db_path, reconcile, reconcile_every, analyse, as_json)
        except SyncUsageError as exc:
            typer.echo(f"Error: {exc}; nothing was stored in {db_path}.", err=True)
            raise typer.Exit(2) from None
        if pause is None:
            raise typer.Exit(code)
        time.sleep(pause)
        reconcile = False


def _once(make, db_path: Path, reconcile: bool, reconcile_every: int | None, analyse: bool, as_json: bool) -> int:
    from app.cli import _print_issues
    from estate.sync import SyncError, SyncUsageError, sync

    try:
        source = make()
        summary = sync(db_path, source, reconcile=reconcile, reconcile_every=reconcile_every)
    except SyncUsageError:
        raise
    except SyncError as exc:
        typer.echo(f"Error: {exc}; nothing was stored in {db_path}.", err=True)
        return 1
    except ImportRejected as rejected:
        if as_json:
            typer.echo(strict_json({"stored": False, "issues": json.loads(issues_to_json(rejected.issues))}))
        _print_issues(rejected.issues)
        typer.echo(f"Nothing was stored in {db_path}.", err=True)
        return 1
    except StoreError as exc:
        typer.echo(f"Error: {exc}", err=True)
        return 1
    if not as_json:
        _print_issues(summary.issues)
        typer.echo(summary.as_text())
    analysed = None
    if analyse and summary.changed:
        analysed = _analyse(db_path, as_json)
    if as_json:
        typer.echo(strict_json({
            "stored": True, "source": summary.source, "status": summary.status, "added": summary.added,
            "updated": summary.updated, "removed": summary.removed, "reconciled": summary.reconciled,
            "requests": summary.requests, "throttled": summary.throttled, "waited_seconds": summary.waited,
            "import": summary.imported.__dict__ if summary.imported else None, "analysed": analysed,
            "issues": json.loads(issues_to_json(summary.issues)),
        }))  # fmt: skip
    return 0


def _analyse(db_path: Path, quiet: bool) -> bool:
    """Re-run the analysis with the default settings; return whether it ran."""
    from dependency_graph import EmptyEstate
    from pipeline.relational import InputProblem
    from pipeline.run import analyse
    from pipeline.settings import AnalysisSettings

    try:
        analyse(db_path, AnalysisSettings.with_parameter_file(None, as_of=date.today()))
    except (EmptyEstate, InputProblem, StoreError) as exc:
        typer.echo(f"Error: the sync was stored but the analysis did not run: {exc}", err=True)
        return False
    if not quiet:
        typer.echo(f"Analysis re-run: results in {db_path} are current with the sync.")
    return True
