"""Calibration, shown not assumed: the estate's own figures beside the published anchors they should resemble."""

from __future__ import annotations

import numpy as np
import pandas as pd

SDGR = (
    "DSIT, State of digital government review (January 2025): 28% of central government systems are legacy; "
    "legacy costs 3-4 times as much to keep up as modern equivalents. "
    "https://www.gov.uk/government/publications/state-of-digital-government-review"
)
PAC = (
    "Committee of Public Accounts (2025), as cited in the estate brief: legacy is about a third of the estate "
    "but about half of its cost (not checked against the report here)"
)
SPEND_2019 = (
    "Cabinet Office figures for 2019 as cited by the NAO: about £2.3bn of £4.7bn of annual IT spend went on running "
    "and maintaining legacy systems (49%). https://www.nao.org.uk/reports/the-challenges-in-implementing-digital-change/"
)
COLUMNS = ("anchor", "source", "published", "estate", "unit")


def calibration(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the estate-level results beside the published anchors (one row per anchor).

    frame: the assessed systems with legacy, run_cost_gbp, legacy_premium_gbp, hidden_cost_gbp, breach_probability.
    """
    legacy = frame["legacy_probability"].to_numpy(np.float64)  # expected status: shares are expectations
    run = frame["run_cost_gbp"].to_numpy(np.float64)
    premium = frame["legacy_premium_gbp"].to_numpy(np.float64)
    hidden = frame["hidden_cost_gbp"].to_numpy(np.float64)
    share = lambda part, whole: float(part / whole) if whole > 0 else float("nan")  # noqa: E731
    rows = [
        ("legacy share of systems", SDGR, 0.28, share(legacy.sum(), len(legacy)), "share"),
        ("legacy share of run cost", PAC, 0.5, share((run * legacy).sum(), run.sum()), "share"),
        ("share of IT spend keeping legacy running", SPEND_2019, 2.3 / 4.7, share((run * legacy).sum(), run.sum()),
         "share"),
        (
            "legacy upkeep against a modern equivalent (run cost + hidden cost, over run cost less legacy premium)",
            SDGR, 3.5, share(((run + hidden) * legacy).sum(), ((run - premium) * legacy).sum()), "multiple",
        ),
        (
            "implied breaches a year (sum of systems' annual breach probabilities): sanity figure, no published anchor",
            "DSIT Cyber Security Breaches Survey 2024 (organisation-level rates; see breach_base_probability)",
            float("nan"), float(frame["breach_probability"].sum()), "breaches/year",
        ),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS))
