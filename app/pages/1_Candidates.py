"""Candidates: the replacement ranking, with the weights and filters a portfolio manager chooses."""

import tempfile
from pathlib import Path

import streamlit as st

from app import ui
from costing.ranking import RANKING_CRITERIA
from pipeline.results import rank_by_method, rerank
from reporting.views import filter_ranking

MONEY = ["npv_gbp", "npv_p10_gbp", "npv_p90_gbp", "total_cost_of_legacy_gbp", "hidden_cost_gbp", "cost_of_delay_gbp"]
SHOWN = ["rank", "system_id", "name", "department", "platform", "score", "npv_gbp", "npv_p10_gbp", "npv_p90_gbp",
         "probability_npv_positive", "total_cost_of_legacy_gbp", "hidden_cost_gbp", "cost_of_delay_gbp",
         "risk_score", "risk_rag", "cddo_score", "time_quadrant", "suggested_action", "wave",
         "top_n_stability"]  # fmt: skip
ORDERS = {
    "estate": "Expected NPV per £ of capex (estate's decision measure)",
    "weighted": "Weighted criteria (estate, your weights)",
    "cddo": "CDDO Legacy IT Risk Assessment Framework score",
    "gao": "GAO-style points profile (a reconstruction)",
    "time": "Gartner TIME quadrant",
}


def order_ui() -> tuple[str, bool]:
    """Read how to order the ranking and whether to list the systems to retain too."""
    st.sidebar.header("Order")
    order = st.sidebar.radio("Rank by", list(ORDERS), format_func=ORDERS.get, key="order")
    retain = st.sidebar.checkbox("Also list systems to retain (after the candidates)", key="show_retain")
    return order, retain


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
    "Replacement candidates ranked by expected NPV per £ of capex, with the published methods beside it; "
    "systems to retain are listed apart.",
)
data = ui.estate()
parameters = data.results["parameters_used"]
recorded = dict(zip(parameters["name"], parameters["value"].astype(float), strict=True))
top_n = int(recorded["stability_top_n"])
order, retain = order_ui()
weights = None
if order == "weighted":
    weights = weights_ui(recorded)
    if sum(weights.values()) <= 0:
        st.warning("All weights are zero: move at least one slider above zero to rank the systems.")
        st.stop()
    ranked = rerank(data.assessment, parameters, int(data.run["seed"]), weights, top_n, ui.decision_draws(data))
elif order == "estate":
    ranked = data.assessment
else:
    ranked = rank_by_method(data.assessment, order)
if not retain:
    ranked = ranked[ranked["candidate"].astype(bool)]
view = filter_ranking(ranked, **filters_ui(ranked))

agreement = data.results["method_agreement"]
if len(agreement):
    st.caption(
        "Rank agreement between methods over the candidates (Kendall tau; top-N overlap): "
        + "; ".join(
            f"{r.method_a}–{r.method_b} {r.kendall_tau:.2f}, {r.top_n_overlap:.0%}" for r in agreement.itertuples()
        )
    )
shown = st.sidebar.number_input("Rows shown", 10, max(10, len(ranked)), min(500, max(10, len(ranked))), step=100)
stability = (
    f"probability of staying in the top {top_n} under the joint uncertainty of parameters and inputs"
    if order in ("estate", "weighted") else "not computed for published methods (shown for estate's order)"
)  # fmt: skip
st.caption(
    f"{len(view):,} of {len(ranked):,} systems match; the first {min(shown, len(view)):,} are shown (the csv has "
    f"all {len(view):,}). Stability: {stability}."
)
if view.empty:
    st.info("No system matches these filters: clear one of them in the sidebar (or list systems to retain).")
    st.stop()
score_label = {"estate": "NPV per £ of capex", "weighted": "Weighted score (0–100)", "cddo": "CDDO score (max 30)",
               "gao": "GAO-style points", "time": "TIME order"}[order]  # fmt: skip
st.dataframe(
    ui.in_millions(view[SHOWN].head(shown), MONEY),
    hide_index=True,
    column_config={
        **ui.ranking_columns(),
        "platform": "Platform",
        "score": st.column_config.NumberColumn(score_label, format="%.2f"),
        "npv_gbp": ui.money_column("Expected NPV of replacing (£m)", "Green Book NPV, mean of the Monte Carlo."),
        "npv_p10_gbp": ui.money_column("NPV P10 (£m)"),
        "npv_p90_gbp": ui.money_column("NPV P90 (£m)"),
        "probability_npv_positive": st.column_config.ProgressColumn(
            "P(NPV > 0)", min_value=0.0, max_value=1.0, format="percent"
        ),
        "total_cost_of_legacy_gbp": ui.money_column("Cost of legacy (£m/year)", "Legacy premium + hidden cost."),
        "cost_of_delay_gbp": ui.money_column("Cost of a year's delay (£m)"),
        "risk_score": st.column_config.NumberColumn("Risk (1–25)", format="%d"),
        "risk_rag": "Risk RAG",
        "cddo_score": st.column_config.NumberColumn("CDDO score (max 30)", format="%.1f"),
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
