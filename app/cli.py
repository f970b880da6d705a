"""The `estate` command: a thin typer layer over the library (exit 0 ok, 1 data problems, 2 usage).

The graph, cost-model and scientific libraries are imported inside the commands that use them,
so `estate validate` and `--help` start quickly.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from app.output import Format, choices, emit
from costing.criteria import METHODS, weights_example
from dependency_graph.rules import GRAPH_FORMATS, WAVE_RULE
from estate import __version__
from estate.files import OutputError
from estate.issues import ImportRejected, Issue, Severity, has_errors, issues_to_json
from estate.jsontext import strict_json
from estate.mapping import MappingProfile, ProfileError, builtin_profile_names
from estate.sample import LARGE_TABLE_FORMATS, sample_files, write_sample
from estate.store import StoreError, connect, default_db_path, import_files, validate_files
from estate.workbook import write_template
from pipeline.settings import MAX_BETWEENNESS_SAMPLES, MAX_DRAWS

app = typer.Typer(
    name="estate",
    help="Show what legacy IT really costs: import inventories, validate them, and analyse the estate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # a docstring paragraph reflows to the terminal width
    context_settings={"help_option_names": ["-h", "--help"]},
)

_option_type = typer.core.TyperOption.display_type_rich


def _type_of_a_value(option: typer.core.TyperOption, ctx) -> str | None:
    """Typer shows `<bool>` beside every on/off flag, which takes no value: show a type only for options that do."""
    return None if option.is_flag else _option_type(option, ctx)


typer.core.TyperOption.display_type_rich = _type_of_a_value

ISSUES_SHOWN_PER_CODE = 20
ENGINES = ("duckdb", "spark")  # --engine: the embedded engine, or Spark (pipeline.spark)
Engine = choices("Engine", ENGINES)
Method = choices("Method", METHODS)
LargeTables = choices("LargeTables", LARGE_TABLE_FORMATS)

FilesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Inventory files: .xlsx workbooks, .csv or .parquet files (one table per file), or ArchiMate .xml.",
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
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable results to stdout (--format json).")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table, csv or json.", case_sensitive=False)]


def _output(output: Format, as_json: bool = False) -> Format:
    """Return the output format (--json means json)."""
    return Format.json if as_json else output


@contextmanager
def _exit_on(*errors: type[Exception], code: int = 1) -> Iterator[None]:
    """Turn the library's expected errors into `Error: message` on stderr and an exit code (1 data, 2 usage)."""
    try:
        yield
    except errors as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code) from None


ResultsOpt = Annotated[
    str | None,
    typer.Option(
        "--results",
        help="Read the result tables from this Parquet folder (or URL), as `estate analyse --results` wrote them, "
        "instead of from --db (which still gives the inputs).",
    ),
]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source", help="With --results: the Parquet folder the analysis read its inputs from, instead of --db."
    ),
]


def _result_source(db: Path | None, results: str | None, source: str | None):
    """Return where the results are read from: --db, or --results (Parquet) beside --db or --source."""
    from pipeline.results import ResultSource

    if source and not results:
        typer.echo("Error: --source names the inputs of results kept as Parquet: give --results DIR too", err=True)
        raise typer.Exit(2)
    return ResultSource(db or default_db_path(), results, source)


def _reading_errors() -> tuple[type[Exception], ...]:
    """Return the errors a reader of stored results raises for people (no results, a bad store or folder)."""
    from pipeline.parquet import StagingError
    from pipeline.results import NotAnalysed

    return StoreError, NotAnalysed, StagingError


Profile = choices("Profile", builtin_profile_names())
ProfileOpt = Annotated[
    Profile | None,
    typer.Option("--profile", help="A built-in mapping profile (see `estate profiles`)."),
]


FinancialYearOpt = Annotated[
    str | None,
    typer.Option(
        "--financial-year",
        help="The financial year (2021-22) of spending columns whose header names none; recorded with the import "
        "as the profile's [spending] financial_year.",
    ),
]


