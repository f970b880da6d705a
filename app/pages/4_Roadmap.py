"""Roadmap: the replacement candidates scheduled under a budget and a capacity, two plans side by side."""

import altair as alt
import pandas as pd
import streamlit as st

from app import ui
from estate.cleaning import financial_year
from reporting.views import roadmap_defaults

ui.page(
    "Roadmap",
    "Which replacements to start in which financial year, maximising expected NPV under a yearly capital budget "
    "and a delivery capacity; coupled clusters move together and no consumer starts before its providers.",
)
data = ui.estate()
defaults = roadmap_defaults(data)
first_year, default_budget = defaults["first_year"], defaults["budget"]


def plan_ui(column, key: str, budget: float, capacity: int) -> tuple[float, int, int]:
    """Read one plan's budget, capacity and horizon."""
    budget_m = column.number_input("Capital budget a year (£m)", 0.0, value=round(budget / 1e6, 1), step=1.0,
                                   key=f"{key}_budget")  # fmt: skip
    capacity = column.number_input("Replacements at once", 1, 1000, capacity, key=f"{key}_capacity")
    years = column.number_input("Years", 1, 30, 10, key=f"{key}_years")
    return budget_m * 1e6, int(capacity), int(years)


def draw_plan(column, result: dict, title: str) -> None:
    """Show one plan: its value against the greedy plan, a Gantt chart by financial year, spend and what is left out."""
    column.subheader(title)
    column.metric("Expected value of the plan", ui.gbp_m(result["value_gbp"]),
                  help=f"Greedy plan following the ranking: {ui.gbp_m(result['greedy_value_gbp'])}; "
                       f"{result['status']}, gap {result['gap']:.2%}.")  # fmt: skip
    rows = pd.DataFrame(result["plan"])
    if rows.empty:
        column.info("No replacement fits this budget and capacity with a positive expected NPV (see what is left out).")
    else:
        rows["start"] = rows["start_year"].str[:4].astype(int)
        rows["end"] = rows["end_year"].str[:4].astype(int) + 1
        chart = alt.Chart(rows).mark_bar().encode(
            y=alt.Y("system_id:N", sort=alt.EncodingSortField("start"), title="System"),
            x=alt.X("start:Q", title="Financial year (starting April)", axis=alt.Axis(format="d"),
                    scale=alt.Scale(zero=False)),
            x2="end:Q",
            tooltip=["system_id", "start_year", "end_year", alt.Tooltip("npv_gbp:Q", format=",.0f")],
        )  # fmt: skip
        with column:
            ui.chart(chart, f"{title}: replacements by financial year",
                     "Gantt chart: one bar per replacement from its first to its last build year.")  # fmt: skip
        spend = pd.DataFrame({"year": list(result["spend_by_year"]),
                              "spend_m": [v / 1e6 for v in result["spend_by_year"].values()],
                              "budget_m": [v / 1e6 for v in result["budget_gbp"].values()]})  # fmt: skip
        column.dataframe(spend, hide_index=True, column_config={
            "year": "Financial year", "spend_m": st.column_config.NumberColumn("Capex (£m)", format="£%.1fm"),
            "budget_m": st.column_config.NumberColumn("Budget (£m)", format="£%.1fm")})  # fmt: skip
    left = pd.DataFrame(result["left_out"])
    if not left.empty:
        column.caption(f"Left out: {len(left):,} candidate(s)")
        column.dataframe(left.groupby("reason").size().rename("systems").reset_index(), hide_index=True)


@st.cache_data(show_spinner="Optimising the plan…", max_entries=16)
def plan(key: tuple, budget: float, capacity: int, years: int) -> dict:
    del key  # the database fingerprint: recomputed when it changes
    import numpy as np

    from pipeline.roadmap import plan_from_store

    return plan_from_store(ui.db_path(), np.full(years, budget), capacity, first_year, time_limit=20).as_json()


st.caption(
    f"{defaults['candidates']:,} replacement candidates, {defaults['positive']:,} with a positive expected NPV. "
    "Plans start in "
    f"{financial_year(first_year)}. Compare two budgets or capacities side by side."
)
left_column, right_column = st.columns(2)
settings_a = plan_ui(left_column, "a", default_budget, 5)
settings_b = plan_ui(right_column, "b", default_budget * 2, 10)
draw_plan(left_column, plan(ui.fingerprint(), *settings_a), "Plan A")
draw_plan(right_column, plan(ui.fingerprint(), *settings_b), "Plan B")

st.subheader("What is worth knowing")
information = data.results["information_parameters"]
st.caption(
    "Expected value of partial perfect information by parameter group (GBP, the replacement candidates' "
    "decisions), from the Monte Carlo draws, shown only where it stands above its noise floor (the same estimate "
    "with the group's draws permuted); and the missing facts worth most (see `estate gaps` and `estate requests`)."
)
st.dataframe(
    ui.in_millions(information, ["evppi_gbp", "noise_floor_gbp"]), hide_index=True,
    column_config={"parameter_group": "Parameter group", "parameters": "Parameters",
                   "evppi_gbp": ui.money_column("EVPPI (£m)"),
                   "noise_floor_gbp": ui.money_column("Noise floor (£m)")},
)  # fmt: skip
st.dataframe(
    data.results["information_fields"].head(50), hide_index=True,
    column_config={"system_id": "System ID", "field": "Missing field",
                   "value_gbp": st.column_config.NumberColumn("Value of knowing it (£)", format="£%.0f"),
                   "npv_swing_gbp": st.column_config.NumberColumn("Moves expected NPV by (£)", format="£%.0f"),
                   "low": "P10", "high": "P90"},
)  # fmt: skip
