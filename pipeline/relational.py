"""The relational parts of an analysis, written once as Ibis expressions and run on DuckDB (default) or Spark.

These are the parts whose cost grows with the detail tables (ledger lines over years, discovered
interfaces): they reduce them, on the engine that holds them, to what the graph and the cost model need.
- `latest_cost_lines`: each system's cost lines for its latest financial year, summed by category (a null
  category counted as `other`): what the cost model reads (costing.inputs.latest_reported_costs pivots it).
- `cost_rollups`: those lines rolled up by category, department, platform and technology.
- `interface_pairs`: interfaces aggregated to (source, target, kind) with their count: the edge list the
  graph is built from on the driver (dependency_graph weighs each pair by its count).
- `interface_findings`: the findings that name an interface (a reference to a system not in the inventory,
  an interface from a system to itself), in file order.
- `input_problems`: the checks a large table gets before an analysis on an engine estate did not import
  into (Parquet or a catalog): required values, duplicate IDs, references to unknown systems, negative money;
  each problem located by its row (source_file and source_row when the table carries them).
- `reduce_inputs` runs the first four and returns them as DataFrames.
Money is summed as whole hundredths of a penny in 64-bit integers, so a sum does not depend on the order an
engine adds in: the same inputs give the same bits on one thread, many, or a cluster (DECIMAL(38, 4) would
too, at the cost of wide-decimal arithmetic on Spark).
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pandas as pd

INPUT_TABLES = ("systems", "interfaces", "costs")
PROBLEM_COLUMNS = ("table", "row", "column", "value", "code", "message")
FINDING_COLUMNS = ("kind", "system_id", "interface_id", "detail")
ROLLUP_LEVELS = ("category", "department", "platform", "technology")
PARTS = 10_000  # money is summed as whole hundredths of a penny (int64: exact up to £922 trillion)
# columns the reduction reads that a source may lack: null when absent
OPTIONAL_COLUMNS = (
    ("systems", "platform"), ("systems", "technology"), ("interfaces", "interface_id"), ("interfaces", "kind"),
)  # fmt: skip


class InputProblem(ValueError):
    """Tables that are not fit to analyse: every problem, located by table and row."""

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems
        lines = [f"{r.table}:{'' if pd.isna(r.row) else int(r.row)}:{r.column}: error [{r.code}] {r.message}"
                 for r in problems.itertuples()]  # fmt: skip
        super().__init__("\n".join(lines[:50]) + (f"\n... and {len(lines) - 50} more" if len(lines) > 50 else ""))


REQUIRED = {
    "systems": ("system_id", "name", "department"),
    "interfaces": ("source_system_id", "target_system_id"),
    "costs": ("system_id", "financial_year", "category", "amount_gbp"),
}


def _money_sum(amount: ir.NumericValue) -> ir.FloatingScalar:
    """Return the sum of an amount, exact and independent of the order it is added in (see the module note)."""
    return (amount * PARTS).round().cast("int64").sum().cast("float64") / PARTS


def latest_cost_lines(costs: ir.Table) -> ir.Table:
    """Return system_id, financial_year, category, amount_gbp: each system's latest year, summed by category."""
    latest = costs.group_by("system_id").aggregate(latest_year=costs.financial_year.max())
    lines = costs.inner_join(latest, "system_id").filter(lambda t: t.financial_year == t.latest_year)
    lines = lines.mutate(category=lines.category.fill_null("other"))
    summed = lines.group_by(["system_id", "financial_year", "category"]).aggregate(
        amount_gbp=_money_sum(lines.amount_gbp)
    )
    return summed.order_by(["system_id", "category"])


def cost_rollups(latest: ir.Table, systems: ir.Table) -> dict[str, ir.Table]:
    """Return level -> (level, reported_cost_gbp): latest-year reported cost TBM-style, largest first.

    `latest` is `latest_cost_lines`; a system the lines name but the inventory lacks counts as "(unknown)".
    """
    attributes = systems.select("system_id", "department", "platform", "technology")
    joined = latest.left_join(attributes, latest.system_id == attributes.system_id).select(
        "category", "department", "platform", "technology", "amount_gbp"
    )
    result = {}
    for level in ROLLUP_LEVELS:
        named = joined.mutate(**{level: joined[level].cast("string").fill_null("(unknown)")})
        totals = named.group_by(level).aggregate(reported_cost_gbp=_money_sum(named.amount_gbp))
        result[level] = totals.order_by([ibis.desc("reported_cost_gbp"), level])
    return result