def _load_profile(
    mapping: Path | None, builtin: str | None = None, financial_year: str | None = None
) -> MappingProfile | None:
    from estate.mapping import builtin_profile

    if mapping is not None and builtin is not None:
        typer.echo("Error: give --mapping or --profile, not both", err=True)
        raise typer.Exit(2)
    with _exit_on(ProfileError, code=2):
        if builtin is not None:
            chosen = builtin_profile(str(builtin))
        else:
            chosen = MappingProfile.load(mapping) if mapping is not None else None
        if financial_year is not None:
            chosen = (chosen or MappingProfile()).with_financial_year(financial_year)
        return chosen


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
def import_command(
    files: FilesArg,
    db: DbOpt = None,
    mapping: MappingOpt = None,
    profile: ProfileOpt = None,
    financial_year: FinancialYearOpt = None,
    as_json: JsonOpt = False,
    output: FormatOpt = "table",
) -> None:
    """Import inventories into the database: all files land, or none do.

    Every problem is reported at once as FILE:SHEET:ROW:COLUMN: message. With any
    error nothing is stored and the exit code is 1. Re-importing the same bytes
    changes nothing; a new version of a file with the same name replaces that
    file's earlier rows (history stays in the `imports` table).

    Example: estate import dwp_inventory.xlsx hmrc_systems.csv --db estate.duckdb
    """
    output = _output(output, as_json)
    profile = _load_profile(mapping, profile, financial_year)
    db_path = db or default_db_path()
    try:
        summaries, issues = import_files(db_path, files, profile)
    except ImportRejected as rejected:
        if output is Format.json:
            typer.echo(strict_json({"stored": False, "issues": json.loads(issues_to_json(rejected.issues))}))
        _print_issues(rejected.issues, None if output is Format.json else ISSUES_SHOWN_PER_CODE)
        typer.echo(f"Nothing was stored in {db_path}.", err=True)
        raise typer.Exit(1) from None
    except StoreError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    if output is not Format.json:
        _print_issues(issues)
    rows = [
        {
            **s.__dict__,
            **{f"rows_{t}": n for t, n in s.rows.items()},
            **{f"left_out_{t}": n for t, n in s.left_out.items()},
        }
        for s in summaries
    ]  # one row per file; fmt: skip

    def table() -> None:
        for summary in summaries:
            typer.echo(summary.as_text())
        _print_store_totals(db_path)

    emit(
        output,
        rows,
        table,
        IMPORT_COLUMNS,
        {"stored": True, "files": [s.__dict__ for s in summaries], "issues": json.loads(issues_to_json(issues))},
    )


IMPORT_COLUMNS = ("file", "sha256", "status", "import_id", "rows_systems", "rows_interfaces", "rows_costs",
                  "left_out_systems", "left_out_interfaces", "left_out_costs", "warnings")  # fmt: skip


def _print_store_totals(db_path: Path) -> None:
    with connect(db_path, read_only=True) as connection:
        systems, departments = connection.execute(
            "SELECT count(DISTINCT system_id), count(DISTINCT department) FROM systems"
        ).fetchone()
        interfaces = connection.execute("SELECT count(*) FROM interfaces").fetchone()[0]
        costs, years, total = connection.execute(
            "SELECT count(*), count(DISTINCT financial_year), coalesce(sum(amount_gbp), 0) FROM costs"
        ).fetchone()
        files = connection.execute("SELECT count(*) FROM imports WHERE status = 'current'").fetchone()[0]
    typer.echo(  # the lines' sum over every year is not the reported annual cost (`estate analyse` states that)
        f"{db_path}: {systems:,} systems in {departments} department(s), {interfaces:,} interfaces, "
        f"{costs:,} cost lines over {years} financial year(s) (£{total:,.0f} in all) from {files} file(s)"
    )


