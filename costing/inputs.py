"""Model inputs: one row per system joining attributes, reported costs and graph metrics."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from costing.legacy import ASSUMED, evidence_matrix, legacy_evidence, legacy_probability, matches

# Numeric inputs the components read. Never NaN: an unknown input with a prior (PRIORS) holds the prior's
# mean and is flagged `<input>_assumed`; cost lines a system does not report are 0 (the component then
# uses a share of the unreported run cost); an unknown end of support is 0 years past it with
# end_of_support_known = 0; criticality_score is the criticality 1-5, 3 when unknown;
# optimism_bias_mitigation the share (0-1) of the optimism-bias upper bounds a business case records
# as mitigated, 0 when none is recorded; esu_microsoft is 1 where the stack is a Microsoft product
# (its extended support follows Microsoft's Extended Security Updates), else 0.
SYSTEM_INPUTS = (
    "years_past_end_of_support", "end_of_support_known", "licence_cost_gbp", "staff_cost_gbp", "hosting_cost_gbp",
    "run_cost_gbp", "support_fte", "scarce_skills", "manual_workaround_hours_per_month", "manual_interfaces",
    "known_vulnerabilities", "outage_hours_per_year", "users", "mainframe", "on_premises", "legacy",
    "blocked_dependents", "criticality_score", "optimism_bias_mitigation", "esu_microsoft",
)  # fmt: skip
# Inputs an inventory often lacks -> (prior parameter for legacy systems, for modern systems): unknown is not zero.
PRIORS = {
    "users": ("prior_users_legacy", "prior_users_modern"),
    "outage_hours_per_year": ("prior_outage_hours_legacy", "prior_outage_hours_modern"),
    "known_vulnerabilities": ("prior_vulnerabilities_legacy", "prior_vulnerabilities_modern"),
    "manual_workaround_hours_per_month": ("prior_workaround_hours_legacy", "prior_workaround_hours_modern"),
}
# Priors stated for a system of prior_scale_run_cost, scaled with its run cost (magnitude matters).
SCALED_PRIORS = ("users", "manual_workaround_hours_per_month")


def latest_reported_costs(costs: pd.DataFrame) -> pd.DataFrame:
    """Return each system's cost lines for its latest financial year, summed by category (wide, GBP)."""
    if costs.empty:
        return pd.DataFrame(columns=["system_id", "financial_year", "reported_cost_gbp"]).set_index("system_id")
    latest = costs.groupby("system_id")["financial_year"].transform("max")
    lines = costs[costs["financial_year"] == latest].fillna({"category": "other"})  # never drop a line
    wide = lines.pivot_table(index="system_id", columns="category", values="amount_gbp", aggfunc="sum", fill_value=0.0)
    wide.columns = [f"{c}_cost_gbp" for c in wide.columns]
    wide["reported_cost_gbp"] = wide.sum(axis=1)
    wide["financial_year"] = lines.groupby("system_id")["financial_year"].first()
    return wide


def scarce_skills_mask(technology: pd.Series, patterns: tuple[str, ...]) -> np.ndarray:
    """Return True where the technology matches one of the scarce-skills patterns."""
    return matches(technology, patterns)


def blocked_dependents(interfaces: pd.DataFrame, system_ids: pd.Series, legacy: np.ndarray) -> np.ndarray:
    """Return, per system, its direct dependents shared among their legacy providers (sum of 1 / legacy providers).

    A dependent is a system in the inventory that an interface from this system feeds (source -> target:
    the target depends on the source). A dependent fed by k legacy systems counts 1/k for each, so the
    estate total is the number of systems that depend on any legacy system: linear in estate size.
    `legacy` may be a probability: a dependent then counts 1 / max(1, expected legacy providers) for each
    provider, and the blocking cost (legacy status x this) charges it at most once in expectation.
    """
    index = pd.Index(system_ids)
    source = index.get_indexer(interfaces["source_system_id"])
    target = index.get_indexer(interfaces["target_system_id"])
    keep = (source >= 0) & (target >= 0) & (source != target)
    pairs = np.unique(np.stack([source[keep], target[keep]], axis=1), axis=0) if keep.any() else np.empty((0, 2), int)
    weight = np.asarray(legacy, np.float64)
    pairs = pairs[weight[pairs[:, 0]] > 0] if len(pairs) else pairs
    result = np.zeros(len(index))
    if len(pairs):
        providers = np.bincount(pairs[:, 1], weights=weight[pairs[:, 0]], minlength=len(index))
        np.add.at(result, pairs[:, 0], 1.0 / np.maximum(providers[pairs[:, 1]], 1.0))
    return result


