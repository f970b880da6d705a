"""The figures the Streamlit app shows, computed here so the app, the report and the CLI agree.

`load_estate` reads everything once (read-only); the other functions are pure: stored frames in,
tables and numbers out. The app only lays them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from costing.hidden import COMPONENTS, components_in_words
from costing.uncertainty import PERCENTILE_COLUMNS
from estate.schema import SYSTEMS, FieldType
from estate.store import connect, merged_systems_sql
from estate.sync.core import STALE_AFTER_HOURS, source_status
from pipeline.results import NotAnalysed, Results, ResultSource, check_analysed, read_results
from pipeline.scope import apply_scope
from reporting.text import field_header

__all__ = ["NotAnalysed", "components_in_words"]
NEIGHBOURS_SHOWN = 40  # per hop and side in the neighbourhood view


class NoEstate(LookupError):
    """No inventory to show yet; the message says what to do."""


@dataclass(frozen=True)
class EstateData:
    """The stored inventory, import history and (after `estate analyse`) the results, as read once."""

    systems: pd.DataFrame
    interfaces: pd.DataFrame
    imports: pd.DataFrame
    issues: pd.DataFrame
    results: Results  # every result table (pipeline.results), none when not analysed
    not_analysed: str = ""  # why there are no results (NotAnalysed's message)
    sources: list = field(default_factory=list)  # live sources (estate.sync.SourceStatus), when synced
    far_ends: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["system_id", "name", "department"]))

    def names(self) -> pd.DataFrame:
        """Return name and department by system ID: the systems, and in a department's view the far ends of its
        interfaces (other departments' systems, shown by ID, name and department only)."""
        known = self.systems[["system_id", "name", "department"]]
        return pd.concat([known, self.far_ends], ignore_index=True).drop_duplicates("system_id").set_index("system_id")

    @property
    def analysed(self) -> bool:
        """Return True when the stored results are those of the stored inventory."""
        return not self.not_analysed

    @property
    def run(self) -> dict:
        """Return the recorded settings and estate totals of the analysis."""
        return self.results.run

    @property
    def assessment(self) -> pd.DataFrame:
        """Return one row per system: costs, uncertainty, appraisal, risk, rank (sorted by rank)."""
        return self.results.assessment


def load_estate(db: Path, scope: frozenset[str] | None = None) -> EstateData:
    """Read the store read-only; raise NoEstate (with what to do) when there is nothing to show.

    `scope`: the departments a signed-in department user may see (pipeline.scope): every frame and result
    is theirs alone, their totals included. None: the whole estate.
    """
    if not db.exists():
        raise NoEstate(f"No inventory loaded in {db}: use the Import page or run `estate import FILE`.")
    with connect(db, read_only=True) as connection:
        tables = {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "systems" not in tables:
            raise NoEstate(f"No inventory loaded in {db}: use the Import page or run `estate import FILE`.")
        frame = lambda sql: connection.sql(sql).df()  # noqa: E731
        try:
            check_analysed(connection)
            why = ""
        except NotAnalysed as exc:
            why = str(exc)
        apply_scope(connection, scope)
        results = Results({}) if why else read_results(connection, source=ResultSource(db, scope=scope), check=False)
        data = EstateData(
            systems=frame(f"SELECT * EXCLUDE (extra) FROM ({merged_systems_sql()}) ORDER BY system_id"),
            interfaces=frame(
                "SELECT interface_id, source_system_id, target_system_id, kind, frequency, criticality, "
                "source_file, source_sheet, source_row FROM interfaces"
            ),
            imports=frame("SELECT * EXCLUDE (mapping) FROM imports ORDER BY import_id"),
            issues=frame(
                "SELECT import_id, file, sheet, row, nullif(record, '') AS record, \"column\", value, code, severity, "
                "message FROM import_issues ORDER BY import_id, file, sheet, row, record"
            ),
            results=results,
            not_analysed=why,
            sources=source_status(connection),
            **({"far_ends": frame("SELECT * FROM far_ends ORDER BY system_id")} if scope is not None else {}),
        )
    if data.systems.empty:
        if scope is not None:
            raise NoEstate(f"No system of {', '.join(sorted(scope))} is in the store yet: import your department's "
                           "inventory on the Import page.")  # fmt: skip
        raise NoEstate(f"No inventory loaded in {db}: use the Import page or run `estate import FILE`.")
    return data


def freshness(sources: list, now: datetime | None = None, stale_after_hours: float = STALE_AFTER_HOURS) -> list[dict]:
    """Return each live source as people read it: when synced (and how long ago), what changed, whether stale."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for s in sources:
        hours = s.age_hours(now)
        ago = (
            f"{hours * 60:,.0f} minutes"
            if hours < 1
            else f"{hours:,.1f} hours"
            if hours < 48
            else f"{hours / 24:,.0f} days"
        )
        changes = ", ".join(f"{s.changes.get(k, 0):,} {k}" for k in ("added", "updated", "removed"))
        rows.append({
            "Source": s.source, "Last synced (UTC)": f"{s.last_synced_at:%d/%m/%Y %H:%M}", "Age": f"{ago} ago",
            "Last change": f"{changes} at {s.last_changed_at:%d/%m/%Y %H:%M}" if s.last_changed_at else changes,
            "Records": s.records, "Stale": s.stale(now, stale_after_hours),
        })  # fmt: skip
    return rows


def returns_by_department(data: EstateData) -> pd.DataFrame:
    """Return each department's return: systems, its latest import (file, when) and how complete it is.

    Coverage: the shares of the department's systems with an observed run cost (cost lines, not imputed or
    assumed), an observed legacy status (evidence, not the published prior) and a stated end of support.
    """
    systems = data.systems
    latest = systems.sort_values("import_id").groupby("department").tail(1).set_index("department")
    imports = data.imports.set_index("import_id")
    rows = []
    for department, group in systems.groupby("department"):
        import_id = int(latest.loc[department, "import_id"])
        record = {"Department": department, "Systems": len(group),
                  "Latest file": imports.loc[import_id, "file_name"] if import_id in imports.index else "",
                  "Imported (UTC)": imports.loc[import_id, "imported_at"] if import_id in imports.index else None,
                  "End of support stated": float(group["end_of_support"].notna().mean())}  # fmt: skip
        if data.analysed:
            assessed = data.assessment[data.assessment["department"] == department]
            record["Run cost observed"] = float(assessed["cost_basis"].eq("observed").mean()) if len(assessed) else 0.0
            record["Legacy status observed"] = (
                float(assessed["legacy_status"].ne("assumed").mean()) if len(assessed) else 0.0
            )
        rows.append(record)
    return pd.DataFrame(rows)


def access_log(db: Path, limit: int = 500) -> pd.DataFrame:
    """Return the latest lines of the access log (who saw or changed what), newest first."""
    with connect(db, read_only=True) as connection:
        return connection.sql(f"SELECT * FROM access_log ORDER BY logged_at DESC LIMIT {int(limit)}").df()


def require_analysis(data: EstateData) -> None:
    """Raise NotAnalysed when the stored inventory has not been analysed (or changed since)."""
    if not data.analysed:
        raise NotAnalysed(data.not_analysed)


def headline(assessment: pd.DataFrame, inputs: pd.DataFrame, run: dict) -> dict[str, float]:
    """Return the estate's headline figures: every surface (CLI, app, report, workbook) states these.

    Money is GBP a year. reported_cost_gbp is observed cost lines only (latest financial year per
    system); imputed_cost_gbp is shown beside it, never inside it. legacy_premium_gbp (within reported
    cost: systems whose cost is observed; legacy_premium_unobserved_gbp on imputed or assumed costs, apart)
    and hidden_cost_gbp (off-ledger) are expected values (Monte Carlo means) with P10/P90 for hidden.
    assumed_share: the share of hidden cost that rests on assumed inputs.
    assessment: system_assessment; inputs: model_inputs; run: the cost_model_runs row.
    """
    systems = len(assessment)
    hidden = float(run["estate_hidden_cost_gbp"])
    unobserved = run.get("estate_legacy_premium_unobserved_gbp")  # absent from analyses before issue 24
    return {
        "systems": systems,
        "departments": int(assessment["department"].nunique()),
        "reported_cost_gbp": float(assessment["reported_cost_gbp"].fillna(0.0).sum()),
        "imputed_cost_gbp": float(assessment["imputed_cost_gbp"].fillna(0.0).sum()),
        "legacy_premium_gbp": float(run["estate_legacy_premium_gbp"]),
        # premium on imputed or assumed run costs: shown apart, never inside the reported figure
        "legacy_premium_unobserved_gbp": 0.0 if unobserved is None or pd.isna(unobserved) else float(unobserved),
        "hidden_cost_gbp": hidden,
        "hidden_cost_p10_gbp": float(run["estate_hidden_cost_p10_gbp"]),
        "hidden_cost_p90_gbp": float(run["estate_hidden_cost_p90_gbp"]),
        "assumed_share": float(run["estate_assumed_hidden_gbp"]) / hidden if hidden > 0 else 0.0,
        "implied_breaches_per_year": float(run["estate_implied_breaches_per_year"]),
        "legacy_systems": float(assessment["legacy_probability"].sum()),  # expected count (Monte Carlo)
        "legacy_share": float(assessment["legacy_probability"].mean()) if systems else 0.0,
        "legacy_status_observed": float(assessment["legacy_status"].ne("assumed").mean()) if systems else 0.0,
        "past_support": int((inputs["years_past_end_of_support"] > 0).sum()),
        "red": int((assessment["risk_rag"] == "red").sum()),
        "imputed": int(assessment["cost_basis"].eq("imputed").sum()),
        "assumed_costs": int(assessment["cost_basis"].eq("assumed").sum()),
        "waves": int(assessment["wave"].max()) if systems else 0,
    }


def ranking_determination(
    assessment: pd.DataFrame, parameters: pd.DataFrame, fields: pd.DataFrame, run: dict
) -> dict[str, object]:
    """Return whether the evidence separates the top of the ranking: determined, reason, stability, facts to collect.

    The analysis recorded (costing.ranking.separation) the top N of the candidates (N = stability_top_n, at most
    half of them), how often each is in the top N across the joint Monte Carlo draws (stability) and how often
    systems the evidence cannot tell apart would be (chance, N / candidates). Determined when the stability is at
    least ranking_determined_stability of the way from chance to certainty and the top N are not all tied.
    `facts` names the missing fields worth most (estate gaps), most valuable first.
    assessment: system_assessment (ranked); parameters: parameters_used; fields: information_fields;
    run: the cost_model_runs row.
    """
    threshold = float(parameters.set_index("name")["value"]["ranking_determined_stability"])
    top_n, stability, chance = int(run["ranking_top_n"]), float(run["ranking_stability"]), float(run["ranking_chance"])
    lift = (stability - chance) / (1.0 - chance) if chance < 1.0 else 1.0  # one candidate is its own ranking
    candidates = assessment[assessment["candidate"].astype(bool)].sort_values("rank")
    measure = candidates["npv_per_capex"].head(top_n).to_numpy(np.float64)
    tied = len(measure) > 1 and float(np.ptp(measure)) <= 1e-9 * max(1.0, float(np.max(np.abs(measure))))
    facts = []
    if len(fields):
        ranked = fields.groupby("field", sort=False)["value_gbp"].sum().sort_values(ascending=False, kind="stable")
        facts = [field_header(str(f)) for f in ranked.index[:5]]  # as the inventory's headers say them
    assumed = float(assessment["legacy_status"].eq("assumed").mean()) if len(assessment) else 0.0
    ask = (
        f"; collect: {', '.join(facts)} (estate gaps, estate requests)" if facts else " (estate gaps, estate requests)"
    )
    said = (
        f"the top {top_n} of {len(candidates)} candidates are in the top {top_n} in {stability:.0%} of the Monte "
        f"Carlo draws on average, where systems the evidence cannot tell apart would be in {chance:.0%}"
    )
    if not len(candidates):
        determined, reason = False, "no system is a replacement candidate" + ask
    elif tied:
        determined, reason = False, f"the top {len(measure)} candidates are tied on the decision measure" + ask
    elif lift < threshold:
        determined = False
        reason = (
            f"not enough evidence to rank: {said} (a determined ranking is at least {threshold:.0%} of the way "
            f"from chance to certainty); the legacy status of {assumed:.0%} of systems rests on assumptions" + ask
        )
    else:
        determined, reason = True, f"{said}: {lift:.0%} of the way from chance to certainty"
    return {"determined": determined, "reason": reason, "top_n": top_n, "stability": stability, "chance": chance,
            "facts": facts}  # fmt: skip


def department_summary(data: EstateData) -> pd.DataFrame:
    """Return one row per department: systems, reported cost, legacy premium, hidden cost (expected, P10/P90) ..."""
    assessment = data.assessment.merge(
        data.results["model_inputs"][["system_id", "years_past_end_of_support"]], on="system_id", how="left"
    )
    assessment = assessment.assign(
        department=assessment["department"].fillna("(none)"),
        past_support=assessment["years_past_end_of_support"] > 0,
        red=assessment["risk_rag"] == "red",
    )
    summary = assessment.groupby("department").agg(
        systems=("system_id", "size"),
        reported_cost_gbp=("reported_cost_gbp", "sum"),
        imputed_cost_gbp=("imputed_cost_gbp", "sum"),
        legacy_systems=("legacy_probability", "sum"),
        past_support=("past_support", "sum"),
        red=("red", "sum"),
    )
    percentiles = data.results["department_costs"].set_index("department")
    summary = summary.join(percentiles, how="left").reset_index()
    return summary.sort_values("hidden_cost_gbp", ascending=False, ignore_index=True)


DEPARTMENT_COUNTS = ("systems", "legacy_systems", "past_support", "red")


def department_table(data: EstateData) -> pd.DataFrame:
    """Return department_summary with a last row for the whole estate ("All departments").

    Its counts and expected values are the sums of the rows above; its P10 and P90 are the estate's own
    (percentiles do not add up).
    """
    departments = department_summary(data)
    summed = [*DEPARTMENT_COUNTS, "reported_cost_gbp", "imputed_cost_gbp", "legacy_premium_gbp",
              "legacy_premium_unobserved_gbp", "hidden_cost_gbp"]  # fmt: skip
    run = data.run
    total = {"department": "All departments", **departments[summed].sum().to_dict(),
             **{c: float(run[f"estate_{c}"]) for c in PERCENTILE_COLUMNS}}  # fmt: skip
    return pd.concat([departments, pd.DataFrame([total])], ignore_index=True)


def heat_cells(data: EstateData, column: str) -> pd.DataFrame:
    """Return systems and expected hidden cost (GBP and £m) per department and value of `column` (its label)."""
    assessment = data.assessment
    cells = (
        assessment.assign(department=assessment["department"].fillna("(none)"),
                          group=assessment[column].map(lambda v: code_label(v) if isinstance(v, str) and v else v))
        .groupby(["department", "group"], as_index=False)
        .agg(systems=("system_id", "size"), hidden=("hidden_cost_gbp", "sum"))
    )  # fmt: skip
    return cells.assign(hidden_m=cells["hidden"] / 1e6)


def filter_ranking(
    ranked: pd.DataFrame,
    departments: list[str] | None = None,
    platforms: list[str] | None = None,
    quadrants: list[str] | None = None,
    waves: list[int] | None = None,
) -> pd.DataFrame:
    """Return the ranked rows matching every non-empty filter (ranks are kept, not renumbered)."""
    keep = np.ones(len(ranked), bool)
    for column, chosen in (("department", departments), ("platform", platforms),
                           ("time_quadrant", quadrants), ("wave", waves)):  # fmt: skip
        if chosen:
            keep &= ranked[column].isin(chosen).to_numpy()
    return ranked[keep]


@dataclass(frozen=True)
class SystemProfile:
    """Everything about one system, ready to show."""

    system_id: str
    name: str
    attributes: pd.DataFrame  # field, value
    provenance: dict[str, object]  # file, sheet, row, import_id
    assessment: dict[str, object]  # the system_assessment row
    components: pd.DataFrame  # component, annual_gbp, start_gbp, end_gbp (a waterfall from reported cost)
    upstream: pd.DataFrame  # interfaces feeding it: system_id, name, department, kind, frequency
    downstream: pd.DataFrame  # interfaces it feeds


def system_choices(data: EstateData) -> list[str]:
    """Return system IDs in rank order (inventory order before analysis)."""
    if data.analysed:
        return data.assessment["system_id"].tolist()
    return data.systems["system_id"].tolist()


def system_profile(data: EstateData, system_id: str) -> SystemProfile:
    """Return one system's attributes with provenance, cost waterfall, risk, appraisal and neighbours."""
    rows = data.systems[data.systems["system_id"] == system_id]
    if rows.empty:
        raise NoEstate(f"No system '{system_id}' in the inventory.")
    record = rows.iloc[0].to_dict()
    sources = json.loads(record.get("field_sources") or "{}")
    attributes = pd.DataFrame(
        [
            {
                "field": f"{f.header} ({f.unit})" if f.unit else f.header,
                "value": code_label(record.get(f.name)) if f.type is FieldType.CHOICE else _text(record.get(f.name)),
                "source": _source(sources.get(f.name)) if f.name != "system_id" else _source(
                    f"{record['source_file']}!{record['source_sheet']}!{record['source_row']}"),
            }
            for f in SYSTEMS.stored_fields
        ]
    )  # fmt: skip
    assessment = data.results.get("system_assessment", pd.DataFrame(columns=["system_id"]))
    assessment = assessment[assessment["system_id"] == system_id]
    row = assessment.iloc[0].to_dict() if len(assessment) else {}
    names = data.names()
    return SystemProfile(
        system_id=system_id,
        name=str(record.get("name") or ""),
        attributes=attributes,
        provenance={k: record[f"source_{k}"] for k in ("file", "sheet", "row")} | {"import_id": record["import_id"]},
        assessment=row,
        components=cost_waterfall(row) if row else pd.DataFrame(),
        upstream=_neighbours(data.interfaces, names, system_id, "target_system_id", "source_system_id"),
        downstream=_neighbours(data.interfaces, names, system_id, "source_system_id", "target_system_id"),
    )


def cost_waterfall(row: dict) -> pd.DataFrame:
    """Return a waterfall that adds up (GBP/year, expected values): run cost less legacy premium, each premium
    component (together: the run cost), each hidden component, then the total cost a year."""
    run = float(row["run_cost_gbp"] or 0.0)
    basis = row.get("cost_basis") or "observed"
    steps = [(f"Run cost less legacy premium ({basis})", run - float(row["legacy_premium_gbp"]), "run")]
    steps += [(c.label, float(row[c.column]), c.part) for c in COMPONENTS]
    frame = pd.DataFrame(steps, columns=["component", "annual_gbp", "kind"])
    frame["end_gbp"] = frame["annual_gbp"].cumsum()
    frame["start_gbp"] = frame["end_gbp"] - frame["annual_gbp"]
    total = run + float(row["hidden_cost_gbp"])
    frame.loc[len(frame)] = {"component": "Total cost a year", "annual_gbp": total, "kind": "total",
                             "end_gbp": total, "start_gbp": 0.0}  # fmt: skip
    return frame


def component_formulas() -> dict[str, str]:
    """Return each hidden-cost component's label and formula text (from its docstring)."""
    return {c.label: c.formula for c in COMPONENTS}


def _neighbours(interfaces: pd.DataFrame, names: pd.DataFrame, system_id: str, own: str, other: str) -> pd.DataFrame:
    linked = interfaces[(interfaces[own] == system_id) & (interfaces[other] != system_id)]
    frame = linked[[other, "interface_id", "kind", "frequency"]].rename(columns={other: "system_id"})
    frame = frame.join(names, on="system_id")
    frame["name"] = frame["name"].fillna("(not in the inventory)")
    return frame[["system_id", "name", "department", "interface_id", "kind", "frequency"]].sort_values(
        ["system_id", "interface_id"], ignore_index=True
    )


def neighbourhood(data: EstateData, system_id: str, hops: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (nodes, edges) within `hops` interfaces of a system, laid out left (feeds it) to right (it feeds).

    nodes: system_id, name, department, x (negative: upstream hops; positive: downstream), y, hidden; edges:
    source/target IDs with their coordinates. At most NEIGHBOURS_SHOWN systems per hop and side (by ID).
    """
    edges = data.interfaces[data.interfaces["source_system_id"] != data.interfaces["target_system_id"]]
    placed = {system_id: 0}
    for direction, own, other in ((-1, "target_system_id", "source_system_id"),
                                  (1, "source_system_id", "target_system_id")):  # fmt: skip
        frontier = {system_id}
        for hop in range(1, hops + 1):
            found = sorted(set(edges.loc[edges[own].isin(frontier), other]) - set(placed))[:NEIGHBOURS_SHOWN]
            for node in found:
                placed[node] = direction * hop
            frontier = set(found)
    nodes = pd.DataFrame({"system_id": list(placed), "x": list(placed.values())})
    nodes["y"] = nodes.groupby("x").cumcount()
    nodes["y"] = nodes["y"] - nodes.groupby("x")["y"].transform("max") / 2.0
    names = data.names()
    nodes = nodes.join(names, on="system_id")
    nodes["in_inventory"] = nodes["name"].notna() | nodes["system_id"].isin(names.index)
    nodes["name"] = nodes["name"].fillna("(not in the inventory)")
    short = nodes["name"].str.slice(0, 26) + np.where(nodes["name"].str.len() > 26, "…", "")
    nodes["label"] = nodes["system_id"] + "\n" + short
    nodes["role"] = np.select([nodes["x"] < 0, nodes["x"] > 0], ["feeds it", "depends on it"], "selected")
    position = nodes.set_index("system_id")[["x", "y"]]
    shown = edges[edges["source_system_id"].isin(placed) & edges["target_system_id"].isin(placed)]
    shown = shown[shown["source_system_id"].map(placed) < shown["target_system_id"].map(placed)]
    links = shown[["source_system_id", "target_system_id", "kind"]].drop_duplicates(
        ["source_system_id", "target_system_id"]
    )
    target = position.rename(columns={"x": "x_target", "y": "y_target"})
    links = links.join(position, on="source_system_id").join(target, on="target_system_id")
    # an arrowhead 80% of the way along each link: data flows left to right, source to target
    links["x_arrow"] = links["x"] + 0.8 * (links["x_target"] - links["x"])
    links["y_arrow"] = links["y"] + 0.8 * (links["y_target"] - links["y"])
    links["angle"] = np.degrees(np.arctan2(-(links["y_target"] - links["y"]), links["x_target"] - links["x"]))
    return nodes, links.reset_index(drop=True)


def department_matrix(data: EstateData) -> pd.DataFrame:
    """Return interface counts between departments (long form: source, target, interfaces, crossing)."""
    links = data.results["department_links"].copy()
    links["crossing"] = links["source_department"] != links["target_department"]
    return links


def issue_table(data: EstateData, codes: list[str] | None = None, severities: list[str] | None = None) -> pd.DataFrame:
    """Return stored import issues, filtered by code and severity when given."""
    issues = data.issues
    if codes:
        issues = issues[issues["code"].isin(codes)]
    if severities:
        issues = issues[issues["severity"].isin(severities)]
    if "record" in issues and issues["record"].isna().all():  # no live source's record: located by row alone
        issues = issues.drop(columns="record")
    return issues.reset_index(drop=True)


def _source(where: str | None) -> str:
    """Return 'file, sheet S, row R' from 'file!sheet!row' (empty when no source gave the field)."""
    if not where:
        return ""
    file, sheet, row = [*where.rsplit("!", 2), "", ""][:3]
    return f"{file}, sheet {sheet}, row {row}"


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    if isinstance(value, pd.Timestamp | date):
        return f"{value:%d/%m/%Y}"  # UK dates
    return str(value)


def code_label(code: object) -> str:
    """Return a stored choice code ('on_premises', 'saas') as a person reads it ('On premises', 'SaaS')."""
    labels = {"saas": "SaaS", "api": "API"}
    text = _text(code)
    return labels.get(text, text.replace("_", " ").capitalize()) if text else ""


def scenario_inputs(db: Path, scope: frozenset[str] | None = None):
    """Return the cost model's stored inputs (pipeline.run.ModelInputs) of the scope, read-only, for what-if runs."""
    from pipeline.run import load_inputs

    with connect(db, read_only=True) as connection:
        apply_scope(connection, scope)
        return load_inputs(connection)


def roadmap_defaults(data: EstateData) -> dict:
    """Return a plan's defaults: first_year (the financial year after the assessment), budget (GBP a year),
    and the counts of candidates and of those with a positive expected NPV.

    The budget spreads the capex of the candidates with a positive expected NPV over five years (GBP 1m when
    there are none).
    """
    from estate.cleaning import financial_year_after

    assessment = data.assessment
    positive = assessment[assessment["candidate"].astype(bool) & (assessment["npv_gbp"] > 0)]
    budget = float(positive["replacement_capex_gbp"].sum() / 5) if len(positive) else 1e6
    return {"first_year": financial_year_after(data.results.settings.as_of), "budget": budget,
            "candidates": int(assessment["candidate"].astype(bool).sum()), "positive": len(positive)}  # fmt: skip
