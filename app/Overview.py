"""Overview: the estate on one page — reported against hidden cost, legacy, support and risk, by department."""

import altair as alt
import streamlit as st

from app import ui
from costing.hidden import LEGACY_PREMIUM
from reporting.views import (
    components_in_words,
    department_summary,
    department_table,
    freshness,
    headline,
    heat_cells,
)

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
premium.caption(f"On imputed or assumed costs, apart: {ui.gbp_m(figures['legacy_premium_unobserved_gbp'])}")
hidden.metric(
    "Hidden annual cost (expected)",
    ui.gbp_m(figures["hidden_cost_gbp"]),
    help=f"{components_in_words().capitalize()}: costs no IT budget shows. Mean of the Monte Carlo draws.",
)
hidden.caption(
    f"P10–P90 range: {ui.gbp_m(figures['hidden_cost_p10_gbp'])} – {ui.gbp_m(figures['hidden_cost_p90_gbp'])}; "
    f"{figures['assumed_share']:.0%} rests on assumed inputs"
)
share.metric(
    "Legacy share of systems (expected)", f"{figures['legacy_share']:.0%}",
    help="The expected share of systems that are legacy: a probability per system from the evidence it has "
    "(end of support, technology, platform, age ...), the published share where it has none.",
)  # fmt: skip
share.caption(
    f"{figures['legacy_systems']:,.1f} of {figures['systems']:,} systems expected; the status of "
    f"{1 - figures['legacy_status_observed']:.0%} rests on assumptions"
)

systems, past, red, waves = st.columns(4)
systems.metric("Systems", f"{figures['systems']:,}", help=f"In {figures['departments']} department(s).")
past.metric(
    "Past end of support", f"{figures['past_support']:,} systems", help=f"At the assessment date {as_of:%d/%m/%Y}."
)
red.metric("Red-rated risk", f"{figures['red']:,} systems", help="Risk score (impact x likelihood) at or above red.")
waves.metric("Modernisation waves", f"{figures['waves']:,}", help="See the Roadmap page.")
if figures["imputed"]:
    st.caption(f"{figures['imputed']:,} systems had no reported cost: their run cost is imputed (see Assumptions).")
for source in freshness(data.sources, stale_after_hours=ui.stale_after_hours()):
    st.caption(f"Live source {source['Source']}: last synced {source['Age']} ({source['Last synced (UTC)']} UTC); "
               f"last change {source['Last change']}; {source['Records']:,} records (see Data quality).")  # fmt: skip

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
        y=alt.Y(
            "department:N",
            sort=list(departments["department"]),
            title="Department",  # the table's order
            axis=alt.Axis(labelLimit=280),
        ),
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
table = department_table(data)
shown = [
    "department",
    "systems",
    "reported_cost_gbp",
    "imputed_cost_gbp",
    "legacy_premium_gbp",
    "hidden_cost_p10_gbp",
    "hidden_cost_gbp",
    "hidden_cost_p90_gbp",
    "legacy_systems",
    "past_support",
    "red",
]
narrow = {  # short labels and fixed widths: every column fits 1440 px without scrolling inside the grid
    "reported_cost_gbp": ("Reported", "Observed run cost, latest financial year (£m a year)."),
    "imputed_cost_gbp": ("Imputed", "Estimated run cost of systems reporting none, apart from reported (£m a year)."),
    "legacy_premium_gbp": ("Premium", "Legacy premium within reported cost: what a modern equivalent would not cost."),
    "hidden_cost_p10_gbp": ("Hidden P10", "Hidden cost a year, 10th percentile of the Monte Carlo draws (£m)."),
    "hidden_cost_gbp": ("Hidden", "Hidden cost a year, expected value (£m)."),
    "hidden_cost_p90_gbp": ("Hidden P90", "Hidden cost a year, 90th percentile of the Monte Carlo draws (£m)."),
}
counts = {
    "systems": ("Systems", "%d", "Systems in the inventory."),
    "legacy_systems": ("Legacy", "%.1f", "Expected number of legacy systems (the sum of their probabilities)."),
    "past_support": ("Past EoS", "%d", "Systems past their end of support (EoS) at the assessment date."),
    "red": ("Red risk", "%d", "Systems with a red risk rating."),
}
st.markdown("**£m a year**, departments by expected hidden cost (as in the chart); the last row is the estate.")
st.dataframe(
    ui.in_millions(table[shown], list(narrow)),
    hide_index=True,
    height=36 * (len(table) + 1) + 3,  # every department and the total row, without scrolling
    column_config={
        "department": st.column_config.TextColumn("Department", width=210),
        **{name: st.column_config.NumberColumn(label, help=text, format="%.2f", width=76)
           for name, (label, text) in narrow.items()},
        **{name: st.column_config.NumberColumn(label, help=text, format=fmt, width=62)
           for name, (label, fmt, text) in counts.items()},
    },
)  # fmt: skip
st.caption(
    "The last row is the whole estate: its expected values are the sums of the rows above; its P10 and P90 are the "
    "estate's own (percentiles do not add up)."
)

st.subheader("Portfolio heat map")
TIME_ORDER = ["Tolerate", "Invest", "Migrate", "Eliminate"]  # Gartner's TIME, in its own order
by = st.radio("Columns", ["TIME quadrant", "Risk band"], horizontal=True, key="heat_by")
column = "time_quadrant" if by == "TIME quadrant" else "risk_rag"
cells = heat_cells(data, column)
heat = alt.Chart(cells).encode(
    y=alt.Y("department:N", title="Department", sort=list(departments["department"]), axis=alt.Axis(labelLimit=280)),
    x=alt.X("group:N", title=by, sort=["Red", "Amber", "Green"] if column == "risk_rag" else TIME_ORDER),
)
ui.chart(
    heat.mark_rect().encode(
        color=alt.Color("hidden_m:Q", title="Hidden, £m/year", scale=alt.Scale(scheme="blues")),
        tooltip=[
            "department",
            alt.Tooltip("group:N", title=by),
            "systems",
            alt.Tooltip("hidden_m:Q", title="Hidden £m/year", format=",.2f"),
        ],
    )
    + heat.mark_text(fontSize=11).encode(
        text=alt.Text("systems:Q"),
        color=alt.condition(alt.datum.hidden_m > cells["hidden_m"].max() / 2, alt.value("white"), alt.value("black")),
    ),
    f"Systems and hidden cost by department and {by.lower()}",
    f"Heat map: one cell per department and {by.lower()}; the number is the systems in it, the shade their "
    "expected hidden cost a year.",
)

flagged = data.assessment[data.assessment["outliers"].fillna("").ne("")]
st.subheader(f"Outliers ({len(flagged):,})")
if flagged.empty:
    st.caption("No system has a cost component far above its own run cost (the `outlier_multiple` parameter).")
else:
    st.caption("Systems with a cost component far above their own run cost: check the inputs behind it first.")
    st.dataframe(
        ui.in_millions(flagged[["system_id", "name", "department", "run_cost_gbp", "outliers"]]),
        hide_index=True,
        column_config=ui.columns(("system_id", "name", "department", "run_cost_gbp", "outliers")),
    )
st.caption(
    f"Assessed at {as_of:%d/%m/%Y} with {int(data.run['draws']):,} Monte Carlo draws (seed {int(data.run['seed'])}). "
    f"Database: {ui.db_path()}."
)
