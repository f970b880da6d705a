"""CDDO-style risk score, TIME quadrant and a suggested action from the 6 Rs, each with its rule in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

TIME_RULE = (
    "technical fit (lowered by 2 x P(legacy)) and business value on 1-5; >= 3 is high. invest: high fit, high value; "
    "tolerate: high fit, low value; migrate: low fit, high value; eliminate: low fit, low value"
)


def round_half_up(values: np.ndarray) -> np.ndarray:
    """Return values rounded to whole numbers, halves up (2.5 -> 3), not to even as numpy's rint does."""
    return np.floor(np.asarray(values, np.float64) + 0.5)


def _band(values: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Return bands 1..len(edges)+1; edges are the inclusive upper bounds of bands 1, 2, ... (unknown = 0)."""
    return 1 + np.searchsorted(np.asarray(edges), np.nan_to_num(values), side="left")


def impact_score(frame: pd.DataFrame) -> np.ndarray:
    """Impact 1-5: mean of criticality (3 if unknown) and the users band, rounded half up.

    Blast radius is not here: it is a ranking criterion, counted once there.
    """
    criticality = frame["criticality"].fillna(3).to_numpy(np.float64)
    users = _band(frame["users"].to_numpy(np.float64), (10, 100, 1000, 10000))
    return np.clip(round_half_up((criticality + users) / 2), 1, 5)


def likelihood_score(frame: pd.DataFrame) -> np.ndarray:
    """Likelihood 1-5: mean of support status, vulnerabilities, incidents and skills scarcity, rounded half up.

    Support: past its end 5, ending within a year 4, within 3 years 3, later 1; unknown 3, except SaaS
    (the vendor keeps it current) 1.
    """
    years = frame["years_past_end_of_support"].to_numpy(np.float64)
    known_eos = frame["end_of_support"].notna().to_numpy()
    support = np.where(years > 0, 5, np.where(years > -1, 4, np.where(years > -3, 3, 1)))
    saas = frame["platform"].eq("saas").to_numpy()
    support = np.where(known_eos, support, np.where(saas, 1, 3))
    vulnerabilities = _band(frame["known_vulnerabilities"].to_numpy(np.float64), (0, 2, 5, 20))
    incidents = _band(frame["incidents_per_year"].to_numpy(np.float64), (0, 12, 50, 100))
    skills = np.where(frame["scarce_skills"].to_numpy(bool), 5, 1)
    return np.clip(round_half_up((support + vulnerabilities + incidents + skills) / 4), 1, 5)


def rag(score: np.ndarray, red: float, amber: float) -> np.ndarray:
    """Return red, amber or green for each risk score."""
    return np.where(score >= red, "red", np.where(score >= amber, "amber", "green"))


def time_quadrant(frame: pd.DataFrame, likelihood: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (technical fit 1-5, business value 1-5, TIME quadrant) per system."""
    modern = np.where(
        frame["platform"].isin(["saas", "public_cloud"]).to_numpy(),
        5,
        np.where(frame["platform"].eq("private_cloud").to_numpy(), 4, 2),
    )
    # a legacy system does not fit technically, whatever its likelihood score: 2 points off at P(legacy) = 1
    legacy = frame["legacy"].to_numpy(np.float64) if "legacy" in frame else np.zeros(len(frame))
    fit = np.clip(round_half_up((6 - likelihood + modern) / 2 - 2 * legacy), 1, 5)
    criticality = frame["criticality"].fillna(3).to_numpy(np.float64)
    users = _band(frame["users"].to_numpy(np.float64), (10, 100, 1000, 10000))
    volume = _band(frame["transactions_per_year"].to_numpy(np.float64), (1000, 100_000, 1_000_000, 10_000_000))
    value = np.clip(round_half_up((2 * criticality + users + volume) / 4), 1, 5)
    quadrant = np.where(
        fit >= 3, np.where(value >= 3, "invest", "tolerate"), np.where(value >= 3, "migrate", "eliminate")
    )
    return fit, value, quadrant


def suggested_actions(
    frame: pd.DataFrame, quadrant: np.ndarray, commodity: tuple[str, ...], unsupported: np.ndarray | None = None
) -> tuple[list, list]:
    """Return (action from the 6 Rs, one-line reason) per system; the first rule that applies wins.

    `unsupported` marks systems past their extended support (or likely so, P(unsupported) >= 0.5): they are
    never retained, however well they score on technical fit.
    """
    lapsed = np.zeros(len(frame), bool) if unsupported is None else np.asarray(unsupported, bool)
    service = frame["business_service"].astype("string").fillna("")
    technology = frame["technology"].fillna("its technology").astype(str)
    rules = [
        (
            quadrant == "eliminate",
            "retire",
            pd.Series(
                "low business value and poor technical fit: switch off or absorb into another system", frame.index
            ),
        ),
        (
            np.isin(quadrant, ["invest", "tolerate"]) & ~lapsed,
            "retain",
            pd.Series("fits technically: keep it and review at contract end", frame.index),
        ),
        (
            service.str.lower().isin(commodity).to_numpy(),
            "repurchase",
            "'" + service + "' is a commodity service that SaaS products cover",
        ),
        (
            frame["scarce_skills"].to_numpy(bool),
            "refactor",
            "valuable but built on " + technology + ", whose skills are scarce: rewrite on a modern stack",
        ),
        (
            lapsed,
            "replatform",
            pd.Series("past its extended support, so no longer patched: move to a supported platform", frame.index),
        ),
        (
            (frame["years_past_end_of_support"] > 0).to_numpy(),
            "replatform",
            pd.Series("valuable but its platform is out of support: move to a supported platform", frame.index),
        ),
    ]
    conditions = [condition for condition, _, _ in rules]
    actions = np.select(conditions, [action for _, action, _ in rules], default="rehost")
    reasons = np.select(
        conditions,
        [reason.to_numpy(object) for _, _, reason in rules],
        default="valuable, code is sound, hosting is the problem: lift to cloud hosting",
    )
    return actions.tolist(), reasons.tolist()