def interface_pairs(interfaces: ir.Table) -> ir.Table:
    """Return source_system_id, target_system_id, kind, interfaces: the edge list aggregated to pairs and kinds."""
    pairs = interfaces.group_by(["source_system_id", "target_system_id", "kind"]).aggregate(interfaces=ibis._.count())
    return pairs.order_by(["source_system_id", "target_system_id", "kind"])


def _file_order(table: ir.Table, key: str) -> list[str]:
    """Return the columns that put a table's rows in file order (its provenance), then its key.

    The key breaks ties: rows split from one spreadsheet row share it (interface IDs IF-7, IF-7.2, ...).
    """
    return [*[c for c in ("source_file", "source_row") if c in table.columns], key]


def interface_findings(interfaces: ir.Table, systems: ir.Table) -> ir.Table:
    """Return kind, system_id, interface_id, detail: each reference to a system not in the inventory (source
    ends, then target ends) and each interface from a system to itself, in file order within each."""
    known = systems.select(known_id=systems.system_id).distinct()
    parts = []
    for number, end in enumerate(("source", "target")):
        column = interfaces[f"{end}_system_id"]
        unknown = interfaces.filter(column.notnull()).anti_join(known, column == known.known_id)
        named = unknown[f"{end}_system_id"]
        detail = (
            ibis.literal(f"{end} '") + named + ibis.literal("' is not in the inventory (kept as a placeholder node)")
        )
        parts.append(unknown.mutate(
            part=ibis.literal(number), kind=ibis.literal("dangling_reference"), system_id=named, detail=detail,
        ))  # fmt: skip
    loops = interfaces.filter(interfaces.source_system_id == interfaces.target_system_id)
    parts.append(loops.mutate(
        part=ibis.literal(2), kind=ibis.literal("self_loop"), system_id=loops.source_system_id,
        detail=ibis.literal("interface from a system to itself (left out of the metrics)"),
    ))  # fmt: skip
    order = ["part", *_file_order(interfaces, "interface_id")]
    rows = ibis.union(*[p.select(*dict.fromkeys([*FINDING_COLUMNS, *order])) for p in parts])
    return rows.order_by(order).select(*FINDING_COLUMNS)


def reduce_inputs(
    systems: ir.Table, interfaces: ir.Table, costs: ir.Table, keep: Callable[[ir.Table], ir.Table] | None = None
) -> dict[str, object]:
    """Return the reduced inputs as DataFrames: costs (latest lines), interfaces (pairs), their findings, rollups.

    `keep` holds the latest cost lines on the engine for the five queries that read them (Spark: `cache`), so
    the ledger is reduced once; without it each query reduces it again, which on DuckDB costs a fraction of
    a second (Ibis's cache cannot drop its DuckDB table in this DuckDB release).
    """
    latest = latest_cost_lines(costs)
    latest = keep(latest) if keep else latest
    return {
        "costs": latest.to_pandas(),
        "interfaces": interface_pairs(interfaces).to_pandas(),
        "interface_findings": interface_findings(interfaces, systems).to_pandas(),
        "rollups": {level: table.to_pandas() for level, table in cost_rollups(latest, systems).items()},
    }


def _located(table: ir.Table, name: str, where: ir.BooleanValue, column: str, code: str, message: str) -> ir.Table:
    row = table.source_row.cast("int64") if "source_row" in table.columns else ibis.literal(None, "int64")
    return table.filter(where).select(
        table=ibis.literal(name), row=row, column=ibis.literal(column),
        value=table[column].cast("string"), code=ibis.literal(code), message=ibis.literal(message),
    )  # fmt: skip


def input_problems(systems: ir.Table, interfaces: ir.Table, costs: ir.Table) -> ir.Table:
    """Return every located problem of the three tables (empty when they are fit to analyse)."""
    checks = []
    for name, table in (("systems", systems), ("interfaces", interfaces), ("costs", costs)):
        for column in REQUIRED[name]:
            checks.append(_located(table, name, table[column].isnull(), column, "missing_value",
                                   f"{column} is blank: required on every row"))  # fmt: skip
    counts = systems.group_by("system_id").aggregate(copies=ibis._.count())
    repeated = systems.inner_join(counts.filter(counts.copies > 1), "system_id")
    checks.append(_located(repeated, "systems", ibis.literal(True), "system_id", "duplicate_id",
                           "system_id is on more than one row"))  # fmt: skip
    known = systems.select("system_id").distinct()
    for column in ("source_system_id", "target_system_id"):
        unknown = interfaces.anti_join(known, interfaces[column] == known.system_id)
        checks.append(_located(unknown, "interfaces", unknown[column].notnull(), column, "dangling_reference",
                               f"{column} is not in the systems table"))  # fmt: skip
    checks.append(_located(costs, "costs", costs.amount_gbp < 0, "amount_gbp", "negative_money",
                           "amount_gbp is negative"))  # fmt: skip
    for name, table in (("systems", systems), ("costs", costs)):
        checks += _range_checks(name, table)
    return ibis.union(*checks).order_by(["table", "row", "column", "code"])