@app.command("validate")
def validate_command(
    files: FilesArg,
    mapping: MappingOpt = None,
    profile: ProfileOpt = None,
    financial_year: FinancialYearOpt = None,
    as_json: JsonOpt = False,
    output: FormatOpt = "table",
) -> None:
    """Check inventories without touching any database; exit 1 if any error is found.

    Prints every problem as FILE:SHEET:ROW:COLUMN: message (stderr) and how each
    column was mapped; --json prints {"files": [...], "issues": [...]} to stdout.

    Example: estate validate inventory.xlsx --mapping my_headers.toml --json
    """
    output = _output(output, as_json)
    profile = _load_profile(mapping, profile, financial_year)
    results, issues = validate_files(files, profile)

    def table() -> None:
        for result in results:
            for column in result.mapping_report():
                typer.echo(
                    f"{result.file}:{column['sheet']}: column {column['column']} "
                    f"'{column['header']}' -> {column['field']} ({column['how']})"
                )
            counts = ", ".join(f"{result.rows(t):,} {t}" for t in result.tables)
            left = {t: sum(d.left_out for d in tables) for t, tables in result.tables.items()}
            if any(left.values()):
                counts += "; left out by the profile: " + ", ".join(f"{n:,} {t}" for t, n in left.items() if n)
            typer.echo(f"{result.file}: {counts or 'no rows read'}")

    files_json = [
        {
            "file": r.file,
            "sha256": r.sha256,
            "rows": {t: r.rows(t) for t in r.tables},
            "left_out": {t: sum(d.left_out for d in ds) for t, ds in r.tables.items()},
            "mapping": r.mapping_report(),
        }
        for r in results
    ]
    mapping_rows = [{"file": r.file, **c} for r in results for c in r.mapping_report()]  # csv: one row per column
    emit(output, mapping_rows, table, ("file", "sheet", "column", "header", "field", "how"),
         {"ok": not has_errors(issues), "files": files_json, "issues": json.loads(issues_to_json(issues))})  # fmt: skip
    if output is not Format.json:
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
    large_tables: Annotated[
        LargeTables,
        typer.Option("--large-tables", help="Format of tables over 100,000 rows, written beside the workbook."),
    ] = LargeTables.parquet,
) -> None:
    """Write a synthetic inventory (labelled synthetic): systems, ~5 interfaces and ~20 cost lines per system.

    Three financial years of ledger-level cost lines. A table of more than 100,000 rows (e.g. with
    --systems 100000) is written beside the workbook as OUT-STEM_interfaces.parquet /
    OUT-STEM_costs.parquet (or .csv with --large-tables csv); import every file printed.

    Example: estate sample --out sample_inventory.xlsx --systems 400 --seed 2024
    """
    counts = write_sample(out, systems, seed, large_tables.value)
    files = sample_files(out, counts, large_tables.value)
    typer.echo(
        f"wrote {', '.join(map(str, files))}: "
        + ", ".join(f"{n:,} {sheet.lower()}" for sheet, n in counts.items())
        + " (synthetic)"
    )
    if len(files) > 1:
        typer.echo(f"import them together: estate import {' '.join(map(str, files))}")


@app.command(
    "analyse",
    help=f"""Analyse the stored estate: dependency graph, hidden cost with P10-P90, appraisal, risk and ranking.

Graph: one row per system in table system_metrics (fan_in, fan_out, manual_interfaces,
cross_department_interfaces, centrality, betweenness, blast_radius, upstream_dependencies,
cluster_id, cluster_size, component_id, wave), plus graph_findings, department_links and
department_silos. Cost model (parameters in costing/parameters.toml, or --params): one row per
system in system_assessment (reported and hidden cost by component, expected value with P10 and P90, NPV, payback,
cost of delay, risk, TIME quadrant, suggested action, rank), plus department_costs,
reported_cost_by_*, model_inputs, parameters_used and cost_model_runs. Earlier results are replaced.

Interfaces run source -> target: data flows from source to target, so the target depends on
the source. Blast radius: systems transitively downstream. Upstream dependencies: systems it
transitively depends on.

{WAVE_RULE}

Example: estate analyse --db estate.duckdb""",
)
def analyse_command(
    db: DbOpt = None,
    params: Annotated[
        Path | None,
        typer.Option(
            "--params", help="Parameter file (TOML) overriding costing/parameters.toml.", exists=True, dir_okay=False
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for Monte Carlo, imputation and sampling.")] = 0,
    draws: Annotated[int, typer.Option("--draws", min=1, max=MAX_DRAWS, help="Monte Carlo draws.")] = 1000,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date the costs are assessed at, YYYY-MM-DD [default: today].")
    ] = None,
    betweenness_samples: Annotated[
        int,
        typer.Option(
            "--betweenness-samples",
            min=1,
            max=MAX_BETWEENNESS_SAMPLES,
            help="Source systems sampled for betweenness above 5,000 nodes.",
        ),
    ] = 64,
    as_json: JsonOpt = False,
    engine: Annotated[
        Engine, typer.Option("--engine", help="duckdb (embedded) or spark (needs the spark extra and Java 17).")
    ] = Engine.duckdb,
    spark_master: Annotated[
        str, typer.Option("--spark-master", help="Spark master for --engine spark, e.g. local[2] or spark://host:7077.")
    ] = "local[2]",
    spark_remote: Annotated[
        str | None, typer.Option("--spark-remote", help="Spark Connect server (sc://host:15002), e.g. Databricks.")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Parquet folder (DIR/systems, DIR/interfaces, DIR/costs) to read instead of --db; with "
            "--engine spark also a catalog.schema. Needs --results.",
        ),
    ] = None,
    results: Annotated[
        str | None,
        typer.Option("--results", help="Folder (or URL) for the result tables as Parquet, instead of --db."),
    ] = None,
) -> None:
    from costing.parameters import ParameterError
    from dependency_graph import EmptyEstate
    from pipeline.parquet import StagingError
    from pipeline.relational import InputProblem
    from pipeline.run import analyse, analyse_source
    from pipeline.settings import AnalysisSettings
    from reporting.summary import analysis_summary, summary_lines

    db_path = db or default_db_path()
    try:
        assessed_at = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        typer.echo(f"Error: --as-of must be a date like 2025-03-31, not '{as_of}'", err=True)
        raise typer.Exit(2) from None
    with _exit_on(ParameterError, code=2):
        settings = AnalysisSettings.with_parameter_file(
            params, as_of=assessed_at, seed=seed, draws=draws, betweenness_samples=betweenness_samples
        )
    if engine is Engine.duckdb and spark_remote:
        typer.echo("Error: --spark-remote needs --engine spark", err=True)
        raise typer.Exit(2)
    if source and not results:
        typer.echo("Error: --source needs --results DIR: the result tables go beside the source, not into --db",
                   err=True)  # fmt: skip
        raise typer.Exit(2)
    if engine is Engine.spark:
        result = _analyse_on_spark(settings, db_path, spark_master, spark_remote, source, results)
    else:
        with _exit_on(StoreError, EmptyEstate, InputProblem, StagingError):
            result = (
                analyse_source(source, results, settings) if source else analyse(db_path, settings, results=results)
            )
    with _exit_on(*_reading_errors()):  # what rank, report and export will read, wherever it was written
        stored = _result_source(db, results, source).read()
    summary = analysis_summary(stored, result.assessment.imputation.message)
    if as_json:
        typer.echo(strict_json(summary))
        return
    for line in summary_lines(summary, f"{'written to' if results else 'stored in'} {results or db_path}"):
        typer.echo(line)


