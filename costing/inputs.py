"""Model inputs: one row per system joining attributes, reported costs and graph metrics."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from costing.hidden import INTERFACE_KINDS

# Numeric inputs the hidden-cost components read; unknown values become 0 (never NaN).
SYSTEM_INPUTS = (
    "years_past_end_of_support", "licence_cost_gbp", "hosting_cost_gbp", "run_cost_gbp", "support_fte",
    "scarce_skills", "manual_workaround_hours_per_month", "manual_interfaces", "known_vulnerabilities",
    "outage_hours_per_year", "users", "mainframe", "on_premises", "legacy", "blast_radius",
    *(f"interfaces_{kind}" for kind in INTERFACE_KINDS),
)  # fmt: skip


def latest_reported_costs(costs: pd.DataFrame) -> pd.DataFrame:
    """Return each system's cost lines for its latest financial year, summed by category (wide, GBP)."""
    if costs.empty:
        return pd.DataFrame(columns=["system_id", "financial_year", "reported_cost_gbp"]).set_index("system_id")
    latest = costs.groupby("system_id")["financial_year"].transform("max")
    lines = costs[costs["financial_year"] == latest]
    wide = lines.pivot_table(index="system_id", columns="category", values="amount_gbp", aggfunc="sum", fill_value=0.0)
    wide.columns = [f"{c}_cost_gbp" for c in wide.columns]
    wide["reported_cost_gbp"] = wide.sum(axis=1)
    wide["financial_year"] = lines.groupby("system_id")["financial_year"].first()
    return wide


def cost_rollups(costs: pd.DataFrame, systems: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Return latest-year reported cost rolled up TBM-style: by category, department, platform and technology."""
    latest = costs[costs["financial_year"] == costs.groupby("system_id")["financial_year"].transform("max")]
    joined = latest.merge(systems[["system_id", "department", "platform", "technology"]], on="system_id", how="left")
    result = {}
    for level in ("category", "department", "platform", "technology"):
        result[level] = (
            joined.fillna({level: "(unknown)"}).groupby(level, dropna=False)["amount_gbp"].sum()
            .rename("reported_cost_gbp").reset_index()
            .sort_values("reported_cost_gbp", ascending=False, ignore_index=True)
        )  # fmt: skip
    return result


def interface_counts_by_kind(interfaces: pd.DataFrame, system_ids: pd.Series) -> pd.DataFrame:
    """Return, per system, how many non-manual interfaces of each kind touch it (self-loops excluded)."""
    usable = interfaces[
        (interfaces["source_system_id"] != interfaces["target_system_id"]) & interfaces["kind"].fillna("").ne("manual")
    ]
    kind = usable["kind"].where(usable["kind"].isin(INTERFACE_KINDS), "other")
    ends = pd.concat(
        [
            pd.DataFrame({"system_id": usable["source_system_id"], "kind": kind}),
            pd.DataFrame({"system_id": usable["target_system_id"], "kind": kind}),
        ]
    )
    table = ends.groupby(["system_id", "kind"]).size().unstack(fill_value=0)
    table = table.reindex(index=system_ids, columns=list(INTERFACE_KINDS), fill_value=0)
    table.columns = [f"interfaces_{k}" for k in table.columns]
    return table.reset_index(drop=True)


def scarce_skills_mask(technology: pd.Series, patterns: tuple[str, ...]) -> np.ndarray:
    """Return True where the technology matches one of the scarce-skills patterns."""
    if not patterns:
        return np.zeros(len(technology), bool)
    pattern = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    return technology.fillna("").map(lambda text: bool(pattern.search(text))).to_numpy(bool)


def build_inputs(
    systems: pd.DataFrame,
    costs: pd.DataFrame,
    interfaces: pd.DataFrame,
    metrics: pd.DataFrame,
    scarce_patterns: tuple[str, ...],
    as_of: date,
) -> pd.DataFrame:
    """Return one row per system with every model input (numeric, NaN-free) and descriptive columns."""
    frame = systems.sort_values("system_id", ignore_index=True)
    reported = latest_reported_costs(costs).reindex(frame["system_id"])
    frame["reported_cost_gbp"] = reported["reported_cost_gbp"].to_numpy()
    for column in ("licence_cost_gbp", "hosting_cost_gbp"):
        frame[column] = reported[column].to_numpy() if column in reported else 0.0
    frame["cost_financial_year"] = reported["financial_year"].to_numpy()
    metric_columns = ["blast_radius", "manual_interfaces", "wave", "cluster_size", "upstream_dependencies"]
    frame = frame.merge(metrics[["system_id", *metric_columns]], on="system_id", how="left")
    frame = pd.concat([frame, interface_counts_by_kind(interfaces, frame["system_id"])], axis=1)
    eos = pd.to_datetime(frame["end_of_support"])
    frame["years_past_end_of_support"] = ((pd.Timestamp(as_of) - eos).dt.days / 365.25).fillna(0.0).to_numpy()
    frame["scarce_skills"] = scarce_skills_mask(frame["technology"], scarce_patterns)
    frame["mainframe"] = frame["platform"].eq("mainframe").to_numpy()
    frame["on_premises"] = frame["platform"].eq("on_premises").to_numpy()
    frame["legacy"] = (frame["years_past_end_of_support"] > 0) | frame["scarce_skills"] | frame["mainframe"]
    frame["age_years"] = as_of.year - frame["go_live_year"]
    for column in SYSTEM_INPUTS:
        if column == "run_cost_gbp":
            continue
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0.0).astype(np.float64)
    return frame


def input_arrays(frame: pd.DataFrame, column_shape: bool = False) -> dict[str, np.ndarray]:
    """Return the model inputs as float arrays, shaped (n, 1) when `column_shape` (for draws broadcasting)."""
    arrays = {}
    for column in SYSTEM_INPUTS:
        values = frame[column].to_numpy(np.float64)
        arrays[column] = values[:, None] if column_shape else values
    return arrays
