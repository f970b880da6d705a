"""The options appraised for each system, from the cost components: business as usual year by year, and acting.

costing.hidden says what a system's legacy costs now; costing.appraisal appraises acting on it over one
period. This module joins them: the business-as-usual path from the components' values, and the
central-case appraisal (inputs and parameters at their expected values) that the workbook, the value of
a missing fact and the checks use.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from costing.appraisal import BusinessAsUsual, ExtendedSupport, Flows, appraise, capex_and_duration
from costing.hidden import (
    AGEING,
    HIDDEN_COMPONENTS,
    PREMIUM_COMPONENTS,
    extended_support_terms,
    hidden_components,
)
from costing.inputs import input_arrays

Inputs = Mapping[str, np.ndarray]
Params = Mapping[str, float | np.ndarray]


def business_as_usual(s: Inputs, p: Params, values: Mapping[str, np.ndarray]) -> BusinessAsUsual:
    """Return business as usual year by year (costing.appraisal) from the components' values now.

    Extended support is the component re-evaluated t years on; the risks' lapsed values are the risk
    components with support lapsed (known end of support, past the extended-support years).
    """
    years = s["years_past_end_of_support"]
    known = s["end_of_support_known"] > 0
    # the lines extended support is charged on, the years of it the vendor sells, whether the vendor is Microsoft
    lines, window, microsoft = extended_support_terms(s, p)
    lapsed = {**s, "years_past_end_of_support": np.maximum(years, 0.0) + window + 1.0,
              "end_of_support_known": np.ones_like(s["end_of_support_known"])}  # fmt: skip
    risks = [c for c in HIDDEN_COMPONENTS if c.kind == "risk"]
    premium = sum(values[c.column] for c in PREMIUM_COMPONENTS)
    return BusinessAsUsual(
        run=s["run_cost_gbp"],
        premium=premium,
        extended_support=ExtendedSupport(values["extended_support_gbp"], lines, window, microsoft, years),
        ageing=sum(values[name] for name in AGEING),
        steady=sum(values[c.column] for c in HIDDEN_COMPONENTS if c.kind != "risk"),
        risk=sum(values[c.column] for c in risks),
        risk_lapsed=sum(c.function(lapsed, p) for c in risks),
        lapses=np.where(known, np.maximum(np.floor(window - years) + 1.0, 0.0), np.inf),
    )  # fmt: skip


def action_inputs(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (estimate, years, mitigation, retire) per system from the model frame, shaped (systems,)."""
    estimate = pd.to_numeric(frame["replacement_cost_estimate_gbp"], errors="coerce").to_numpy(np.float64)
    years = pd.to_numeric(frame["replacement_years"], errors="coerce").to_numpy(np.float64)
    mitigation = frame["optimism_bias_mitigation"].to_numpy(np.float64)
    retire = frame["retire"].to_numpy(np.float64) if "retire" in frame else np.zeros(len(frame))
    return estimate, years, mitigation, retire


def central_flows(frame: pd.DataFrame, p: Mapping[str, float]) -> Flows:
    """Return acting now at central parameters with the frame's inputs (no outturn spread)."""
    s = input_arrays(frame)
    estimate, years, mitigation, retire = action_inputs(frame)
    capex, duration, base = capex_and_duration(
        s["run_cost_gbp"], estimate, years, p["prior_run_cost"], p, mitigation, retire
    )
    bau = business_as_usual(s, p, hidden_components(s, p))
    return appraise(bau, capex, base, duration, retire, p, delays=(0,))[0]
