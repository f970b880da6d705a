"""Legacy status as a probability: what the evidence a system has says, never "unknown = modern".

A system is legacy (the CDDO definition the State of digital government review uses: end-of-life, out
of support from the supplier, impossible to update) when one of three facts holds: it is past its end of
support (stated, or derived from its technology through the lifecycle catalogue), it is built on a
scarce-skills technology, or it runs on a mainframe. Those facts decide its status when the inventory
carries them:
- observed legacy (probability 1): any of the three facts holds, or its lifecycle says end of life;
- observed modern (probability 0): none holds, its technology and platform are known, and it is either
  supported (a known end of support ahead) or SaaS (the vendor keeps it current);
- otherwise the status is **assumed**: prior odds from the published share of legacy systems
  (prior_legacy_share) times a likelihood ratio for each piece of softer evidence it has (age, hosting,
  a supported product, legacy or modern words (whole words: "Natural Resources" is not Natural/Adabas) in
its name, technology, vendor, service or description, its
  lifecycle phase, a CIO or CDDO risk rating). Each ratio is a parameter with a range.

    log-odds = logit(prior_legacy_share) + sum_k evidence_k x ln(LR_k)

Evidence columns hold how much of each piece a system has (0 or 1; decades for age), so the Monte Carlo
draws the prior share and every ratio per draw and recomputes each system's probability, then draws the
system's status itself (see costing.uncertainty): premium, hidden cost and the appraisal carry it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

OBSERVED_LEGACY = "observed_legacy"
OBSERVED_MODERN = "observed_modern"
ASSUMED = "assumed"

# evidence column -> likelihood-ratio parameter (parameters.toml); the order is the evidence matrix's
EVIDENCE = {
    "evidence_age_decades": "legacy_lr_per_decade_of_age",
    "evidence_on_premises": "legacy_lr_on_premises",
    "evidence_cloud": "legacy_lr_cloud",
    "evidence_supported": "legacy_lr_supported_product",
    "evidence_legacy_words": "legacy_lr_legacy_words",
    "evidence_modern_words": "legacy_lr_modern_words",
    "evidence_retiring": "legacy_lr_retiring",
    "evidence_new": "legacy_lr_new",
    "evidence_high_risk_rating": "legacy_lr_high_risk_rating",
    "evidence_low_risk_rating": "legacy_lr_low_risk_rating",
}
LEGACY_PARAMETERS = ("prior_legacy_share", *EVIDENCE.values())
TEXT_FIELDS = ("name", "technology", "vendor", "description", "business_service")
AGE_PIVOT_YEARS = 10.0  # age at which age is no evidence either way
AGE_DECADES = (-1.0, 3.0)  # bounds of the age evidence, in decades from the pivot


def matches(text: pd.Series, patterns: tuple[str, ...]) -> np.ndarray:
    """Return True where the text (null reads as empty) matches one of the regular expressions, case-insensitive."""
    if not patterns:
        return np.zeros(len(text), bool)
    pattern = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    # each distinct text searched once (an estate repeats its technologies and vendors)
    codes, values = pd.factorize(text.astype(object).where(text.notna(), ""))  # hashed: no fixed-width copy
    return np.array([bool(pattern.search(value)) for value in values], bool)[codes]


def _text(frame: pd.DataFrame, fields: tuple[str, ...]) -> pd.Series:
    parts = [frame[f].astype("string").fillna("") for f in fields if f in frame]
    if not parts:
        return pd.Series("", index=frame.index)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " | " + part
    return joined.astype(object)


def legacy_evidence(frame: pd.DataFrame, lists: Mapping[str, tuple[str, ...]], as_of_year: int) -> pd.DataFrame:
    """Return per system its status (observed_legacy, observed_modern or assumed) and its evidence columns.

    frame: the model frame with years_past_end_of_support, end_of_support_known, scarce_skills, mainframe,
    platform, technology, go_live_year and the text fields; lists: parameters.toml's [lists].
    """
    n = len(frame)
    lifecycle = _text(frame, ("lifecycle_status",))
    end_of_life = matches(lifecycle, tuple(lists.get("lifecycle_end_of_life", ())))
    past = frame["years_past_end_of_support"].to_numpy(np.float64) > 0
    known_eos = frame["end_of_support_known"].to_numpy(bool)
    scarce = frame["scarce_skills"].to_numpy(bool)
    mainframe = frame["mainframe"].to_numpy(bool)
    platform = frame["platform"].astype("string").fillna("").to_numpy(object)
    technology_known = frame["technology"].astype("string").fillna("").str.strip().ne("").to_numpy(bool)
    platform_known = platform != ""
    legacy = (past & known_eos) | scarce | mainframe | end_of_life
    supported = known_eos & ~past
    modern = ~legacy & technology_known & platform_known & (supported | (platform == "saas"))
    status = np.where(legacy, OBSERVED_LEGACY, np.where(modern, OBSERVED_MODERN, ASSUMED))
    text = _text(frame, TEXT_FIELDS)
    go_live = pd.to_numeric(frame["go_live_year"], errors="coerce").to_numpy(np.float64)
    age = (as_of_year - go_live - AGE_PIVOT_YEARS) / 10.0
    evidence = {
        "evidence_age_decades": np.nan_to_num(np.clip(age, *AGE_DECADES), nan=0.0),
        "evidence_on_premises": np.isin(platform, ["on_premises"]),
        "evidence_cloud": np.isin(platform, ["public_cloud", "saas", "private_cloud"]),
        "evidence_supported": supported,
        "evidence_legacy_words": matches(text, tuple(lists.get("legacy_words", ()))),
        "evidence_modern_words": matches(text, tuple(lists.get("modern_words", ()))),
        "evidence_retiring": matches(lifecycle, tuple(lists.get("lifecycle_retiring", ()))),
        "evidence_new": matches(lifecycle, tuple(lists.get("lifecycle_new", ()))),
        **_risk_ratings(frame),
    }
    result = pd.DataFrame({k: np.asarray(v, np.float64) for k, v in evidence.items()}, index=frame.index)
    result.insert(0, "legacy_status", status if n else np.array([], object))
    return result


def _risk_ratings(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return high- and low-risk rating evidence: a department's CDDO red/green, an IT Dashboard CIO rating 1-2/4-5."""
    cddo = frame["cddo_risk"].astype("string").fillna("").str.lower().to_numpy(object) if "cddo_risk" in frame else ""
    cio = pd.to_numeric(frame["cio_rating"], errors="coerce").to_numpy(np.float64) if "cio_rating" in frame else None
    cio = np.full(len(frame), np.nan) if cio is None else cio
    high = (cddo == "red") | (cio <= 2)
    low = ((cddo == "green") | (cio >= 4)) & ~high
    return {"evidence_high_risk_rating": high, "evidence_low_risk_rating": low}


