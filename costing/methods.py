"""Published scoring methods beside estate's own ranking: CDDO's framework, a GAO-style profile, Gartner's TIME.

- `cddo`: the CDDO Legacy IT Risk Assessment Framework (GOV.UK, "Guidance on the Legacy IT Risk Assessment
  Framework", September 2023, updated March 2025). Likelihood criteria L1-L7 are scored 1-6 and impact
  criteria C1-C6 1-5; each category's score is (mean + max) / 2; the overall score is likelihood x impact
  (at most 30); a system is legacy if any likelihood score is 3 or more, and red-rated at 16 or more. The
  department's own scores (fields cddo_l1 ... cddo_c6) are used where given; otherwise each criterion is
  derived from inventory fields by the rules in CDDO_RULES and flagged derived.
- `gao`: a points profile in the spirit of GAO-25-107795 (age, vendor support, legacy language, known
  vulnerabilities, agency-rated security risk and criticality, operating cost). GAO's own 16 attributes and
  their points are in that report's appendix; this profile is a documented reconstruction, not GAO's table.
- `time`: Gartner's TIME quadrants (migrate, eliminate, tolerate, invest, in that order of urgency), ordered
  within a quadrant by business value minus technical fit.
https://www.gov.uk/government/publications/guidance-on-the-legacy-it-risk-assessment-framework
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from costing.criteria import METHODS

LIKELIHOOD = tuple(f"cddo_l{i}" for i in range(1, 8))
IMPACT = tuple(f"cddo_c{i}" for i in range(1, 7))
CDDO_RED = 16.0
CDDO_LEGACY_LIKELIHOOD = 3
CDDO_RULES = {  # how each criterion is derived when the department gave no score (bands are upper bounds)
    "cddo_l1": "end of support: more than 3 years past 6, past 5, within a year 4, within 3 years 3, later 1; "
    "unknown: legacy 4, SaaS 1, else 2",
    "cddo_l2": "contract end: past 5, within a year 3, later 1, unknown 2",
    "cddo_l3": "scarce-skills technology 5, support FTE under 1 then 3, else 1",
    "cddo_l4": "manual workaround hours a month: 0 1, up to 10 2, 40 3, 100 4, more 5",
    "cddo_l5": "platform: mainframe 4, on premises 3, private cloud 2, public cloud or SaaS 1",
    "cddo_l6": "known vulnerabilities: 0 1, up to 2 2, 5 3, 20 4, 50 5, more 6",
    "cddo_l7": "incidents a year: 0 1, up to 12 2, 50 3, 100 4, more 5; +1 (at most 6) above 24 outage hours a year",
    "cddo_c1": "criticality 1-5",
    "cddo_c2": "users: up to 100 1, 1,000 2, 10,000 3, 100,000 4, more 5",
    "cddo_c3": "run cost: up to £100k 1, £1m 2, £5m 3, £20m 4, more 5",
    "cddo_c4": "transactions a year: up to 10,000 1, 100,000 2, 1m 3, 10m 4, more 5",
    "cddo_c5": "outage hours x users a year: up to 100 1, 1,000 2, 10,000 3, 100,000 4, more 5",
    "cddo_c6": "systems that directly depend on it: 0 1, up to 2 2, 10 3, 50 4, more 5",
}


def _band(values: pd.Series, edges: tuple[float, ...]) -> np.ndarray:
    return 1 + np.searchsorted(np.asarray(edges, float), np.nan_to_num(values.to_numpy(np.float64)), side="left")


def derived_cddo(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Return every CDDO criterion derived from inventory fields (CDDO_RULES), one column each."""
    years = frame["years_past_end_of_support"].to_numpy(np.float64)
    known = frame["end_of_support_known"].to_numpy(bool)
    legacy = frame["legacy"].to_numpy(np.float64)  # P(legacy): an unknown date scores as the expected status
    unknown = np.where(frame["platform"].eq("saas"), 1, np.floor(2.5 + 2 * legacy).astype(np.int64))
    l1 = np.where(years > 3, 6, np.where(years > 0, 5, np.where(years > -1, 4, np.where(years > -3, 3, 1))))
    ends = frame["contract_end"] if "contract_end" in frame else pd.Series(pd.NaT, frame.index)
    contract = (pd.Timestamp(as_of) - pd.to_datetime(ends)).dt.days.to_numpy(np.float64) / 365.25
    l2 = np.where(np.isnan(contract), 2, np.where(contract > 0, 5, np.where(contract > -1, 3, 1)))
    fte = frame["support_fte"].to_numpy(np.float64)
    l3 = np.where(frame["scarce_skills"].to_numpy(bool), 5, np.where((fte > 0) & (fte < 1), 3, 1))
    platform = {"mainframe": 4, "on_premises": 3, "private_cloud": 2, "public_cloud": 1, "saas": 1}
    incidents = _band(frame["incidents_per_year"], (0, 12, 50, 100))
    outage = frame["outage_hours_per_year"].to_numpy(np.float64)
    fan_out = frame["fan_out"] if "fan_out" in frame else pd.Series(0.0, frame.index)
    return pd.DataFrame({
        "cddo_l1": np.where(known, l1, unknown),
        "cddo_l2": l2,
        "cddo_l3": l3,
        "cddo_l4": _band(frame["manual_workaround_hours_per_month"], (0, 10, 40, 100)),
        "cddo_l5": frame["platform"].map(platform).fillna(3).to_numpy(),
        "cddo_l6": _band(frame["known_vulnerabilities"], (0, 2, 5, 20, 50)),
        "cddo_l7": np.minimum(incidents + (outage > 24), 6),
        "cddo_c1": np.clip(frame["criticality"].fillna(3).to_numpy(np.float64), 1, 5),
        "cddo_c2": _band(frame["users"], (100, 1_000, 10_000, 100_000)),
        "cddo_c3": _band(frame["run_cost_gbp"], (100_000, 1_000_000, 5_000_000, 20_000_000)),
        "cddo_c4": _band(frame["transactions_per_year"], (10_000, 100_000, 1_000_000, 10_000_000)),
        "cddo_c5": _band(frame["outage_hours_per_year"] * frame["users"], (100, 1_000, 10_000, 100_000)),
        "cddo_c6": _band(fan_out, (0, 2, 10, 50)),
    }, index=frame.index).astype(np.float64)  # fmt: skip


