"""Sensitivity: how far the estate's hidden cost moves when one parameter goes to its low or high."""

from __future__ import annotations

import pandas as pd

from costing.hidden import hidden_total
from costing.inputs import input_arrays
from costing.parameters import Parameters


def tornado(inputs: pd.DataFrame, parameters: Parameters, top: int = 10, centre: float | None = None) -> pd.DataFrame:
    """Return the parameters that move the estate hidden-cost total most, one at a time, largest swing first.

    Each swing is computed at central values (one parameter at its low or high, the others central). With
    `centre` (the headline: the Monte Carlo's expected hidden cost) the bars are centred on it, each the
    headline plus that swing, so the chart and the headline state one figure.
    """
    arrays = input_arrays(inputs)
    central = parameters.point()
    at_central = float(hidden_total(arrays, central).sum())
    base = at_central if centre is None else float(centre)
    shift = base - at_central
    rows = []
    for name, p in parameters.values.items():
        if not p.uncertain:
            continue
        low = float(hidden_total(arrays, {**central, name: p.low}).sum()) + shift
        high = float(hidden_total(arrays, {**central, name: p.high}).sum()) + shift
        rows.append(
            {
                "parameter": name,
                "unit": p.unit,
                "low": p.low,
                "high": p.high,
                "estate_at_low_gbp": low,
                "estate_at_high_gbp": high,
                "swing_gbp": abs(high - low),
                "central_gbp": base,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "parameter",
            "unit",
            "low",
            "high",
            "estate_at_low_gbp",
            "estate_at_high_gbp",
            "swing_gbp",
            "central_gbp",
        ],
    )
    frame = frame[frame["swing_gbp"] > 0].sort_values(["swing_gbp", "parameter"], ascending=[False, True])
    return frame.head(top).reset_index(drop=True)