def _analyse_on_spark(settings, db_path: Path, master: str, remote: str | None, source: str | None,
                      results: str | None):  # fmt: skip
    """Run the analysis on Spark (pipeline.spark); exit 2 when the spark extra or Java is missing."""
    from dependency_graph import EmptyEstate

    try:
        from pipeline import spark as engine
    except ImportError as exc:
        typer.echo(f"Error: the Spark engine needs the spark extra (pip install 'estate[spark]') and Java 17: {exc}",
                   err=True)  # fmt: skip
        raise typer.Exit(2) from None
    if source is None and not db_path.exists():
        typer.echo(f"Error: no database {db_path}: import first, or give --source", err=True)
        raise typer.Exit(1)
    try:
        spark = engine.session(master, remote)
    except Exception as exc:  # Java missing, a bad master URL: say so, never a traceback
        typer.echo(f"Error: Spark did not start ({type(exc).__name__}: {str(exc).splitlines()[0][:300]})", err=True)
        raise typer.Exit(2) from None
    from pipeline.relational import InputProblem

    with _exit_on(StoreError, EmptyEstate, InputProblem):
        return engine.analyse_on_spark(spark, settings, db=db_path, source=source, results=results)


@app.command("rank")
def rank_command(
    db: DbOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many candidates to show (without --all).")] = 20,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help=f"Rank by weighted criteria instead of the decision measure, e.g. {weights_example()}.",
        ),
    ] = None,
    method: Annotated[
        Method, typer.Option("--method", help=f"{', '.join(METHODS)}: whose ranking to show (estate by default).")
    ] = Method.estate,
    everything: Annotated[
        bool, typer.Option("--all", help="List every system: candidates first, then those to retain.")
    ] = False,
    output: FormatOpt = "table",
    results: ResultsOpt = None,
    source: SourceOpt = None,
) -> None:
    """Rank the replacement candidates from the stored analysis (systems to retain are listed apart, with --all).

    Candidates are the systems whose suggested action replaces them (retire, rehost, replatform,
    refactor, repurchase). --method estate (default) orders them by the decision measure, expected
    NPV per pound of capex (Green Book appraisal by Monte Carlo; ties by expected NPV, then ID);
    top_n_stability is the probability of being in the top N under the joint uncertainty of
    parameters and inputs (ties at the threshold not counted), N the analysis's stability_top_n
    (20 unless set), the same N as the app and the report, whatever --top shows. --weights orders them by a weighted
    mean of criteria on magnitude-preserving scales instead. --method cddo / gao / time orders them
    by CDDO's Legacy IT Risk Assessment Framework, a GAO-style points profile or Gartner's TIME.
    --format json adds `components` (component -> expected GBP a year; they add up to
    legacy_premium_gbp + hidden_cost_gbp) and, for --method cddo, the CDDO scores.

    Example: estate rank --top 10 --method cddo --format json
    """
    from costing.hidden import COMPONENT_COLUMNS
    from costing.ranking import parse_weights
    from pipeline.results import CDDO_RANK_FIELDS, RANK_FIELDS, stored_ranking
    from reporting.views import ranking_determination

    if weights and method is not Method.estate:
        typer.echo("Error: --weights applies to --method estate only", err=True)
        raise typer.Exit(2)
    with _exit_on(*_reading_errors()):  # read once: the ranking, its draws and its determination
        recorded = _result_source(db, results, source).read(
            ("system_assessment", "parameters_used", "information_fields", "cost_model_runs")
        )
    with _exit_on(ValueError, code=2):
        chosen = parse_weights(weights, recorded.weights) if weights else None
    with _exit_on(*_reading_errors()):
        top_n = int(recorded.parameters["stability_top_n"])  # one meaning of "stable" on every surface
        stored = stored_ranking(recorded, chosen, top_n, method=method.value)
    determination = ranking_determination(
        recorded.assessment, recorded["parameters_used"], recorded["information_fields"], recorded.run
    )
    if not determination["determined"]:  # said first, wherever the rows go: the order below is not evidence
        typer.echo(f"note: {determination['reason']}", err=output is not Format.table)
    if not everything:
        stored = stored[stored["candidate"].astype(bool)].head(top)
    fields = [*RANK_FIELDS, *(CDDO_RANK_FIELDS if method is Method.cddo else ())]
    ranked = stored[fields].assign(candidate=stored["candidate"].astype(bool))
    if method is Method.cddo:
        ranked = ranked.assign(cddo_red=stored["cddo_red"].astype(bool))
    records = [{**record, "components": components} for record, components in zip(
        ranked.to_dict("records"), stored[list(COMPONENT_COLUMNS)].to_dict("records"), strict=True)]  # fmt: skip

    def table() -> None:
        from reporting.charts import millions as m

        typer.echo(
            f"{'rank':>4}  {'system':<12} {'score':>7}  {'expected NPV (P10 to P90)':<40}  {'P(NPV>0)':>8}  "
            f"{'cost of legacy':>14}  {'risk':<8} {'action':<10} {f'top-{top_n}':>6}  name"
        )
        for row in ranked.itertuples():
            npv = f"{m(row.npv_gbp, 2):>9} ({m(row.npv_p10_gbp)} to {m(row.npv_p90_gbp)})"
            typer.echo(
                f"{row.rank:>4}  {row.system_id:<12} {row.score:7.2f}  {npv:<40}  "
                f"{row.probability_npv_positive:>8.0%}  {m(row.total_cost_of_legacy_gbp, 2):>14}  "
                f"{row.risk_score:>2.0f} {row.risk_rag:<5} {row.suggested_action:<10} {row.top_n_stability:>6.0%}  "
                f"{row.name}"
            )
        if ranked.empty:
            typer.echo("no replacement candidates: every system's suggested action is to retain it (see --all)")

    emit(output, ranked, table, json_value=records)