def _range_checks(name: str, table: ir.Table) -> list[ir.Table]:
    """Return the checks an import makes of each numeric field's range, for a table estate did not import.

    Money above MAX_MONEY, numbers above MAX_NUMBER, negatives, NaN or infinity, a criticality outside 1-5.
    """
    from estate.cleaning import MAX_MONEY, MAX_NUMBER
    from estate.schema import TABLES_BY_NAME, FieldType

    checks = []
    for f in TABLES_BY_NAME[name].stored_fields:
        if f.name not in table.columns:
            continue
        column = table[f.name]
        if not column.type().is_numeric():
            continue
        if f.type is FieldType.CRITICALITY:
            outside = (column < 1) | (column > 5) | (column != column.floor())
            checks.append(_located(table, name, outside, f.name, "out_of_range", f"{f.name} must be 1 to 5"))
            continue
        if f.type not in (FieldType.MONEY, FieldType.NUMBER, FieldType.INTEGER):
            continue
        limit = MAX_MONEY if f.type is FieldType.MONEY else MAX_NUMBER
        broken = column.isnan() | column.isinf() if column.type().is_floating() else ibis.literal(False)
        checks.append(_located(table, name, broken, f.name, "bad_number", f"{f.name} is not a finite number"))
        if f.name != "amount_gbp":  # a negative cost is negative_money, above
            checks.append(_located(table, name, (column < 0) & ~broken, f.name, "negative_value",
                                   f"{f.name} is negative"))  # fmt: skip
        checks.append(_located(table, name, (column > limit) & ~broken, f.name, "out_of_range",
                               f"{f.name} is above {limit:,.0f}"))  # fmt: skip
    return checks


def _estate_total_problem(costs: ir.Table) -> pd.DataFrame:
    """Return a problem when the costs would not sum exactly in PARTS (above MAX_ESTATE_MONEY in all)."""
    from estate.cleaning import MAX_ESTATE_MONEY

    total = costs.amount_gbp.cast("float64").sum().to_pyarrow().as_py() or 0.0
    if total <= MAX_ESTATE_MONEY:
        return pd.DataFrame(columns=list(PROBLEM_COLUMNS))
    message = (f"the costs total £{total:,.0f}, above the £{MAX_ESTATE_MONEY:,.0f} estate sums exactly: "
               "an amount is in the wrong unit")  # fmt: skip
    return pd.DataFrame([{"table": "costs", "row": None, "column": "amount_gbp", "value": "", "code": "out_of_range",
                          "message": message}])  # fmt: skip


def checked(tables: dict[str, ir.Table]) -> dict[str, ir.Table]:
    """Return a source's tables fit to reduce (optional columns null when absent); raise InputProblem if unfit.

    A missing required column is named; then `input_problems` runs on the engine. A link to a system not in
    the inventory is not an error (it becomes a placeholder node, as on import).
    """
    missing = [(name, column) for name in INPUT_TABLES for column in REQUIRED[name]
               if column not in tables[name].columns]  # fmt: skip
    if missing:
        raise InputProblem(pd.DataFrame([
            {"table": name, "row": None, "column": column, "value": "", "code": "missing_column",
             "message": f"the {name} table has no {column} column"} for name, column in missing
        ]))  # fmt: skip
    tables = dict(tables)
    for name, column in OPTIONAL_COLUMNS:
        if column not in tables[name].columns:
            tables[name] = tables[name].mutate(**{column: ibis.null().cast("string")})
    problems = input_problems(tables["systems"], tables["interfaces"], tables["costs"]).to_pandas()
    errors = problems[problems["code"] != "dangling_reference"]
    if not len(errors):
        errors = _estate_total_problem(tables["costs"])
    if len(errors):
        raise InputProblem(errors.reset_index(drop=True))
    return tables
