"""Roadmap: the replacement candidates scheduled under a budget and a capacity, two plans side by side."""

import altair as alt
import pandas as pd
import streamlit as st

from app import ui
from estate.cleaning import financial_year
from reporting.text import field_header, field_value
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


def draw_plan(column, result: dict, title: str, years: tuple[int, int]) -> None:
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
        names = data.assessment.set_index("system_id")["name"]
        rows["system"] = [f"{i} {str(names.get(i, ''))[:28]}" for i in rows["system_id"]]
        rows["npv_m"] = rows["npv_gbp"] / 1e6
        chart = alt.Chart(rows).mark_bar().encode(
            y=alt.Y("system:N", sort=alt.EncodingSortField("start"), title=None, axis=alt.Axis(labelLimit=240)),
            x=alt.X("start:Q", title="Financial year (starting April)", axis=alt.Axis(format="d", tickMinStep=1),
                    scale=alt.Scale(domain=list(years))),  # both plans on the same years
            x2="end:Q",
            tooltip=[alt.Tooltip("system_id", title="System ID"), alt.Tooltip("system", title="System"),
                     alt.Tooltip("start_year", title="Starts"), alt.Tooltip("end_year", title="Last build year"),
                     alt.Tooltip("npv_m:Q", title="Expected NPV (£m)", format=",.2f")],
        )  # fmt: skip
        with column:
            ui.chart(chart, f"{title}: replacements by financial year",
                     "Gantt chart: one bar per replacement from its first to its last build year.")  # fmt: skip
        spend = pd.DataFrame({"year": list(result["spend_by_year"]),
                              "spend_m": [v / 1e6 for v in result["spend_by_year"].values()],
                              "budget_m": [v / 1e6 for v in result["budget_gbp"].values()]})  # fmt: skip
        column.dataframe(spend, hide_index=True, column_config={
            "year": "Financial year", "spend_m": st.column_config.NumberColumn("Capex (£m)", format="%.1f"),
            "budget_m": st.column_config.NumberColumn("Budget (£m)", format="%.1f")})  # fmt: skip
    left = pd.DataFrame(result["left_out"])
    if not left.empty:
        column.caption(f"Left out: {len(left):,} candidate(s)")
        column.dataframe(left.groupby("reason").size().rename("systems").reset_index(), hide_index=True,
                         column_config={"reason": "Why", "systems": "Systems"})  # fmt: skip


@st.cache_data(show_spinner="Optimising the plan…", max_entries=16)
def plan(key: tuple, budget: float, capacity: int, years: int) -> dict:
    del key  # the database fingerprint: recomputed when it changes
    import numpy as np

    from pipeline.roadmap import plan_from_store

    return plan_from_store(ui.result_source(), np.full(years, budget), capacity, first_year, time_limit=20).as_json()


st.caption(
    f"{defaults['candidates']:,} replacement candidates, {defaults['positive']:,} with a positive expected NPV. "
    "Plans start in "
    f"{financial_year(first_year)}. Compare two budgets or capacities side by side."
)
left_column, right_column = st.columns(2)
settings_a = plan_ui(left_column, "a", default_budget, 5)
settings_b = plan_ui(right_column, "b", default_budget * 2, 10)
axis_years = (first_year, first_year + max(settings_a[2], settings_b[2]))
draw_plan(left_column, plan((ui.fingerprint(), ui.scope()), *settings_a), "Plan A", axis_years)
draw_plan(right_column, plan((ui.fingerprint(), ui.scope()), *settings_b), "Plan B", axis_years)

st.subheader("What is worth knowing")
information = data.results["information_parameters"]
st.caption(
    "Expected value of partial perfect information by parameter group (GBP, the replacement candidates' "
    "decisions), from the Monte Carlo draws, shown only where it stands above its noise floor (the same estimate "
    "with the group's draws permuted); and the missing facts worth most (see `estate gaps` and `estate requests`). "
    "A fact's value is 0 when neither end of its range would change the replace-or-keep decision; such facts are "
    "ordered by how far they move the expected NPV."
)
st.dataframe(
    ui.in_millions(information, ["evppi_gbp", "noise_floor_gbp"]), hide_index=True,
    column_config={"parameter_group": "Parameter group", "parameters": "Parameters",
                   "evppi_gbp": ui.money_column("EVPPI (£m)"),
                   "noise_floor_gbp": ui.money_column("Noise floor (£m)")},
)  # fmt: skip
fields = data.results["information_fields"].head(50)
st.dataframe(
    fields.assign(
        field=fields["field"].map(field_header),
        value_k=fields["value_gbp"] / 1e3,  # in £k: a fact is worth thousands where the NPV it moves is millions
        swing_m=fields["npv_swing_gbp"] / 1e6,
        low=[field_value(f, v) for f, v in zip(fields["field"], fields["low"], strict=True)],
        high=[field_value(f, v) for f, v in zip(fields["field"], fields["high"], strict=True)],
    )[["system_id", "field", "value_k", "swing_m", "low", "high"]],
    hide_index=True,
    column_config={"system_id": "System ID", "field": "Missing field",
                   "value_k": st.column_config.NumberColumn("Value of knowing it (£k)", format="%.1f",
                                                            help="Expected gain in the decision's value."),
                   "swing_m": ui.money_column("Moves expected NPV by (£m)", "Between the field at its P10 and P90."),
                   "low": "If it is at its P10", "high": "If it is at its P90"},
)  # fmt: skip