@app.command("plan")
def plan_command(
    budget: Annotated[
        str, typer.Option("--budget", help="Capital budget a financial year (GBP), or one amount per year: 5e6,6e6,...")
    ],
    capacity: Annotated[int, typer.Option("--capacity", min=1, help="Replacements that can run at once.")],
    db: DbOpt = None,
    start: Annotated[str, typer.Option("--start", help="First financial year of the plan, e.g. 2027-28.")] = "",
    years: Annotated[int, typer.Option("--years", min=1, max=30, help="Financial years the plan covers.")] = 10,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=1, help="Seconds the solver may take (the gap reached is printed).")
    ] = 50.0,
    output: FormatOpt = "table",
) -> None:
    """Schedule the replacement candidates under a yearly budget and a delivery capacity (a MILP, HiGHS).

    Maximises the plan's expected NPV (each replacement's expected NPV, discounted for the years it
    waits). Capex is spread evenly over each build's whole years; at most --capacity replacements run
    at once; coupled clusters start together; a consumer never starts before a planned provider it
    depends on; every replacement ends within the horizon. Candidates with an expected NPV of zero or
    less are left out, with every other left-out system's reason. The plan's value is printed beside
    a greedy plan that follows the ranking; the optimised plan is never worse. Financial years are
    written 2027-28. --start defaults to the financial year after the assessment date.

    Example: estate plan --budget 20e6 --capacity 5 --start 2027-28 --format json
    """
    from estate.cleaning import financial_year, financial_year_after
    from pipeline.roadmap import parse_budget, parse_financial_year, plan_from_store
    from reporting.charts import millions as m

    where = _result_source(db, None, None)
    with _exit_on(ValueError, code=2):
        amounts = parse_budget(budget, years)
        first = parse_financial_year(start) if start else None
    with _exit_on(*_reading_errors()):
        earliest = financial_year_after(where.read(("cost_model_runs",)).settings.as_of)
        first = earliest if first is None else first
    if first < earliest:  # a plan cannot start in a year the assessment has already seen out
        message = (
            f"Error: --start {financial_year(first)} is before the assessment: plans start in "
            f"{financial_year(earliest)} or later (the financial year after the assessment date)"
        )
        typer.echo(message, err=True)
        raise typer.Exit(2)
    with _exit_on(*_reading_errors()):
        roadmap = plan_from_store(where, amounts, capacity, first, time_limit)
    result = roadmap.as_json()
    rows = [
        {"system_id": r["system_id"], "wave": r["wave"], "start_year": r["start_year"], "end_year": r["end_year"],
         "capex_gbp": sum(r["capex_by_year"].values()), "npv_gbp": r["npv_gbp"]}
        for r in result["plan"]
    ]  # fmt: skip

    def table() -> None:
        typer.echo(
            f"plan {financial_year(first)} to {financial_year(first, years - 1)}: {len(rows)} replacement(s); "
            f"expected value {m(result['value_gbp'], 2)} (greedy, following the ranking: "
            f"{m(result['greedy_value_gbp'], 2)}); {result['status']}, gap {result['gap']:.2%}"
        )
        typer.echo(f"{'system':<14} {'wave':>4}  {'start':<8} {'end':<8} {'capex':>12} {'expected NPV':>14}")
        for r in rows:
            typer.echo(
                f"{r['system_id']:<14} {r['wave']:>4}  {r['start_year']:<8} {r['end_year']:<8} "
                f"{m(r['capex_gbp'], 2):>12} {m(r['npv_gbp'], 2):>14}"
            )
        typer.echo("spend by year: " + ", ".join(f"{y} {m(v)}" for y, v in result["spend_by_year"].items()))
        left = result["left_out"]
        if left:
            typer.echo(f"left out ({len(left)}):")
            for reason, count in Counter(item["reason"] for item in left).most_common():
                typer.echo(f"  {count} system(s): {reason}")

    emit(output, rows, table, PLAN_COLUMNS, result)