def build_inputs(
    systems: pd.DataFrame,
    costs: pd.DataFrame,
    interfaces: pd.DataFrame,
    metrics: pd.DataFrame,
    scarce_patterns: tuple[str, ...],
    as_of: date,
    prior_means: dict[str, float] | None = None,
    *,
    lists: dict[str, tuple[str, ...]],
    central: dict[str, float],
) -> pd.DataFrame:
    """Return one row per system with every model input (numeric, NaN-free), assumed flags and descriptive columns.

    `prior_means` (prior parameter -> mean) fills unknown PRIORS inputs; they are flagged `<input>_assumed`.
    `legacy` is the probability that the system is legacy (costing.legacy) at the `central` parameter values,
    with `legacy_status` (observed_legacy, observed_modern or assumed) and the evidence columns beside it.
    Run cost is left as reported (NaN where no cost lines): imputation fills it.
    """
    frame = systems.sort_values("system_id", ignore_index=True)
    reported = latest_reported_costs(costs).reindex(frame["system_id"])
    frame["reported_cost_gbp"] = reported["reported_cost_gbp"].to_numpy()
    lines = {"licence_cost_gbp": ("licence", "support_contract"), "staff_cost_gbp": ("staff",),
             "hosting_cost_gbp": ("hosting",)}  # fmt: skip
    for column, categories in lines.items():
        present = [f"{c}_cost_gbp" for c in categories if f"{c}_cost_gbp" in reported]
        frame[column] = reported[present].sum(axis=1, min_count=1).to_numpy() if present else 0.0
    frame["cost_financial_year"] = reported["financial_year"].to_numpy()
    metric_columns = ["blast_radius", "fan_out", "manual_interfaces", "wave", "cluster_size", "upstream_dependencies"]
    frame = frame.merge(metrics[["system_id", *metric_columns]], on="system_id", how="left")
    eos = pd.to_datetime(frame["end_of_support"])
    frame["end_of_support_known"] = eos.notna().to_numpy()
    frame["years_past_end_of_support"] = ((pd.Timestamp(as_of) - eos).dt.days / 365.25).fillna(0.0).to_numpy()
    technology = _stack_text(frame)
    frame["scarce_skills"] = scarce_skills_mask(technology, scarce_patterns)
    frame["esu_microsoft"] = matches(technology, lists.get("esu_microsoft", ()))  # Microsoft's ESU terms apply
    runtime = frame["runtime_platform"] if "runtime_platform" in frame else pd.Series(None, index=frame.index)
    on_mainframe = matches(runtime, MAINFRAME_PATTERNS)
    frame["mainframe"] = frame["platform"].eq("mainframe").to_numpy() | on_mainframe
    frame["on_premises"] = frame["platform"].eq("on_premises").to_numpy() & ~frame["mainframe"].to_numpy(bool)
    evidence = legacy_evidence(frame.assign(technology=technology), lists, as_of.year)
    for column in evidence.columns:
        frame[column] = evidence[column].to_numpy()
    frame["legacy_assumed"] = frame["legacy_status"].eq(ASSUMED).to_numpy()
    frame["legacy"] = legacy_probability(frame["legacy_status"].to_numpy(object), evidence_matrix(frame), central)
    frame["blocked_dependents"] = blocked_dependents(interfaces, frame["system_id"], frame["legacy"].to_numpy())
    frame["age_years"] = as_of.year - frame["go_live_year"]
    frame["criticality_score"] = pd.to_numeric(frame["criticality"], errors="coerce").fillna(3.0)
    mitigation = frame.get("optimism_bias_mitigation", 0.0)
    frame["optimism_bias_mitigation"] = pd.to_numeric(pd.Series(mitigation, index=frame.index), errors="coerce").clip(
        0, 1
    )
    for column in PRIORS:
        values = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)  # nullable ints hold no prior
        frame[f"{column}_assumed"] = values.isna().to_numpy()
        frame[column] = values
    if prior_means:
        fill_priors(frame, prior_means, central)
    for column in SYSTEM_INPUTS:
        if column == "run_cost_gbp":
            continue
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0.0).astype(np.float64)
    return frame