def category_score(scores: np.ndarray) -> np.ndarray:
    """Return a CDDO category score from criterion scores (rows = systems): (mean + max) / 2."""
    return (scores.mean(axis=1) + scores.max(axis=1)) / 2


def cddo_assessment(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Return per system the CDDO likelihood, impact, score (likelihood x impact, at most 30), red, legacy and how
    many of its 13 criterion scores were derived rather than the department's own."""
    derived = derived_cddo(frame, as_of)
    own = pd.DataFrame(index=frame.index)
    valid = []
    for column in (*LIKELIHOOD, *IMPACT):
        top = 6 if column in LIKELIHOOD else 5
        given = pd.to_numeric(frame[column], errors="coerce") if column in frame else pd.Series(np.nan, frame.index)
        ok = given.astype("float64").between(1, top)  # an out-of-range own score is not used (counted derived)
        own[column] = given.where(ok, derived[column])
        valid.append(ok.to_numpy())
    likelihood = category_score(own[list(LIKELIHOOD)].to_numpy(np.float64))
    impact = category_score(own[list(IMPACT)].to_numpy(np.float64))
    score = likelihood * impact
    return pd.DataFrame({
        "cddo_likelihood": likelihood,
        "cddo_impact": impact,
        "cddo_score": score,
        "cddo_red": score >= CDDO_RED,
        "cddo_legacy": (own[list(LIKELIHOOD)].to_numpy() >= CDDO_LEGACY_LIKELIHOOD).any(axis=1),
        "cddo_derived_criteria": (~np.column_stack(valid)).sum(axis=1),
    }, index=frame.index)  # fmt: skip


GAO_RULES = (
    "age (years since go-live): 40+ 3, 20+ 2, 10+ 1",
    "vendor support: more than the extended-support years past its end 3, past its end 2",
    "legacy language or platform: scarce-skills technology 2, mainframe 1",
    "known vulnerabilities: 20+ 3, 5+ 2, 1+ 1",
    "agency-rated security risk (cddo_risk): red 2, amber 1",
    "criticality: 5 3, 4 2, 3 1",
    "operating cost a year: £20m+ 3, £5m+ 2, £1m+ 1",
)


def gao_points(frame: pd.DataFrame, esu_years: float | np.ndarray = 3.0) -> np.ndarray:
    """Return each system's points on the GAO-style profile (GAO_RULES; a reconstruction, not GAO's table)."""
    age = frame["age_years"].to_numpy(np.float64)
    years = frame["years_past_end_of_support"].to_numpy(np.float64)
    vulnerabilities = frame["known_vulnerabilities"].to_numpy(np.float64)
    criticality = frame["criticality"].fillna(0).to_numpy(np.float64)
    cost = frame["run_cost_gbp"].to_numpy(np.float64)
    risk = frame["cddo_risk"].map({"red": 2, "amber": 1}).fillna(0).to_numpy(np.float64)
    points = (
        np.select([age >= 40, age >= 20, age >= 10], [3, 2, 1], 0)
        + np.select([years > esu_years, years > 0], [3, 2], 0)
        + np.where(frame["scarce_skills"].to_numpy(bool), 2, np.where(frame["mainframe"].to_numpy(bool), 1, 0))
        + np.select([vulnerabilities >= 20, vulnerabilities >= 5, vulnerabilities >= 1], [3, 2, 1], 0)
        + risk
        + np.select([criticality >= 5, criticality >= 4, criticality >= 3], [3, 2, 1], 0)
        + np.select([cost >= 20e6, cost >= 5e6, cost >= 1e6], [3, 2, 1], 0)
    )
    return points.astype(np.float64)


TIME_ORDER = {"migrate": 3, "eliminate": 2, "tolerate": 1, "invest": 0}


def method_scores(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return, per method, a score where higher means replace sooner (estate: its decision measure)."""
    time = frame["time_quadrant"].map(TIME_ORDER).to_numpy(np.float64) * 10 + (
        frame["business_value"].to_numpy(np.float64) - frame["technical_fit"].to_numpy(np.float64)
    )
    return {
        "estate": frame["npv_per_capex"].to_numpy(np.float64),
        "cddo": frame["cddo_score"].to_numpy(np.float64),
        "gao": frame["gao_points"].to_numpy(np.float64),
        "time": time,
    }


def method_rank(scores: np.ndarray, npv: np.ndarray, system_ids: np.ndarray) -> np.ndarray:
    """Return ranks 1..n by score descending; ties by expected NPV, then system_id (the stated rule)."""
    order = np.lexsort((system_ids, -np.nan_to_num(npv, nan=-np.inf), -np.nan_to_num(scores, nan=-np.inf)))
    rank = np.empty(len(scores), np.int64)
    rank[order] = np.arange(1, len(scores) + 1)
    return rank


def agreement(frame: pd.DataFrame, top_n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (pairwise agreement, disagreements) between the methods over the replacement candidates.

    agreement: method_a, method_b, kendall_tau, top_n_overlap (share of the top N in common), candidates.
    disagreements: the 10 candidates whose rank differs most between estate and another method, with why.
    """
    candidates = frame[frame["candidate"]]
    columns = ["method_a", "method_b", "kendall_tau", "top_n_overlap", "candidates"]
    if len(candidates) < 2:
        return pd.DataFrame(columns=columns), pd.DataFrame(columns=["system_id", "method", "estate_rank",
                                                                    "method_rank", "reason"])  # fmt: skip
    ids = candidates["system_id"].to_numpy()
    npv = candidates["npv_gbp"].to_numpy(np.float64)
    ranks = {name: method_rank(values, npv, ids) for name, values in method_scores(candidates).items()}
    rows = []
    top = min(top_n, len(candidates))
    for i, a in enumerate(METHODS):
        for b in METHODS[i + 1 :]:
            tau = kendalltau(ranks[a], ranks[b]).statistic
            overlap = len(set(ids[ranks[a] <= top]) & set(ids[ranks[b] <= top])) / top
            rows.append({"method_a": a, "method_b": b, "kendall_tau": float(tau), "top_n_overlap": overlap,
                         "candidates": len(candidates)})  # fmt: skip
    apart = []
    for method in METHODS[1:]:
        gap = np.abs(ranks["estate"] - ranks[method])
        for position in np.argsort(-gap, kind="stable")[:10]:
            row = candidates.iloc[position]
            apart.append({
                "system_id": row["system_id"], "method": method, "estate_rank": int(ranks["estate"][position]),
                "method_rank": int(ranks[method][position]), "gap": int(gap[position]),
                "reason": _reason(row, method),
            })  # fmt: skip
    disagreements = pd.DataFrame(apart).sort_values(["gap", "system_id", "method"], ascending=[False, True, True])
    return pd.DataFrame(rows, columns=columns), disagreements.head(10).drop(columns="gap").reset_index(drop=True)


def _reason(row: pd.Series, method: str) -> str:
    economics = f"expected NPV per £ of capex {row['npv_per_capex']:.2f}"
    if method == "cddo":
        return f"CDDO score {row['cddo_score']:.1f}{' (red)' if row['cddo_red'] else ''} against {economics}"
    if method == "gao":
        return f"GAO-style points {row['gao_points']:.0f} against {economics}"
    quadrant = f"TIME {row['time_quadrant']} (value {row['business_value']:.0f}, fit {row['technical_fit']:.0f})"
    return f"{quadrant} against {economics}"