PLAN_COLUMNS = ("system_id", "wave", "start_year", "end_year", "capex_gbp", "npv_gbp")


@app.command("gaps")
def gaps_command(
    db: DbOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many missing facts to list.")] = 20,
    output: FormatOpt = "table",
) -> None:
    """Value of information: which uncertain parameters and which missing facts matter most to the decisions.

    parameters: the expected value of partial perfect information (EVPPI) of each parameter group, summed
    over the replace-or-keep decisions, estimated from the stored Monte Carlo draws by regression (Strong &
    Oakley), no extra runs. fields: per system and missing field (an input drawn from its prior), the value
    of learning it: the field at its prior's P10 and P90, equally likely, at central parameters. Both in
    GBP, in descending order. `estate requests` turns the fields into data-request workbooks.

    Example: estate gaps --top 10 --format json
    """
    with _exit_on(*_reading_errors()):
        stored = _result_source(db, None, None).read(("information_parameters", "information_fields"))
    parameters = stored["information_parameters"]
    fields = stored["information_fields"].head(top)

    def table() -> None:
        typer.echo(
            "parameter groups by expected value of partial perfect information (GBP, the replacement candidates' "
            "decisions; only groups above what their draws permuted score, the noise floor):"
        )
        for r in parameters.itertuples():
            typer.echo(f"  £{r.evppi_gbp / 1e6:10,.3f}m  {r.parameter_group} ({r.parameters}; noise floor "
                       f"£{r.noise_floor_gbp / 1e6:,.3f}m)")  # fmt: skip
        from reporting.charts import money
        from reporting.text import field_value as shown

        typer.echo(f"missing facts by value of learning them (top {len(fields)}):")
        for r in fields.itertuples():
            typer.echo(
                f"  {money(r.value_gbp):>10}  {r.system_id:<14} {r.field} "
                f"(P10 {shown(r.field, r.low)} to P90 {shown(r.field, r.high)})"
            )

    emit(output, fields, table, json_value={
        "parameters": [{"name": r.parameter_group, "parameters": r.parameters.split(", "), "evppi_gbp": r.evppi_gbp,
                        "noise_floor_gbp": r.noise_floor_gbp} for r in parameters.itertuples()],
        "fields": fields.to_dict("records"),
    })  # fmt: skip