# the runtime-platform texts that put a system on a mainframe (ServiceNow's Platform 'IBM z/OS', say)
MAINFRAME_PATTERNS = (r"\bz/?os\b", r"\bmvs\b", r"os/390", r"\bibm z\b", r"z/?vse", r"mainframe", r"\bvme\b")


def _stack_text(frame: pd.DataFrame) -> pd.Series:
    """Return each system's technology and runtime platform as one text (both are read for scarce skills)."""
    technology = frame["technology"].astype("string")
    if "runtime_platform" not in frame:
        return technology
    runtime = frame["runtime_platform"].astype("string")
    both = (technology.fillna("") + "; " + runtime.fillna("")).str.strip("; ")
    return both.where(technology.notna() | runtime.notna())


def prior_scale(frame: pd.DataFrame, central: dict[str, float]) -> np.ndarray:
    """Return how many reference systems each system's run cost makes it (run cost / prior_scale_run_cost).

    SCALED_PRIORS inputs are assumed in proportion: a £40m investment is not assumed to have a £400k
    system's users. Before imputation (run cost unknown) the scale is 1.
    """
    if "run_cost_gbp" not in frame or "prior_scale_run_cost" not in central:
        return np.ones(len(frame))
    run = pd.to_numeric(frame["run_cost_gbp"], errors="coerce").to_numpy(np.float64)
    return np.nan_to_num(run / central["prior_scale_run_cost"], nan=1.0)


def fill_priors(frame: pd.DataFrame, prior_means: dict[str, float], central: dict[str, float]) -> None:
    """Fill each assumed PRIORS input with its prior's mean, mixed by P(legacy); scaled ones times prior_scale."""
    legacy = frame["legacy"].to_numpy(np.float64)
    scale = prior_scale(frame, central)
    for column, (legacy_prior, modern_prior) in PRIORS.items():
        prior = legacy * prior_means[legacy_prior] + (1.0 - legacy) * prior_means[modern_prior]
        if column in SCALED_PRIORS:
            prior = prior * scale
        assumed = frame[f"{column}_assumed"].to_numpy(bool)
        frame[column] = np.where(assumed, prior, pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64))


def input_arrays(frame: pd.DataFrame, column_shape: bool = False) -> dict[str, np.ndarray]:
    """Return the model inputs as float arrays, shaped (n, 1) when `column_shape` (for draws broadcasting)."""
    arrays = {}
    for column in SYSTEM_INPUTS:
        values = frame[column].to_numpy(np.float64)
        arrays[column] = values[:, None] if column_shape else values
    return arrays


COVERAGE_INPUTS = ("run_cost_gbp", "end_of_support", "legacy_status", *PRIORS)


def input_coverage(frame: pd.DataFrame) -> pd.DataFrame:
    """Return, per model input an inventory may lack, the share of systems (and of reported cost) where it was observed.

    frame: the model's per-system frame (after imputation), with `cost_basis` and the `<input>_assumed` flags.
    """
    reported = frame["reported_cost_gbp"].fillna(0.0).to_numpy(np.float64)
    total = reported.sum()
    rows = []
    for name in COVERAGE_INPUTS:
        if name == "run_cost_gbp":
            observed = frame["cost_basis"].eq("observed").to_numpy()
        elif name == "end_of_support":
            observed = frame["end_of_support_known"].to_numpy(bool)
        elif name == "legacy_status":  # settled by the system's own facts, not the prior and soft evidence
            observed = ~frame["legacy_assumed"].to_numpy(bool)
        else:
            observed = ~frame[f"{name}_assumed"].to_numpy(bool)
        rows.append({
            "input": name,
            "systems_observed": int(observed.sum()),
            "share_of_systems": float(observed.mean()) if len(observed) else 0.0,
            "share_of_reported_cost": float(reported[observed].sum() / total) if total > 0 else 0.0,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["input", "systems_observed", "share_of_systems", "share_of_reported_cost"])
