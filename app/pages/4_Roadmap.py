"""Roadmap: modernisation waves laid end to end, and what waiting for each wave costs."""

import altair as alt
import streamlit as st

from app import ui
from reporting.views import roadmap

ui.page(
    "Roadmap",
    "Waves follow the dependency graph: a system's wave comes after every system it depends on "
    "(tightly coupled clusters move together).",
)
data = ui.estate()
waves = roadmap(data)
st.caption(
    "Each wave starts when the one before ends and lasts the median optimism-adjusted replacement duration of its "
    "systems. Waiting cost = the wave's cost of delay (NPV lost per year of delay) × the years it waits to start."
)
total, longest = st.columns(2)
total.metric("Cost of waiting, all waves", ui.gbp_m(waves["waiting_cost_gbp"].sum()))
longest.metric("Roadmap ends", f"{waves['end_year'].max():.0f}", help=f"{len(waves)} waves laid end to end.")

shown = waves.assign(**{c.replace("_gbp", "_m"): waves[c] / 1e6 for c in
                        ["hidden_cost_gbp", "cost_of_delay_gbp", "waiting_cost_gbp",
                         "cumulative_waiting_cost_gbp"]})  # fmt: skip
gantt = (
    alt.Chart(shown)
    .mark_bar()
    .encode(
        y=alt.Y("wave:O", title="Wave"),
        x=alt.X("start_year:Q", title="Year", scale=alt.Scale(zero=False), axis=alt.Axis(format="d")),
        x2="end_year:Q",
        color=alt.Color("hidden_cost_m:Q", title="Hidden cost (£m/year)", scale=alt.Scale(scheme="oranges")),
        tooltip=[
            "wave",
            "systems",
            alt.Tooltip("start_year:Q", format=".1f", title="Starts"),
            alt.Tooltip("end_year:Q", format=".1f", title="Ends"),
            alt.Tooltip("hidden_cost_m:Q", format=",.1f", title="Hidden cost (£m/year)"),
            alt.Tooltip("waiting_cost_m:Q", format=",.1f", title="Waiting cost (£m)"),
        ],
    )
)
ui.chart(
    gantt,
    "Modernisation waves over time, coloured by the hidden cost they remove (£m a year)",
    "Gantt chart: one bar per wave from its start year to its end year.",
)
line = (
    alt.Chart(shown)
    .mark_line(point=True)
    .encode(
        x=alt.X("start_year:Q", title="Year the wave starts", scale=alt.Scale(zero=False), axis=alt.Axis(format="d")),
        y=alt.Y("cumulative_waiting_cost_m:Q", title="Cumulative waiting cost (£m)"),
        tooltip=["wave", alt.Tooltip("cumulative_waiting_cost_m:Q", format=",.1f", title="£m")],
    )
)
ui.chart(
    line,
    "Cumulative cost of waiting for later waves (£m)",
    "Line chart: the running total of waiting cost as each wave starts.",
)
st.dataframe(
    shown[["wave", "systems", "start_year", "end_year", "hidden_cost_m", "cost_of_delay_m", "waiting_cost_m"]],
    hide_index=True,
    column_config={
        "wave": st.column_config.NumberColumn("Wave", format="%d"),
        "systems": st.column_config.NumberColumn("Systems", format="%d"),
        "start_year": st.column_config.NumberColumn("Starts (year)", format="%.1f"),
        "end_year": st.column_config.NumberColumn("Ends (year)", format="%.1f"),
        "hidden_cost_m": st.column_config.NumberColumn("Hidden cost, expected (£m/year)", format="£%.1fm"),
        "cost_of_delay_m": st.column_config.NumberColumn("Cost of a year's delay (£m)", format="£%.1fm"),
        "waiting_cost_m": st.column_config.NumberColumn("Waiting cost (£m)", format="£%.1fm"),
    },
)
