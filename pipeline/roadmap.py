"""`estate plan`: the stored analysis's replacement candidates scheduled under a budget and a capacity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from costing.plan import Plan, plan_replacements
from estate.cleaning import financial_year
from pipeline.results import ResultSource, as_source
from pipeline.settings import load_parameters

FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def parse_financial_year(text: str) -> int:
    """Return the calendar year a financial year like 2027-28 starts in; raise ValueError naming the problem."""
    match = FINANCIAL_YEAR.match(text.strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"'{text}' is not a financial year like 2027-28")
    return int(match.group(1))


def parse_budget(text: str, years: int) -> np.ndarray:
    """Return the yearly budget (GBP): one amount for every year, or one per year separated by commas."""
    try:
        amounts = [float(part.replace("£", "").replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"--budget must be an amount in pounds, or one per year separated by commas: '{text}'"
        ) from None
    if not amounts or any(a < 0 or not np.isfinite(a) for a in amounts):
        raise ValueError("--budget amounts must be 0 or more")
    if len(amounts) == 1:
        return np.full(years, amounts[0])
    if len(amounts) != years:
        raise ValueError(f"--budget gives {len(amounts)} yearly amounts for a {years}-year plan")
    return np.array(amounts)


@dataclass
class Roadmap:
    """A plan with the financial years it spans."""

    plan: Plan
    start: int  # the calendar year the first financial year starts in
    budget: np.ndarray
    capacity: int
    waves: dict[str, int]

    def as_json(self) -> dict:
        """Return the contract of `estate plan --format json`."""
        schedule = []
        for row in self.plan.schedule.itertuples():
            schedule.append({
                "system_id": row.system_id,
                "wave": self.waves.get(row.system_id),
                "start_year": financial_year(self.start, row.start),
                "end_year": financial_year(self.start, row.start + row.years - 1),
                "capex_by_year": {financial_year(self.start, row.start + k): row.capex_per_year_gbp
                                  for k in range(row.years)},
                "npv_gbp": row.npv_gbp,
            })  # fmt: skip
        return {
            "plan": schedule,
            "budget_gbp": {financial_year(self.start, k): float(b) for k, b in enumerate(self.budget)},
            "capacity": self.capacity,
            "value_gbp": self.plan.value_gbp,
            "greedy_value_gbp": self.plan.greedy_value_gbp,
            "gap": self.plan.gap,
            "status": self.plan.status,
            "spend_by_year": {financial_year(self.start, k): float(v) for k, v in enumerate(self.plan.spend_by_year)},
            "left_out": self.plan.left_out.to_dict("records"),
        }


def plan_from_store(
    where: ResultSource | Path, budget: np.ndarray, capacity: int, start: int, time_limit: float = 50.0
) -> Roadmap:
    """Return the roadmap of the stored analysis's replacement candidates (raise NotAnalysed before analyse)."""
    source = as_source(where)
    stored = source.read(("system_assessment", "system_metrics", "parameters_used"))
    with source.inputs() as connection:
        interfaces = connection.sql("SELECT source_system_id, target_system_id FROM interfaces").df()
    assessment = stored.assessment
    candidates = assessment[assessment["candidate"]].merge(
        stored["system_metrics"][["system_id", "cluster_id"]], on="system_id", how="left"
    )
    frame = pd.DataFrame({
        "system_id": candidates["system_id"],
        "npv_gbp": candidates["npv_gbp"],
        "capex_gbp": candidates["replacement_capex_gbp"],
        "duration_years": candidates["replacement_duration_years"],
        "cluster": candidates["cluster_id"].astype("Int64").astype(str).where(candidates["cluster_id"].notna(),
                                                                               candidates["system_id"]),
        "rank": candidates["rank"],
    })  # fmt: skip
    used = dict(zip(stored["parameters_used"]["name"], stored["parameters_used"]["value"], strict=True))
    # analyses before the interim-interface cost was a parameter: today's default
    interim = used.get("interim_interface_cost", load_parameters()["interim_interface_cost"])
    plan = plan_replacements(frame, interfaces, budget, capacity, float(used["discount_rate"]), time_limit,
                             float(interim))  # fmt: skip
    waves = dict(zip(assessment["system_id"], assessment["wave"].astype(int), strict=True))
    return Roadmap(plan, start, budget, capacity, waves)