@app.command("requests")
def requests_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the request workbooks into (created if needed).")],
    db: DbOpt = None,
) -> None:
    """Write data-request workbooks: one per owner (per department when owners are unknown).

    Each lists its systems and their missing facts in order of value (see `estate gaps`), with the value
    estate assumes today and its range as a note, drop-down lists and number checks, and the system IDs,
    names and departments locked. A filled-in workbook imports straight back with `estate import`: its
    non-empty cells fill those fields for those systems (merged field by field with what is stored) and
    the next `estate analyse` uses them as observed. An edited ID or an added row is a located error and
    nothing is stored.

    Example: estate requests --out requests/
    """
    from pipeline.requests import requests_from_store

    with _exit_on(*_reading_errors()):
        written = requests_from_store(_result_source(db, None, None), out)
    typer.echo(f"wrote {len(written)} request workbook(s) in {out}")
    for path in written:
        typer.echo(f"  {path.name}")


@app.command("profiles")
def profiles_command(output: FormatOpt = "table") -> None:
    """List the built-in mapping profiles, for formats users already have (estate import --profile NAME).

    Each is a TOML mapping profile shipped with estate (estate/profiles/NAME.toml): copy one and edit
    it (a rate, a sheet name) to use with --mapping.

    Example: estate profiles
    """
    from estate.mapping import PROFILES, builtin_profiles

    rows = [{"name": name, "reads": what, "file": str(PROFILES / f"{name}.toml")} for name, what in
            builtin_profiles().items()]  # fmt: skip

    def table() -> None:
        typer.echo(f"{'profile':<14} reads")
        for row in rows:
            typer.echo(f"{row['name']:<14} {row['reads']}")
        typer.echo(f"(in {PROFILES})")

    emit(output, rows, table, ("name", "reads", "file"))


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="The finance workbook to write (.xlsx).")],
    db: DbOpt = None,
    itemise: Annotated[
        int,
        typer.Option(
            "--itemise", min=1, help="Systems given formula rows, highest-ranked first; the rest are department totals."
        ),
    ] = 10_000,  # reporting.export.ITEMISED_SYSTEMS (not imported here: it pulls in pandas at start-up)
    results: ResultsOpt = None,
    source: SourceOpt = None,
) -> None:
    """Write the finance workbook: Assumptions as named cells and live formulas an analyst can audit.

    Sheets: README (inputs and their SHA-256), Assumptions, Systems, Reported costs, Hidden costs
    (one formula column per component), Appraisal (discount factors, NPV, payback, cost of delay),
    Ranking and Departments (SUMIFS). Change an assumption and the workbook recomputes; Monte Carlo
    percentiles and other statistical results are values, labelled as such. Run `estate analyse` first.
    Above --itemise systems (default 10,000) only the highest-ranked get formula rows; the others
    are totalled per department on the Departments sheet as labelled values.

    Example: estate export --db estate.duckdb --out estate_finance.xlsx
    """
    from reporting.export import export_finance_workbook

    if out.suffix.lower() != ".xlsx":
        typer.echo("Error: --out must end in .xlsx", err=True)
        raise typer.Exit(2)
    with _exit_on(*_reading_errors()):
        export_finance_workbook(_result_source(db, results, source), out, itemise=itemise)
    typer.echo(f"wrote {out}")


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into (created if needed).")],
    db: DbOpt = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
    results: ResultsOpt = None,
    source: SourceOpt = None,
) -> None:
    """Write the reproducible report: report.html (+ report.pdf), data/, inputs/ and manifest.json.

    report.html is self-contained (inline CSS and SVG, no network). data/ has every result table as
    csv and Parquet; inputs/ the imported files (and mapping or parameter file); manifest.json the
    settings, package versions and the SHA-256 of every file. The same inputs, parameters and seed
    give the same bytes. Run `estate analyse` first; check a report with `estate verify`.

    Example: estate report --db estate.duckdb --out report
    """
    from reporting.report import build_report

    with _exit_on(*_reading_errors()):
        manifest = build_report(_result_source(db, results, source), out, pdf)
    typer.echo(f"wrote {out}: {len(manifest['files'])} files and manifest.json")


