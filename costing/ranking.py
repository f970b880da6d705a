"""Ranking: a transparent weighted score of normalised criteria, and how stable each rank is."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from costing.criteria import DECISION_MEASURE, RANKING_CRITERIA, REPLACEMENT_ACTIONS, Criterion

__all__ = [
    "CRITERIA", "RANKING_CRITERIA", "REPLACEMENT_ACTIONS", "Criterion", "parse_weights", "rank_systems", "separation",
]  # fmt: skip


CRITERIA = {c.weight: c.column for c in RANKING_CRITERIA}  # weight parameter -> column
STABILITY_DRAWS = 500  # weight vectors drawn for the weighted view's stability


def scaled(values: np.ndarray, scale: str, reference: np.ndarray | None = None) -> np.ndarray:
    """Return values on 0-1 keeping magnitude: min-max of log10(x + 0.001 x max) ("log") or of x ("linear").

    `reference` (default: the values themselves) fixes the min and max, so Monte Carlo draws are scaled
    like the expected values; results are clipped to 0-1. No rank-normalisation: distances survive, and
    both scales are unchanged when every value is multiplied by the same factor (money in pounds or
    thousands ranks the same). The log offset (a thousandth of the largest value) keeps zeros finite.
    """
    base = np.nan_to_num(np.asarray(values if reference is None else reference, np.float64), nan=0.0)
    if base.size == 0:
        return np.zeros(np.shape(values))
    if scale == "log":
        offset = 1e-3 * float(np.max(np.abs(base)))
        if offset <= 0:
            return np.zeros(np.shape(values))
        transform = lambda x: np.log10(np.maximum(np.nan_to_num(np.asarray(x, np.float64)), 0.0) + offset)  # noqa: E731
    else:
        transform = lambda x: np.nan_to_num(np.asarray(x, np.float64))  # noqa: E731
    low, high = float(np.min(transform(base))), float(np.max(transform(base)))
    if high <= low:
        return np.zeros(np.shape(values))
    return np.clip((transform(values) - low) / (high - low), 0.0, 1.0)


def criteria_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Return the criteria on their magnitude-preserving 0-1 scales, one column per RANKING_CRITERIA entry."""
    return np.column_stack([scaled(frame[c.column].to_numpy(np.float64), c.scale) for c in RANKING_CRITERIA])


