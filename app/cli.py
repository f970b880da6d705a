"""The `estate` command: a thin typer layer over the library (exit 0 ok, 1 data problems, 2 usage)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from dependency_graph import WAVE_RULE, EmptyEstate
from dependency_graph.analysis import run_graph_analysis
from dependency_graph.export import GRAPH_FORMATS, write_graph
from estate import __version__
from estate.issues import ImportRejected, Issue, Severity, has_errors, issues_to_json
from estate.mapping import MappingProfile, ProfileError
from estate.sample import write_sample
from estate.store import StoreError, connect, default_db_path, import_files, validate_files
from estate.workbook import write_template

app = typer.Typer(
    name="estate",
    help="Show what legacy IT really costs: import inventories, validate them, and analyse the estate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ISSUES_SHOWN_PER_CODE = 20

FilesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Inventory files: .xlsx workbooks or .csv files (one table per csv).",
        exists=True,
        dir_okay=False,
        readable=True,
        show_default=False,
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="Mapping profile (TOML) for headers and sheet names the defaults miss.",
        exists=True,
        dir_okay=False,
    ),
]
DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB database file [default: $ESTATE_DB or ./estate.duckdb]."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable results to stdout.")]


def _load_profile(mapping: Path | None) -> MappingProfile | None:
    if mapping is None:
        return None
    try:
        return MappingProfile.load(mapping)
    except ProfileError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None


def _print_issues(issues: list[Issue], limit: int | None = ISSUES_SHOWN_PER_CODE) -> None:
    """Print issues to stderr as FILE:SHEET:ROW:COLUMN: message, errors first, a bounded number per code."""
    shown: Counter[str] = Counter()
    ordered = sorted(issues, key=lambda i: (i.severity is not Severity.ERROR, i.file, i.sheet, i.row or 0))
    for issue in ordered:
        shown[issue.code] += 1
        if limit is None or shown[issue.code] <= limit:
            typer.echo(issue.as_text(), err=True)
    for code, count in shown.items():
        if limit is not None and count > limit:
            typer.echo(f"... and {count - limit} more [{code}] (use --json for all)", err=True)
    errors = sum(i.severity is Severity.ERROR for i in issues)
    if issues:
        typer.echo(f"{errors} error(s), {len(issues) - errors} warning(s)", err=True)


@app.command("import")
def import_command(files: FilesArg, db: DbOpt = None, mapping: MappingOpt = None, as_json: JsonOpt = False) -> None:
    """Import inventories into the database: all files land, or none do.

    Every problem is reported at once as FILE:SHEET:ROW:COLUMN: message. With any
    error nothing is stored and the exit code is 1. Re-importing the same bytes
    changes nothing; a new version of a file with the same name replaces that
    file's earlier rows (history stays in the `imports` table).

    Example: estate import dwp_inventory.xlsx hmrc_systems.csv --db estate.duckdb
    """
    profile = _load_profile(mapping)
    db_path = db or default_db_path()
    try:
        summaries, issues = import_files(db_path, files, profile)
    except ImportRejected as rejected:
        if as_json:
            typer.echo(json.dumps({"stored": False, "issues": json.loads(issues_to_json(rejected.issues))}, indent=2))
        _print_issues(rejected.issues, None if as_json else ISSUES_SHOWN_PER_CODE)
        typer.echo(f"Nothing was stored in {db_path}.", err=True)
        raise typer.Exit(1) from None
    except StoreError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "stored": True,
                    "files": [s.__dict__ for s in summaries],
                    "issues": json.loads(issues_to_json(issues)),
                },
                indent=2,
                default=str,
            )
        )
        return
    _print_issues(issues)
    for summary in summaries:
        typer.echo(summary.as_text())
    _print_store_totals(db_path)


def _print_store_totals(db_path: Path) -> None:
    with connect(db_path, read_only=True) as connection:
        systems, departments = connection.execute("SELECT count(*), count(DISTINCT department) FROM systems").fetchone()
        interfaces = connection.execute("SELECT count(*) FROM interfaces").fetchone()[0]
        costs, total = connection.execute("SELECT count(*), coalesce(sum(amount_gbp), 0) FROM costs").fetchone()
        files = connection.execute("SELECT count(*) FROM imports WHERE status = 'current'").fetchone()[0]
    typer.echo(
        f"{db_path}: {systems:,} systems in {departments} department(s), {interfaces:,} interfaces, "
        f"{costs:,} cost lines (£{total:,.0f} reported) from {files} file(s)"
    )


@app.command("validate")
def validate_command(files: FilesArg, mapping: MappingOpt = None, as_json: JsonOpt = False) -> None:
    """Check inventories without touching any database; exit 1 if any error is found.

    Prints every problem as FILE:SHEET:ROW:COLUMN: message (stderr) and how each
    column was mapped; --json prints {"files": [...], "issues": [...]} to stdout.

    Example: estate validate inventory.xlsx --mapping my_headers.toml --json
    """
    profile = _load_profile(mapping)
    results, issues = validate_files(files, profile)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": not has_errors(issues),
                    "files": [
                        {
                            "file": r.file,
                            "sha256": r.sha256,
                            "rows": {t: r.rows(t) for t in r.tables},
                            "mapping": r.mapping_report(),
                        }
                        for r in results
                    ],
                    "issues": json.loads(issues_to_json(issues)),
                },
                indent=2,
            )
        )
    else:
        for result in results:
            for column in result.mapping_report():
                typer.echo(
                    f"{result.file}:{column['sheet']}: column {column['column']} "
                    f"'{column['header']}' -> {column['field']} ({column['how']})"
                )
            counts = ", ".join(f"{result.rows(t):,} {t}" for t in result.tables)
            typer.echo(f"{result.file}: {counts or 'no rows read'}")
        _print_issues(issues)
    if has_errors(issues):
        raise typer.Exit(1)


@app.command("template")
def template_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the blank workbook.")] = Path(
        "estate_template.xlsx"
    ),
) -> None:
    """Write a blank canonical inventory workbook with a Data dictionary sheet.

    Example: estate template --out inventory_template.xlsx
    """
    write_template(out)
    typer.echo(f"wrote {out}")


@app.command("sample")
def sample_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the workbook.")] = Path("sample_inventory.xlsx"),
    systems: Annotated[int, typer.Option("--systems", min=1, help="Number of systems.")] = 400,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same data.")] = 2024,
) -> None:
    """Write a synthetic inventory (labelled synthetic) with interfaces and three years of costs.

    Example: estate sample --out sample_inventory.xlsx --systems 400 --seed 2024
    """
    counts = write_sample(out, systems, seed)
    typer.echo(f"wrote {out}: " + ", ".join(f"{n:,} {sheet.lower()}" for sheet, n in counts.items()) + " (synthetic)")


@app.command(
    "analyse",
    help=f"""Analyse the stored estate: dependency metrics, clusters and modernisation waves.

