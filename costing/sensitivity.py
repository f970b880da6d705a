"""Sensitivity: how far the estate's hidden cost moves when one parameter goes to its low or high."""

from __future__ import annotations

import pandas as pd

from costing.hidden import hidden_total
from costing.inputs import input_arrays
from costing.parameters import Parameters


def tornado(inputs: pd.DataFrame, parameters: Parameters, top: int = 10) -> pd.DataFrame:
    """Return the parameters that move the estate hidden-cost total most, one at a time, largest swing first."""
    arrays = input_arrays(inputs)
    central = parameters.point()
    base = float(hidden_total(arrays, central).sum())
    rows = []
    for name, p in parameters.values.items():
        if not p.uncertain:
            continue
        low = float(hidden_total(arrays, {**central, name: p.low}).sum())
        high = float(hidden_total(arrays, {**central, name: p.high}).sum())
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
