"""Overview: the estate on one page — reported against hidden cost, legacy, support and risk, by department."""

import altair as alt
import streamlit as st

from app import ui
from costing.hidden import LEGACY_PREMIUM
from reporting.views import components_in_words, department_summary, headline

ui.page(
    "Overview",
    "What the estate costs to run as reported, what it costs beyond that (hidden cost), and where the risk sits.",
)
data = ui.estate()
figures = headline(data.assessment, data.results["model_inputs"], data.run)
as_of = data.run["as_of"]

st.subheader("Annual cost, £m a year")
reported, premium, hidden, share = st.columns(4)
reported.metric(
    "Reported annual cost",
    ui.gbp_m(figures["reported_cost_gbp"]),
    help="Observed cost lines, latest financial year per system. Imputed costs are shown apart, never inside.",
)
reported.caption(f"Imputed beside it: {ui.gbp_m(figures['imputed_cost_gbp'])} ({figures['imputed']:,} systems)")
premium.metric(
    "Legacy premium (expected)",
    ui.gbp_m(figures["legacy_premium_gbp"]),
    help=f"Within reported cost: {components_in_words(LEGACY_PREMIUM)} a modern equivalent would not cost.",
)
hidden.metric(
    "Hidden annual cost (expected)",
    ui.gbp_m(figures["hidden_cost_gbp"]),
    help=f"{components_in_words().capitalize()}: costs no IT budget shows. Mean of the Monte Carlo draws.",
)
hidden.caption(
    f"P10–P90 range: {ui.gbp_m(figures['hidden_cost_p10_gbp'])} – {ui.gbp_m(figures['hidden_cost_p90_gbp'])}; "
    f"{figures['assumed_share']:.0%} rests on assumed inputs"
)
share.metric("Legacy share", f"{figures['legacy_share']:.0%} of systems", help="Systems the model treats as legacy.")
share.caption(f"{figures['legacy_systems']:,} of {figures['systems']:,} systems")

systems, past, red, waves = st.columns(4)
systems.metric("Systems", f"{figures['systems']:,}", help=f"In {figures['departments']} department(s).")
past.metric(
    "Past end of support", f"{figures['past_support']:,} systems", help=f"At the assessment date {as_of:%d/%m/%Y}."
)
red.metric("Red-rated risk", f"{figures['red']:,} systems", help="Risk score (impact x likelihood) at or above red.")
waves.metric("Modernisation waves", f"{figures['waves']:,}", help="See the Roadmap page.")
if figures["imputed"]:
    st.caption(f"{figures['imputed']:,} systems had no reported cost: their run cost is imputed (see Assumptions).")

st.subheader("By department")
departments = department_summary(data)
long = departments.melt(
    id_vars=["department"], value_vars=["reported_cost_gbp", "hidden_cost_gbp"], var_name="measure"
).replace({"reported_cost_gbp": "Reported", "hidden_cost_gbp": "Hidden (expected)"})
long["value_m"] = long["value"] / 1e6
bars = (
    alt.Chart(long)
    .mark_bar()
    .encode(
        y=alt.Y("department:N", sort="-x", title="Department", axis=alt.Axis(labelLimit=280)),
        x=alt.X("sum(value_m):Q", title="£m a year"),
        color=alt.Color("measure:N", title="Cost", sort=["Reported", "Hidden (expected)"]),
        tooltip=["department", "measure", alt.Tooltip("value_m:Q", title="£m a year", format=",.2f")],
    )
)
ui.chart(
    bars,
    "Reported and hidden annual cost by department (£m a year)",
    "Stacked horizontal bars: for each department, reported run cost and the expected hidden cost, in £m a year.",
)
st.dataframe(
    ui.in_millions(departments, ["reported_cost_gbp", "hidden_cost_p10_gbp", "hidden_cost_gbp", "hidden_cost_p90_gbp"]),
    hide_index=True,
    column_config={
        "department": "Department",
        "systems": st.column_config.NumberColumn("Systems", format="%d"),
        "reported_cost_gbp": ui.money_column("Reported (£m/year)"),
        "hidden_cost_p10_gbp": ui.money_column("Hidden P10 (£m/year)"),
        "hidden_cost_gbp": ui.money_column("Hidden, expected (£m/year)"),
        "hidden_cost_p90_gbp": ui.money_column("Hidden P90 (£m/year)"),
        "legacy_systems": st.column_config.NumberColumn("Legacy (systems)", format="%d"),
        "past_support": st.column_config.NumberColumn("Past end of support (systems)", format="%d"),
        "red": st.column_config.NumberColumn("Red risk (systems)", format="%d"),
    },
)
st.caption(
    f"Assessed at {as_of:%d/%m/%Y} with {int(data.run['draws']):,} Monte Carlo draws (seed {int(data.run['seed'])}). "
    f"Database: {ui.db_path()}."
)
