"""Ranking: a transparent weighted score of normalised criteria, and how stable each rank is."""

from __future__ import annotations

import numpy as np
import pandas as pd

from costing.criteria import RANKING_CRITERIA, Criterion

__all__ = ["CRITERIA", "RANKING_CRITERIA", "Criterion", "parse_weights", "rank_systems"]


CRITERIA = {c.weight: c.column for c in RANKING_CRITERIA}  # weight parameter -> column
STABILITY_DRAWS = 500


def normalise(values: np.ndarray) -> np.ndarray:
    """Return values scaled to 0-1 by rank (ties share the mean rank), so outliers cannot dominate."""
    if len(values) <= 1:
        return np.zeros(len(values))
    ranks = pd.Series(values).rank(method="average").to_numpy()
    return (ranks - 1) / (len(values) - 1)


def criteria_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Return the normalised criteria, one column per CRITERIA entry."""
    return np.column_stack([normalise(frame[column].to_numpy(np.float64)) for column in CRITERIA.values()])


def score(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return the weighted score in 0-100 (weights are normalised to sum to 1)."""
    return 100.0 * matrix @ (weights / weights.sum())


def order(scores: np.ndarray, system_ids: np.ndarray) -> np.ndarray:
    """Return positions sorted by score descending, ties by system_id."""
    return np.lexsort((system_ids, -scores))


def rank_systems(
    frame: pd.DataFrame, weights: dict[str, float], top_n: int, perturbation: float, seed: int
) -> pd.DataFrame:
    """Return the frame with score, rank and top_n_stability, sorted by rank."""
    names = list(CRITERIA)
    base = np.array([weights[n] for n in names], dtype=np.float64)
    if base.sum() <= 0:
        raise ValueError("the ranking weights must not all be zero")
    matrix = criteria_matrix(frame)
    ids = frame["system_id"].to_numpy()
    scores = score(matrix, base)
    positions = order(scores, ids)
    rank = np.empty(len(frame), np.int64)
    rank[positions] = np.arange(1, len(frame) + 1)
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - perturbation, 1 + perturbation, (STABILITY_DRAWS, len(names)))
    perturbed = matrix @ (base * factors / (base * factors).sum(axis=1, keepdims=True)).T  # systems x draws
    top = min(top_n, len(frame))
    in_top = np.zeros(len(frame))
    if top:
        threshold = -np.partition(-perturbed, top - 1, axis=0)[top - 1]
        in_top = (perturbed >= threshold).mean(axis=1)
    result = frame.assign(score=scores, rank=rank, top_n_stability=in_top)
    return result.sort_values("rank", ignore_index=True)


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
        if weights[name] < 0:
            raise ValueError(f"weight '{key.strip()}' must not be negative")
    if sum(weights.values()) <= 0:
        raise ValueError("the weights must not all be zero")
    return weights
