"""Candidates: the replacement ranking, with the weights and filters a portfolio manager chooses."""

import tempfile
from pathlib import Path

import streamlit as st

from app import ui
from costing.ranking import RANKING_CRITERIA
from pipeline.results import rerank
from reporting.views import filter_ranking

MONEY = ["hidden_cost_p10_gbp", "hidden_cost_gbp", "hidden_cost_p90_gbp", "npv_gbp", "cost_of_delay_gbp"]
SHOWN = ["rank", "system_id", "name", "department", "platform", "score", "hidden_cost_gbp", "hidden_cost_p10_gbp",
         "hidden_cost_p90_gbp", "npv_gbp", "cost_of_delay_gbp", "risk_score", "risk_rag", "time_quadrant",
         "suggested_action", "wave", "top_n_stability"]  # fmt: skip


def weights_ui(recorded: dict[str, float]) -> dict[str, float]:
    """Read the five weight sliders (defaults: the weights recorded with the analysis)."""
    st.sidebar.header("Weights")
    st.sidebar.caption("Relative importance of each criterion; they are normalised to sum to 1.")
    return {
        c.weight: st.sidebar.slider(c.label, 0.0, 1.0, float(recorded[c.weight]), 0.05, key=c.weight, help=c.help)
        for c in RANKING_CRITERIA
    }


def filters_ui(ranked) -> dict[str, list]:
    """Read the filter widgets; empty means no filter."""
    st.sidebar.header("Filters")
    options = lambda column: sorted(ranked[column].dropna().unique().tolist())  # noqa: E731
    return {
        "departments": st.sidebar.multiselect("Department", options("department")),
        "platforms": st.sidebar.multiselect("Platform", options("platform")),
        "quadrants": st.sidebar.multiselect("TIME quadrant", options("time_quadrant")),
        "waves": st.sidebar.multiselect("Wave", options("wave")),
    }


ui.page(
    "Candidates",
    "Systems ranked for replacement: a weighted score (0–100) of hidden cost, risk, blast radius, NPV and ease.",
)
data = ui.estate()
parameters = data.results["parameters_used"]
recorded = dict(zip(parameters["name"], parameters["value"].astype(float), strict=True))
weights = weights_ui(recorded)
top_n = int(recorded["stability_top_n"])
if sum(weights.values()) <= 0:
    st.warning("All weights are zero: move at least one slider above zero to rank the systems.")
    st.stop()
ranked = rerank(data.assessment, parameters, int(data.run["seed"]), weights, top_n)
view = filter_ranking(ranked, **filters_ui(ranked))

shown = st.sidebar.number_input("Rows shown", 10, max(10, len(ranked)), min(500, max(10, len(ranked))), step=100)
st.caption(
    f"{len(view):,} of {len(ranked):,} systems match; the first {min(shown, len(view)):,} are shown (the csv has "
    f"all {len(view):,}). Stability: share of 500 random ±{recorded['stability_perturbation']:.0%} changes to the "
    f"weights under which the system stays in the top {top_n}."
)
if view.empty:
    st.info("No system matches these filters: clear one of them in the sidebar.")
    st.stop()
st.dataframe(
    ui.in_millions(view[SHOWN].head(shown), MONEY),
    hide_index=True,
    column_config={
        **ui.ranking_columns(),
        "platform": "Platform",
        "score": st.column_config.ProgressColumn("Score (0–100)", min_value=0, max_value=100, format="%.1f"),
        "hidden_cost_p10_gbp": ui.money_column("Hidden P10 (£m/year)"),
        "hidden_cost_p90_gbp": ui.money_column("Hidden P90 (£m/year)"),
        "npv_gbp": ui.money_column("NPV of replacing (£m)", "Green Book net present value, 3.5% discount."),
        "cost_of_delay_gbp": ui.money_column("Cost of a year's delay (£m)"),
        "risk_score": st.column_config.NumberColumn("Risk (1–25)", format="%d"),
        "risk_rag": "Risk RAG",
        "time_quadrant": "TIME quadrant",
        "suggested_action": "Suggested action",
        "wave": st.column_config.NumberColumn("Wave", format="%d"),
        "top_n_stability": st.column_config.ProgressColumn(
            f"Top-{top_n} stability", min_value=0.0, max_value=1.0, format="percent"
        ),
    },
)

csv_column, workbook_column = st.columns(2)
csv_column.download_button(
    "Download this view (csv)",
    view[SHOWN].to_csv(index=False).encode("utf-8"),
    file_name="estate_candidates.csv",
    mime="text/csv",
)
if workbook_column.button("Prepare the finance workbook (xlsx) with these weights"):
    from reporting.export import export_finance_workbook

    with st.spinner("Writing the workbook…"), tempfile.TemporaryDirectory() as folder:
        out = export_finance_workbook(ui.db_path(), Path(folder) / "estate_finance.xlsx", weights)
        st.session_state["finance_workbook"] = out.read_bytes()
if "finance_workbook" in st.session_state:
    workbook_column.download_button(
        "Download the finance workbook",
        st.session_state["finance_workbook"],
        file_name="estate_finance.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
