"""One scope predicate for every read path: a department user's connection sees only their departments.

`apply_scope` shadows each input and result table of a read-only connection with a temporary view of the
same name holding only the scope's rows, so every reader of that connection (the app's estate, the finance
workbook, the plan, the scenario inputs, the report) gets the department's systems, costs, results and
totals and nothing else, without a filter of its own:
- systems: those whose (merged) department is in scope; interfaces: those with an end in scope (the other
  end's system is not among the systems: view far_ends has its ID, name and department, and nothing else);
  costs, model inputs, draws, findings, per-system results: those of the systems in scope; per-department
  results: the departments in scope;
- estate-level tables that cannot be split by system (reported cost by category, platform and technology,
  input coverage, calibration, method agreement, value of information by parameter) are empty;
- cost_model_runs' estate totals become the scope's: premium and hidden cost the sums of its departments
  (exact: means add), P10/P90 the department's own for one department and unknown (NULL) for several
  (percentiles do not add), assumed hidden cost and implied breaches summed over its systems;
- the raw bytes of imported files, data requests, sync records and the access log are empty (a file shared by
  departments holds the others' rows).
Checks that the results are current (check_analysed) must run before the scope is applied.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from estate.store import merged_systems_sql

BY_SYSTEM = ("system_assessment", "system_metrics", "graph_findings", "method_disagreements", "information_fields",
             "model_inputs", "decision_draws")  # fmt: skip
BY_DEPARTMENT = ("department_costs", "department_silos", "reported_cost_by_department")
ESTATE_LEVEL = ("reported_cost_by_category", "reported_cost_by_platform", "reported_cost_by_technology",
                "input_coverage", "calibration", "method_agreement", "information_parameters")  # fmt: skip
HIDDEN = ("import_files", "data_requests", "sync_records", "access_log")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def apply_scope(connection: duckdb.DuckDBPyConnection, departments: Iterable[str] | None) -> None:
    """Shadow the connection's tables with the scope's rows (None: the whole estate, nothing changes)."""
    if departments is None:
        return
    wanted = sorted(set(departments))
    listed = ", ".join(_literal(d) for d in wanted) or "NULL"
    database = connection.execute("SELECT current_database()").fetchone()[0]
    main = f'"{database.replace(chr(34), chr(34) * 2)}".main'
    present = {r[0] for r in connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = ?",
        [database],
    ).fetchall()}  # fmt: skip

    def view(name: str, sql: str) -> None:
        if name in present:
            connection.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    merged = merged_systems_sql(("department",)).replace("FROM systems", f"FROM {main}.systems")
    connection.execute(
        f"CREATE OR REPLACE TEMP VIEW scope_ids AS SELECT system_id FROM ({merged}) WHERE department IN ({listed})"
    )
    ids = "(SELECT system_id FROM scope_ids)"
    merged_names = merged_systems_sql(("name", "department")).replace("FROM systems", f"FROM {main}.systems")
    connection.execute(  # the far ends of the scope's own interfaces: ID, name and department, no figure
        f"CREATE OR REPLACE TEMP VIEW far_ends AS SELECT system_id, name, department FROM ({merged_names}) "
        f"WHERE system_id NOT IN {ids} AND system_id IN (SELECT source_system_id FROM {main}.interfaces WHERE "
        f"target_system_id IN {ids} UNION SELECT target_system_id FROM {main}.interfaces WHERE source_system_id "
        f"IN {ids})"
    )
    view("systems", f"SELECT * FROM {main}.systems WHERE system_id IN {ids}")
    view("interfaces", f"SELECT * FROM {main}.interfaces WHERE source_system_id IN {ids} OR target_system_id IN {ids}")
    view("costs", f"SELECT * FROM {main}.costs WHERE system_id IN {ids}")
    view("imports", f"SELECT * FROM {main}.imports WHERE import_id IN (SELECT DISTINCT import_id FROM systems)")
    view(
        "import_issues",
        f"SELECT * FROM {main}.import_issues WHERE import_id IN (SELECT import_id FROM imports) AND (row IS NULL "
        "OR (file, sheet, row) IN (SELECT source_file, source_sheet, source_row FROM systems UNION ALL "
        "SELECT source_file, source_sheet, source_row FROM interfaces UNION ALL "
        "SELECT source_file, source_sheet, source_row FROM costs))",
    )
    for name in HIDDEN + ESTATE_LEVEL:
        view(name, f"SELECT * FROM {main}.{name} WHERE false")
    for name in BY_SYSTEM:
        view(name, f"SELECT * FROM {main}.{name} WHERE system_id IN {ids}")
    for name in BY_DEPARTMENT:
        view(name, f"SELECT * FROM {main}.{name} WHERE department IN ({listed})")
    view("department_links", f"SELECT * FROM {main}.department_links WHERE source_department IN ({listed}) "
                             f"OR target_department IN ({listed})")  # fmt: skip
    if "cost_model_runs" in present and "department_costs" in present and "system_assessment" in present:
        one = "(SELECT count(*) FROM department_costs) = 1"
        view(
            "cost_model_runs",
            "SELECT * REPLACE ("
            "(SELECT coalesce(sum(legacy_premium_gbp), 0) FROM department_costs) AS estate_legacy_premium_gbp, "
            "(SELECT coalesce(sum(legacy_premium_unobserved_gbp), 0) FROM department_costs) "
            "AS estate_legacy_premium_unobserved_gbp, "
            "(SELECT coalesce(sum(hidden_cost_gbp), 0) FROM department_costs) AS estate_hidden_cost_gbp, "
            f"CASE WHEN {one} THEN (SELECT any_value(hidden_cost_p10_gbp) FROM department_costs) END "
            "AS estate_hidden_cost_p10_gbp, "
            f"CASE WHEN {one} THEN (SELECT any_value(hidden_cost_p90_gbp) FROM department_costs) END "
            "AS estate_hidden_cost_p90_gbp, "
            "(SELECT coalesce(sum(breach_probability), 0) FROM system_assessment) "
            "AS estate_implied_breaches_per_year, "
            "(SELECT coalesce(sum(hidden_cost_gbp * assumed_share), 0) FROM system_assessment) "
            f"AS estate_assumed_hidden_gbp) FROM {main}.cost_model_runs",
        )