def evidence_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Return the evidence columns as a systems x evidence float matrix (EVIDENCE order)."""
    return frame[list(EVIDENCE)].to_numpy(np.float64)


def log_ratios(p: Mapping[str, float | np.ndarray]) -> np.ndarray:
    """Return ln(LR) per evidence (EVIDENCE order): a vector for central values, evidence x draws for draws."""
    return np.log(np.stack([np.asarray(p[name], np.float64) for name in EVIDENCE.values()]))


def legacy_probability(status: np.ndarray, evidence: np.ndarray, p: Mapping[str, float | np.ndarray]) -> np.ndarray:
    """Return P(legacy) per system: 1 or 0 where observed, sigmoid(logit(prior share) + evidence . ln LR) where assumed.

    With central parameters the result is a vector; with draws (arrays of length D) it is systems x D.
    """
    share = np.clip(np.asarray(p["prior_legacy_share"], np.float64), 1e-6, 1 - 1e-6)
    odds = np.log(share / (1.0 - share)) + evidence @ log_ratios(p)
    probability = 1.0 / (1.0 + np.exp(-odds))
    status = np.asarray(status, object)
    shape = (-1, 1) if probability.ndim == 2 else (-1,)
    legacy = (status == OBSERVED_LEGACY).reshape(shape)
    modern = (status == OBSERVED_MODERN).reshape(shape)
    return np.where(legacy, 1.0, np.where(modern, 0.0, probability))
