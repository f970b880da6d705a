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

WATERFALL_KINDS = {"run": "Run cost", "legacy_premium": "Legacy premium (in the run cost)",
                   "hidden": "Hidden cost", "total": "Total"}  # fmt: skip

ui.page("System", "One system in full: where its data came from, what it costs, its risk and what it is wired to.")
data = ui.estate(analysed=False)
choices = system_choices(data)
names = data.systems.set_index("system_id")["name"].to_dict()
wanted = st.query_params.get("system")
unknown = bool(wanted) and wanted not in choices
if unknown and ui.scope() is not None and ui.in_store(wanted):  # another department's: named as such, no more
    ui.log_view("System", "refused", f"{wanted}: not in the user's departments")
    st.warning(
        f"**{ui.plain(wanted)}** is not in your departments: you see the systems of "
        f"{', '.join(ui.scope())}. Choose one below, or find it by name in the sidebar."
    )
elif unknown:  # never another system in its place
    st.warning(
        f"**{ui.plain(wanted)}** is unknown: no system with that ID is in this estate's inventory. "
        "Choose one below, or find it by name in the sidebar."
    )
if wanted != st.session_state.get("system_in_url") or "system_choice" not in st.session_state:
    # a link or the sidebar brought a system (or none): it is the choice; later choices come from the box
    st.session_state["system_choice"] = None if unknown else wanted if wanted in choices else choices[0]
    st.session_state["system_in_url"] = wanted
chosen = st.selectbox(
    "System (in rank order)",
    choices,
    key="system_choice",
    format_func=lambda s: f"{s} — {names.get(s) or ''}",
    placeholder="Choose a system",
)
if chosen is None:
    st.stop()
st.query_params["system"] = st.session_state["system_in_url"] = chosen
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
    candidates = int(data.assessment["candidate"].astype(bool).sum())
    if bool(row["candidate"]):  # candidates come first in the stored ranking: its rank is the candidate rank
        rank.metric("Candidate rank", f"{int(row['rank']):,} of {candidates:,}",
                    help=f"Among the replacement candidates, as on the Candidates page (decision measure "
                         f"{row['score']:.2f}).")  # fmt: skip
    else:
        rank.metric("Candidate rank", "not a candidate", help=f"Its suggested action is to retain it; the "
                    f"{candidates:,} replacement candidates are on the Candidates page.")  # fmt: skip
    hidden.metric("Hidden cost a year (expected)", ui.gbp_m(row["hidden_cost_gbp"]))
    hidden.caption(f"P10–P90: {ui.gbp_m(row['hidden_cost_p10_gbp'])} – {ui.gbp_m(row['hidden_cost_p90_gbp'])}")
    npv.metric("NPV of replacing", ui.gbp_m(row["npv_gbp"]), help="Green Book appraisal, optimism bias applied.")
    payback = "beyond the horizon" if pd.isna(row["payback_year"]) else f"year {int(row['payback_year'])}"
    delay = float(row["cost_of_delay_gbp"])
    npv.caption(
        f"Payback {payback}; "
        + (f"a year's delay costs {ui.gbp_m(delay)}" if delay >= 0 else
           f"a year's delay would be worth {ui.gbp_m(-delay)} (replacing now does not pay)")
    )  # fmt: skip
    risk.metric("Risk", f"{int(row['risk_score'])} of 25 ({ui.label(row['risk_rag'])})")
    risk.caption(f"Impact {int(row['impact'])} × likelihood {int(row['likelihood'])}")

    st.subheader("Cost a year: run cost, legacy premium within it, and hidden cost (£m a year, expected)")
    waterfall = profile.components.assign(start_m=lambda f: f["start_gbp"] / 1e6, end_m=lambda f: f["end_gbp"] / 1e6,
                                          amount_m=lambda f: f["annual_gbp"] / 1e6,
                                          kind_label=lambda f: f["kind"].map(WATERFALL_KINDS))  # fmt: skip
    bars = (
        alt.Chart(waterfall)
        .mark_bar()
        .encode(
            # components down the side, so that every name reads in full; the bars run left to right
            y=alt.Y("component:N", sort=None, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
            x=alt.X("start_m:Q", title="£m a year"),
            x2="end_m:Q",
            color=alt.Color(
                "kind_label:N",
                title="Cost",
                sort=list(WATERFALL_KINDS.values()),
                legend=alt.Legend(orient="top", labelLimit=400, columns=4),
            ),
            tooltip=[
                alt.Tooltip("component", title="Component"),
                alt.Tooltip("amount_m:Q", title="£m a year", format=",.3f"),
            ],
        )
    )
    ui.chart(
        bars.properties(height=alt.Step(26)),
        "Annual cost of this system: run cost (of which legacy premium) plus each hidden component (£m a year)",
        "Waterfall, top to bottom: run cost less legacy premium, each premium component (together the run cost), "
        "each hidden component added to it, then the total; expected values that add up.",
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
given = profile.attributes["value"].astype(str).str.strip() != ""
attributes.dataframe(
    profile.attributes[given], hide_index=True, column_config={"field": "Field", "value": "Value", "source": "Source"}
)
if (~given).any():  # unknown is not zero: say which facts are missing rather than list empty rows
    attributes.caption(
        f"Not in the inventory ({int((~given).sum())}): "
        + ui.plain(", ".join(profile.attributes.loc[~given, "field"]))
        + ". Where the cost model needs one of these, it draws it from a wide prior (see Assumptions)."
    )
neighbours.subheader(f"Upstream: {len(profile.upstream):,} interface(s) feeding it")
neighbours.dataframe(profile.upstream, hide_index=True, column_config=NEIGHBOUR_COLUMNS)
neighbours.subheader(f"Downstream: {len(profile.downstream):,} interface(s) it feeds")
neighbours.dataframe(profile.downstream, hide_index=True, column_config=NEIGHBOUR_COLUMNS)
