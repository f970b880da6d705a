"""The relational parts of an analysis, written once as Ibis expressions and run on DuckDB (default) or Spark.

These are the parts whose cost grows with the detail tables (ledger lines over years, discovered
interfaces): they reduce them to what the cost model and the graph need, on the engine that holds them.
- `latest_cost_lines`: each system's cost lines for its latest financial year, summed by category (a null
  category counted as `other`): what the cost model reads (costing.inputs.latest_reported_costs pivots it).
- `interface_pairs`: interfaces aggregated to (source, target, kind) with their count, the size of the
  edge list the graph would hold on the driver.
- `input_problems`: the checks a large table gets before an analysis on an engine estate did not import
  into (Parquet or a catalog): required values, duplicate IDs, references to unknown systems, negative money;
  each problem located by its row (source_file and source_row when the table carries them).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

PROBLEM_COLUMNS = ("table", "row", "column", "value", "code", "message")
REQUIRED = {
    "systems": ("system_id", "name", "department"),
    "interfaces": ("source_system_id", "target_system_id"),
    "costs": ("system_id", "financial_year", "category", "amount_gbp"),
}


def latest_cost_lines(costs: ir.Table) -> ir.Table:
    """Return system_id, financial_year, category, amount_gbp: each system's latest year, summed by category."""
    latest = costs.group_by("system_id").aggregate(latest_year=costs.financial_year.max())
    lines = costs.inner_join(latest, "system_id").filter(lambda t: t.financial_year == t.latest_year)
    lines = lines.mutate(category=lines.category.fill_null("other"))
    summed = lines.group_by(["system_id", "financial_year", "category"]).aggregate(amount_gbp=lines.amount_gbp.sum())
    return summed.order_by(["system_id", "category"])


def interface_pairs(interfaces: ir.Table) -> ir.Table:
    """Return source_system_id, target_system_id, kind, interfaces: the edge list aggregated to pairs and kinds."""
    pairs = interfaces.group_by(["source_system_id", "target_system_id", "kind"]).aggregate(interfaces=ibis._.count())
    return pairs.order_by(["source_system_id", "target_system_id", "kind"])


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
    return ibis.union(*checks).order_by(["table", "row", "column", "code"])
