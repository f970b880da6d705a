"""Imputation of missing reported costs: a scikit-learn Pipeline on log cost, with measured error and intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

CATEGORICAL = ("platform", "department", "technology")
NUMERIC = ("users", "support_fte", "criticality", "age_years", "transactions_per_year")
INTERVAL_COVERAGE = 0.8  # the P10-P90 band
MIN_TRAINING_ROWS = 30
FOLDS = 5


def cost_pipeline(random_state: int = 0, columns: tuple[str, ...] = CATEGORICAL + NUMERIC) -> Pipeline:
    """Return the imputation model: ordinal-encoded categories + log counts -> gradient boosting on log cost.

    `columns` are the features to use (those with enough known values; see `usable_features`).
    """
    categorical = [c for c in CATEGORICAL if c in columns]
    counts = [c for c in ("users", "transactions_per_year") if c in columns]
    numbers = [c for c in ("support_fte", "criticality", "age_years") if c in columns]
    encode = ColumnTransformer([
        ("categories", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                      encoded_missing_value=np.nan, max_categories=60), categorical),
        ("counts", FunctionTransformer(np.log1p, feature_names_out="one-to-one"), counts),
        ("numbers", "passthrough", numbers),
    ])  # fmt: skip
    model = HistGradientBoostingRegressor(
        categorical_features=list(range(len(categorical))), max_iter=200, learning_rate=0.08,
        min_samples_leaf=10, random_state=random_state,
    )  # fmt: skip
    return Pipeline([("encode", encode), ("model", model)])


def usable_features(features: pd.DataFrame) -> tuple[str, ...]:
    """Return the feature columns known for at least half the training rows (sparser ones cannot be binned)."""
    return tuple(c for c in features.columns if features[c].notna().mean() >= 0.5)


@dataclass
class Imputation:
    """Imputed costs for the systems that lacked one, and how well the model did on held-out rows."""

    predicted_gbp: pd.Series  # indexed like the input, for rows without a reported cost
    low_gbp: pd.Series
    high_gbp: pd.Series
    training_rows: int
    cv_mape: float  # mean absolute percentage error of out-of-fold predictions
    interval_coverage: float  # share of held-out rows inside their P10-P90 interval (target 0.8)
    method: str


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    features = pd.DataFrame(index=frame.index)
    for column in CATEGORICAL:
        features[column] = frame[column].astype(object).where(frame[column].notna(), np.nan)
    for column in NUMERIC:
        features[column] = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)
    return features


def impute_costs(frame: pd.DataFrame, reported: pd.Series, random_state: int = 0) -> Imputation:
    """Return predicted annual costs (with P10-P90 intervals) for rows whose `reported` cost is missing or zero."""
    known = reported.fillna(0) > 0
    missing = ~known
    features = _features(frame)
    y = np.log(reported[known].to_numpy(np.float64))
    columns = usable_features(features[known])
    if known.sum() < MIN_TRAINING_ROWS or not columns:
        value = float(np.exp(np.median(y))) if len(y) else 0.0
        spread = float(np.exp(np.quantile(y, 0.9) - np.median(y))) if len(y) > 1 else 1.0
        index = frame.index[missing]
        return Imputation(
            pd.Series(value, index),
            pd.Series(value / spread, index),
            pd.Series(value * spread, index),
            int(known.sum()),
            float("nan"),
            float("nan"),
            "median (too few rows to train a model)",
        )
    folds = KFold(FOLDS, shuffle=True, random_state=random_state)
    out_of_fold = cross_val_predict(cost_pipeline(random_state, columns), features[known], y, cv=folds)
    actual = np.exp(y)
    mape = float(np.mean(np.abs(np.exp(out_of_fold) - actual) / actual))
    residual = np.abs(y - out_of_fold)
    coverage = _split_conformal_coverage(residual, random_state)
    half_width = _conformal_quantile(residual)
    model = cost_pipeline(random_state, columns).fit(features[known], y)
    index = frame.index[missing]
    predicted = model.predict(features[missing]) if missing.any() else np.array([])
    return Imputation(
        pd.Series(np.exp(predicted), index),
        pd.Series(np.exp(predicted - half_width), index),
        pd.Series(np.exp(predicted + half_width), index),
        int(known.sum()),
        mape,
        coverage,
        f"gradient boosting on log cost from {', '.join(columns)}, {FOLDS}-fold cross-validated; "
        f"split-conformal {INTERVAL_COVERAGE:.0%} intervals",
    )


def _conformal_quantile(residual: np.ndarray) -> float:
    """Return the split-conformal half-width on the log scale for INTERVAL_COVERAGE."""
    n = len(residual)
    level = min(1.0, np.ceil((n + 1) * INTERVAL_COVERAGE) / n)
    return float(np.quantile(residual, level, method="higher"))


def _split_conformal_coverage(residual: np.ndarray, random_state: int) -> float:
    """Return the held-out coverage: calibrate on one half of out-of-fold residuals, test on the other, both ways."""
    order = np.random.default_rng(random_state).permutation(len(residual))
    a, b = residual[order[: len(order) // 2]], residual[order[len(order) // 2 :]]
    return float(
        (np.mean(b <= _conformal_quantile(a)) * len(b) + np.mean(a <= _conformal_quantile(b)) * len(a)) / len(residual)
    )
