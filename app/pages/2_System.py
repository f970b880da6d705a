"""System: everything about one system — attributes with provenance, cost breakdown, risk, appraisal, neighbours."""

import altair as alt
import pandas as pd
import streamlit as st

from app import ui
from reporting.views import NoEstate, system_choices, system_profile

NEIGHBOUR_COLUMNS = {
    "system_id": "System ID",
    "name": "Name",
    "department": "Department",
    "interface_id": "Interface",
    "kind": "Kind",
    "frequency": "Frequency",
}

ui.page("System", "One system in full: where its data came from, what it costs, its risk and what it is wired to.")
data = ui.estate(analysed=False)
choices = system_choices(data)
names = data.systems.set_index("system_id")["name"].to_dict()
wanted = st.query_params.get("system")
chosen = st.selectbox(
    "System (in rank order)",
    choices,
    index=choices.index(wanted) if wanted in choices else 0,
    format_func=lambda s: f"{s} — {names.get(s) or ''}",
)
st.query_params["system"] = chosen
try:
    profile = system_profile(data, chosen)
except NoEstate as exc:
    st.info(ui.plain(exc))
    st.stop()
st.header(f"{ui.plain(profile.system_id)}: {ui.plain(profile.name)}")  # inventory text: never Markdown
where = profile.provenance
st.caption(
    f"From {ui.plain(where['file'])}, sheet {ui.plain(where['sheet'])}, row {where['row']} "
    f"(import {where['import_id']})."
)

row = profile.assessment
if row:
    rank, hidden, npv, risk = st.columns(4)
    rank.metric("Rank", f"{int(row['rank']):,} of {len(data.assessment):,}", help=f"Score {row['score']:.1f} of 100")
    hidden.metric("Hidden cost a year (expected)", ui.gbp_m(row["hidden_cost_gbp"]))
    hidden.caption(f"P10–P90: {ui.gbp_m(row['hidden_cost_p10_gbp'])} – {ui.gbp_m(row['hidden_cost_p90_gbp'])}")
    npv.metric("NPV of replacing", ui.gbp_m(row["npv_gbp"]), help="Green Book appraisal, optimism bias applied.")
    payback = "beyond the horizon" if pd.isna(row["payback_year"]) else f"year {int(row['payback_year'])}"
    npv.caption(f"Payback {payback}; a year's delay costs {ui.gbp_m(row['cost_of_delay_gbp'])}")
    risk.metric("Risk", f"{int(row['risk_score'])} of 25 ({ui.label(row['risk_rag'])})")
    risk.caption(f"Impact {int(row['impact'])} × likelihood {int(row['likelihood'])}")

    st.subheader("Cost a year: run cost, legacy premium within it, and hidden cost (£m a year, expected)")
    waterfall = profile.components.assign(start_m=lambda f: f["start_gbp"] / 1e6, end_m=lambda f: f["end_gbp"] / 1e6,
                                          amount_m=lambda f: f["annual_gbp"] / 1e6)  # fmt: skip
    bars = (
        alt.Chart(waterfall)
        .mark_bar()
        .encode(
            x=alt.X("component:N", sort=None, title=None, axis=alt.Axis(labelAngle=-30, labelOverlap=False)),
            y=alt.Y("start_m:Q", title="£m a year"),
            y2="end_m:Q",
            color=alt.Color("kind:N", title="Cost", sort=["run", "legacy_premium", "hidden", "total"]),
            tooltip=["component", alt.Tooltip("amount_m:Q", title="£m a year", format=",.3f")],
        )
    )
    ui.chart(
        bars,
        "Annual cost of this system: run cost (of which legacy premium) plus each hidden component (£m a year)",
        "Waterfall: run cost less legacy premium, each premium component (together the run cost), each hidden "
        "component stacked on it, then the total; expected values that add up.",
    )
    st.markdown(
        f"**Disposition:** TIME quadrant **{ui.label(row['time_quadrant'])}**, suggested action "
        f"**{ui.label(row['suggested_action'])}** "
        f"— {ui.plain(row['action_reason'])}. Modernisation wave {int(row['wave'])}; "
        f"blast radius {int(row['blast_radius']):,} "
        f"systems downstream; {int(row['upstream_dependencies']):,} upstream."
    )
    if row["cost_basis"] == "imputed":
        st.caption(
            f"No reported cost: run cost imputed at {ui.gbp_m(row['imputed_cost_gbp'])} a year "
            f"(interval {ui.gbp_m(row['imputed_low_gbp'])} – {ui.gbp_m(row['imputed_high_gbp'])})."
        )
    elif row["cost_basis"] == "assumed":
        st.caption(
            f"No reported cost and too little to impute from: run cost assumed at {ui.gbp_m(row['run_cost_gbp'])} "
            "a year (the prior_run_cost range; see Assumptions)."
        )
else:
    st.info("This system has no assessment yet: run `estate analyse` to see its costs and risk.")

attributes, neighbours = st.columns([2, 3])
attributes.subheader("Attributes")
attributes.dataframe(
    profile.attributes, hide_index=True, column_config={"field": "Field", "value": "Value", "source": "Source"}
)
neighbours.subheader(f"Upstream: {len(profile.upstream):,} interface(s) feeding it")
neighbours.dataframe(profile.upstream, hide_index=True, column_config=NEIGHBOUR_COLUMNS)
neighbours.subheader(f"Downstream: {len(profile.downstream):,} interface(s) it feeds")
neighbours.dataframe(profile.downstream, hide_index=True, column_config=NEIGHBOUR_COLUMNS)