@app.command("verify")
def verify_command(
    folder: Annotated[Path, typer.Argument(help="A folder written by `estate report`.", exists=True, file_okay=False)],
) -> None:
    """Rebuild a report from its inputs/ and recorded settings and compare every file's SHA-256.

    Exit 0 when every file matches manifest.json and the rerun gives the same bytes; exit 1 with
    the list of files that differ.

    Example: estate verify report
    """
    from reporting.verify import NotAReport, verify_report

    with _exit_on(NotAReport):
        problems = verify_report(folder)
    if problems:
        for problem in problems:
            typer.echo(f"{folder}/{problem}", err=True)
        typer.echo(f"{len(problems)} difference(s): the report does not reproduce", err=True)
        raise typer.Exit(1)
    typer.echo(f"{folder}: every file matches manifest.json and a rerun reproduces it byte for byte")


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
    from dependency_graph import EmptyEstate
    from reporting.graph_files import write_graph

    if out.suffix.lower() not in GRAPH_FORMATS:
        typer.echo(f"Error: --out must end in one of {', '.join(GRAPH_FORMATS)}", err=True)
        raise typer.Exit(2)
    with _exit_on(StoreError, EmptyEstate):
        nodes, edges = write_graph(db or default_db_path(), out)
    typer.echo(f"wrote {out}: {nodes:,} nodes, {edges:,} edges")


@app.command("app")
def app_command(
    db: DbOpt = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to serve on.")] = 8501,
    address: Annotated[
        str, typer.Option("--address", help="Interface to listen on; anything but loopback (0.0.0.0) needs --access.")
    ] = "127.0.0.1",
    sample: Annotated[
        bool, typer.Option("--sample", help="If the database holds no systems, import and analyse the sample first.")
    ] = False,
    access: Annotated[
        Path | None,
        typer.Option(
            "--access",
            help="Access file (TOML): sign-in through OpenID Connect ([auth]) and who sees which departments "
            "([[access]] rules). Needed to listen on anything but loopback.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Start the Streamlit app on http://localhost:PORT (Ctrl+C stops it).

    Pages: Overview, Candidates (ranking with weight sliders), System, Dependencies, Roadmap,
    Assumptions (with a scenario editor), Data quality and Import. The app reads the database
    read-only, so the CLI and several browser sessions can use it at once; only the Import page
    writes, through the same all-or-nothing import as `estate import`, then re-runs the analysis
    with the recorded settings. Uploads are limited to 100 MB per file.

    Example: estate app --db estate.duckdb --port 8501
    """
    import os
    import subprocess

    from app.ui import MAX_UPLOAD_MB

    db_path = (db or default_db_path()).resolve()
    environment = {"ESTATE_DB": str(db_path)}
    secrets: list[str] = []
    if access is None and not _loopback(address):
        typer.echo(f"Error: --address {address} would show every department's data to anyone who reaches the port: "
                   "give --access ACCESS.toml (sign-in and department scopes), or keep the default 127.0.0.1",
                   err=True)  # fmt: skip
        raise typer.Exit(2)
    if access is not None:
        secrets, environment["ESTATE_ACCESS"] = _access_secrets(access, db_path), str(access.resolve())
    if sample:
        from pipeline.run import import_sample_if_empty

        with _exit_on(StoreError):
            imported = import_sample_if_empty(db_path)
        if imported:
            typer.echo(f"{db_path}: empty, so the synthetic sample was imported and analysed ({imported[0].as_text()})")
    command = [
        sys.executable, "-m", "app.serve", str(Path(__file__).with_name("Overview.py")),
        "--server.port", str(port), "--server.address", address, "--server.headless", "true",
        "--server.maxUploadSize", str(MAX_UPLOAD_MB), "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",  # no Deploy button or developer menu for portfolio managers
        *secrets,
    ]  # fmt: skip
    typer.echo(f"estate app: open http://localhost:{port} (database {db_path}); Ctrl+C stops it")
    try:
        code = subprocess.call(command, env=os.environ | environment)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def _loopback(address: str) -> bool:
    import ipaddress

    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _access_secrets(access: Path, db_path: Path) -> list[str]:
    """Check the access file (exit 2 naming the key) and write its [auth] as the server's Streamlit secrets.

    The secrets go to a private folder of this run (mode 0700, the file 0600), never into the project.
    """
    import atexit
    import os
    import shutil
    import tempfile

    import tomli_w

    from app.access import AccessError, AccessFile

    departments = None
    if db_path.exists():
        with _exit_on(StoreError), connect(db_path, read_only=True) as connection:
            departments = {r[0] for r in connection.execute("SELECT DISTINCT department FROM systems").fetchall()}
    with _exit_on(AccessError, code=2):
        checked = AccessFile.load(access, departments)
    folder = Path(tempfile.mkdtemp(prefix="estate-secrets-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "secrets.toml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        tomli_w.dump(checked.secrets(), handle)
    return ["--secrets.files", str(path)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"estate {__version__}")
        raise typer.Exit()


from app.cli_sync import sync_app  # noqa: E402 (its commands use this module's helpers, imported when they run)

app.add_typer(sync_app, name="sync")


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
    except OutputError as exc:  # any command that writes a file: a clear message, never a traceback
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