Stores one row per system in table system_metrics (fan_in, fan_out, manual_interfaces,
cross_department_interfaces, centrality, betweenness, blast_radius, upstream_dependencies,
cluster_id, cluster_size, component_id, wave), plus graph_findings, department_links and
department_silos, replacing earlier results.

Interfaces run source -> target: data flows from source to target, so the target depends on
the source. Blast radius: systems transitively downstream. Upstream dependencies: systems it
transitively depends on.

{WAVE_RULE}

Example: estate analyse --db estate.duckdb""",
)
def analyse_command(
    db: DbOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for sampled betweenness on large estates.")] = 0,
    betweenness_samples: Annotated[
        int,
        typer.Option("--betweenness-samples", min=1, help="Source systems sampled for betweenness above 5,000 nodes."),
    ] = 64,
    as_json: JsonOpt = False,
) -> None:
    db_path = db or default_db_path()
    try:
        analysis = run_graph_analysis(db_path, betweenness_samples, seed)
    except (StoreError, EmptyEstate) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    metrics = analysis.metrics
    top = metrics.sort_values(["blast_radius", "system_id"], ascending=[False, True]).head(10)
    finding_counts = analysis.findings["kind"].value_counts().sort_index().to_dict()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "systems": len(metrics),
                    "waves": analysis.waves,
                    "clusters": analysis.clusters,
                    "betweenness_sources": analysis.betweenness_sources,
                    "findings": {k: int(v) for k, v in finding_counts.items()},
                    "top_blast_radius": top[["system_id", "blast_radius", "wave"]].to_dict("records"),
                    "department_silos": analysis.department_silos.to_dict("records"),
                },
                indent=2,
                default=str,
            )
        )
        return
    typer.echo(
        f"{len(metrics):,} systems in {analysis.waves} modernisation wave(s); "
        f"{analysis.clusters} coupled cluster(s), largest {int(metrics['cluster_size'].max())} systems"
    )
    exact = (
        "exact"
        if analysis.betweenness_sources >= len(metrics)
        else f"sampled from {analysis.betweenness_sources} sources"
    )
    typer.echo(f"betweenness: {exact}")
    typer.echo("findings: " + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in finding_counts.items()) or "none"))
    typer.echo("largest blast radius (systems transitively downstream):")
    for row in top.itertuples():
        typer.echo(f"  {row.system_id}: {row.blast_radius:,} (wave {row.wave})")
    typer.echo("share of each department's interfaces that cross a department boundary:")
    for row in analysis.department_silos.itertuples():
        typer.echo(f"  {row.department}: {row.cross_department_share:.0%} of {row.interfaces:,}")
    typer.echo(f"stored in {db_path}: system_metrics, graph_findings, department_links, department_silos")


@app.command("graph")
def graph_command(
    out: Annotated[Path, typer.Option("--out", help=f"Output file: {', '.join(GRAPH_FORMATS)}.")],
    db: DbOpt = None,
) -> None:
    """Write the dependency graph for Gephi, yEd or networkx (.graphml, .gexf, or .json node-link).

    Nodes are systems with their attributes (placeholders for unknown systems have missing=true);
    parallel interfaces between two systems become one edge whose `interfaces` attribute counts them.

    Example: estate graph --db estate.duckdb --out estate.graphml
    """
    if out.suffix.lower() not in GRAPH_FORMATS:
        typer.echo(f"Error: --out must end in one of {', '.join(GRAPH_FORMATS)}", err=True)
        raise typer.Exit(2)
    try:
        nodes, edges = write_graph(db or default_db_path(), out)
    except (StoreError, EmptyEstate) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {out}: {nodes:,} nodes, {edges:,} edges")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"estate {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Show what legacy IT really costs: import inventories, validate them, and analyse the estate."""


def main() -> None:
    """Run the command line; bad input never shows a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