def score(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return the weighted score in 0-100 (weights are normalised to sum to 1)."""
    return 100.0 * matrix @ (weights / weights.sum())


def order(candidate: np.ndarray, scores: np.ndarray, npv: np.ndarray, system_ids: np.ndarray) -> np.ndarray:
    """Return positions: candidates first, each group by score descending; ties by expected NPV, then system_id."""
    return np.lexsort((system_ids, -np.nan_to_num(npv, nan=-np.inf), -np.nan_to_num(scores, nan=-np.inf), ~candidate))


def top_n_share(values: np.ndarray, top_n: int) -> np.ndarray:
    """Return, per row, the share of columns (draws) in which it is strictly above the first value outside the top N.

    values: candidates x draws. A row tied with the (N+1)-th value is not counted as in the top N, so ties at
    the threshold never read as stable.
    """
    rows, _ = values.shape
    if rows <= top_n:
        return np.ones(rows)
    # the (N+1)-th largest per draw, each draw's column partitioned as one contiguous row
    threshold = -np.partition(-np.ascontiguousarray(values.T), top_n, axis=1)[:, top_n]
    return (values > threshold).mean(axis=1)


def separation(draws: np.ndarray, expected: np.ndarray, top_n: int) -> dict[str, float]:
    """Return how well the draws separate the top of a ranking: its N, the top N's stability and chance's.

    draws: candidates x draws of the decision measure; expected: its expected value per candidate. N is
    min(top_n, candidates // 2) (at least 1), so a short list is not "stable" just because every candidate
    fits in the top N. stability: the mean share of draws in which each of the N best (in expectation) is in
    the top N; chance: N / candidates, what systems the evidence cannot tell apart score.
    """
    count = len(expected)
    if count == 0:
        return {"top_n": 0, "stability": 0.0, "chance": 1.0}
    n = min(top_n, max(1, count // 2))
    best = np.argsort(-np.nan_to_num(expected, nan=-np.inf), kind="stable")[:n]
    stability = float(top_n_share(np.asarray(draws, np.float64), n)[best].mean())
    return {"top_n": n, "stability": stability, "chance": n / count}


def rank_systems(
    frame: pd.DataFrame,
    weights: dict[str, float] | None,
    top_n: int,
    perturbation: float,
    seed: int,
    decision_draws: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return the frame with candidate, score, rank and top_n_stability, sorted by rank.

    Candidates (suggested action retire, rehost, replatform, refactor or repurchase) are ranked 1..C; systems
    to retain follow, ranked among themselves, never among the candidates. Default (`weights` None): score =
    the decision measure, expected NPV per pound of capex; stability = the share of Monte Carlo draws
    (`decision_draws`, systems x draws, aligned with `frame`) in which the system is in the candidates' top N.
    With `weights`: score = weighted mean of the criteria on magnitude-preserving scales (0-100); stability
    perturbs the weights (x uniform in [1 - perturbation, 1 + perturbation]) and, draw by draw, the NPV
    criterion.
    """
    candidate = frame["suggested_action"].isin(REPLACEMENT_ACTIONS).to_numpy()
    npv = frame["npv_gbp"].to_numpy(np.float64)
    ids = frame["system_id"].to_numpy()
    if weights is None:
        scores = frame[DECISION_MEASURE].to_numpy(np.float64)
    else:
        base = np.array([weights[c.weight] for c in RANKING_CRITERIA], dtype=np.float64)
        if base.sum() <= 0:
            raise ValueError("the ranking weights must not all be zero")
        matrix = criteria_matrix(frame)
        scores = score(matrix, base)
    positions = order(candidate, scores, npv, ids)
    rank = np.empty(len(frame), np.int64)
    rank[positions] = np.arange(1, len(frame) + 1)
    stability = np.zeros(len(frame))
    if candidate.any():
        if weights is None:
            draws = decision_draws[candidate] if decision_draws is not None else scores[candidate, None]
            stability[candidate] = top_n_share(np.asarray(draws, np.float64), top_n)
        else:
            stability[candidate] = _weighted_stability(
                matrix[candidate], base, top_n, perturbation, seed,
                None if decision_draws is None else decision_draws[candidate],
                frame.loc[candidate, DECISION_MEASURE].to_numpy(np.float64),
            )  # fmt: skip
    result = frame.assign(candidate=candidate, score=scores, rank=rank, top_n_stability=stability)
    return result.sort_values("rank", ignore_index=True)


def _weighted_stability(
    matrix: np.ndarray, base: np.ndarray, top_n: int, perturbation: float, seed: int,
    npv_draws: np.ndarray | None, npv_expected: np.ndarray,
) -> np.ndarray:  # fmt: skip
    rng = np.random.default_rng(seed)
    count = STABILITY_DRAWS if npv_draws is None else npv_draws.shape[1]
    factors = rng.uniform(1 - perturbation, 1 + perturbation, (count, len(base)))
    weights = base * factors / (base * factors).sum(axis=1, keepdims=True)  # draws x criteria
    scores = matrix @ weights.T  # candidates x draws
    if npv_draws is not None:
        column = next(i for i, c in enumerate(RANKING_CRITERIA) if c.column == DECISION_MEASURE)
        criterion = RANKING_CRITERIA[column]
        drawn = scaled(npv_draws, criterion.scale, reference=npv_expected)
        scores += (drawn - matrix[:, [column]]) * weights[:, column]
    return top_n_share(scores, top_n)


def parse_weights(text: str, defaults: dict[str, float]) -> dict[str, float]:
    """Return weights from 'hidden_cost=0.5,risk=0.2' over the defaults; raise ValueError naming a bad key."""
    weights = dict(defaults)
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        name = f"weight_{key.strip()}"
        if name not in CRITERIA:
            known = ", ".join(c.removeprefix("weight_") for c in CRITERIA)
            raise ValueError(f"unknown weight '{key.strip()}': use {known}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"weight '{key.strip()}' needs a number, got '{value}'") from None
        if not math.isfinite(weights[name]) or weights[name] < 0:
            raise ValueError(f"weight '{key.strip()}' must be a finite number, not negative (got '{value.strip()}')")
    if sum(weights.values()) <= 0:
        raise ValueError("the weights must not all be zero")
    return weights
