"""Candidates: the replacement ranking, with the weights and filters a portfolio manager chooses."""

import contextlib
import tempfile
from pathlib import Path
from urllib.parse import quote

import streamlit as st

from app import ui
from costing.ranking import RANKING_CRITERIA
from pipeline.results import rank_by_method, rerank
from reporting.text import METHOD_NAMES, csv_text, readable_frame
from reporting.views import filter_ranking, ranking_determination

# decision columns first: what to do, whether it pays, how sure, what legacy costs, how risky (these fit 1440 px)
KEY = ["rank", "system_id", "name", "worth_replacing", "suggested_action", "npv_gbp", "probability_npv_positive",
       "hidden_cost_gbp", "risk_rag", "top_n_stability"]  # fmt: skip
MORE = ["department", "platform", "score", "npv_p10_gbp", "npv_p90_gbp", "total_cost_of_legacy_gbp",
        "cost_of_delay_gbp", "risk_score", "cddo_score", "time_quadrant", "wave"]  # fmt: skip
CODES = ["suggested_action", "risk_rag", "platform", "time_quadrant"]
ORDERS = {
    "estate": "Expected NPV per £ of capex (estate's decision measure)",
    "weighted": "Weighted criteria (estate, your weights)",
    "cddo": "CDDO Legacy IT Risk Assessment Framework score",
    "gao": "GAO-style points profile (a reconstruction)",
    "time": "Gartner TIME quadrant",
}


def from_url() -> None:
    """Start the widgets from the page's URL (?order=weighted&w_value=0.4&departments=HMRC|DWP), once a session."""
    if st.session_state.get("url_read"):
        return
    st.session_state["url_read"] = True
    query = st.query_params
    if query.get("order") in ORDERS:
        st.session_state["order"] = query["order"]
    st.session_state["show_retain"] = query.get("retain") == "1"
    for c in RANKING_CRITERIA:
        with contextlib.suppress(KeyError, ValueError):
            st.session_state[c.weight] = min(1.0, max(0.0, float(query[c.weight])))
    for name in FILTERS:
        if query.get(name):
            st.session_state[f"filter_{name}"] = query[name].split("|")


def to_url(order: str, retain: bool, weights: dict[str, float] | None, filters: dict[str, list]) -> None:
    """Write the view into the URL, so that it can be shared or bookmarked."""
    state = {"order": order, "retain": "1" if retain else "0"}
    state |= {k: f"{v:g}" for k, v in (weights or {}).items()}
    state |= {name: "|".join(map(str, values)) for name, values in filters.items() if values}
    st.query_params.from_dict(state)


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
    for c in RANKING_CRITERIA:  # the recorded weight, unless the URL gave one
        st.session_state.setdefault(c.weight, float(recorded[c.weight]))
    return {
        c.weight: st.sidebar.slider(c.label, 0.0, 1.0, step=0.05, key=c.weight, help=c.help) for c in RANKING_CRITERIA
    }


FILTERS = {"departments": ("Department", "department"), "platforms": ("Platform", "platform"),
           "quadrants": ("TIME quadrant", "time_quadrant"), "waves": ("Wave", "wave")}  # fmt: skip


def filters_ui(ranked) -> dict[str, list]:
    """Read the filter widgets; empty means no filter."""
    st.sidebar.header("Filters")
    chosen = {}
    for name, (title, column) in FILTERS.items():
        options = sorted(ranked[column].dropna().unique().tolist())
        key = f"filter_{name}"
        if key in st.session_state:  # from the URL: keep only values this estate has (URL values are text)
            st.session_state[key] = [o for o in options if str(o) in map(str, st.session_state[key])]
        chosen[name] = st.sidebar.multiselect(title, options, format_func=lambda v: str(ui.label(v)), key=key)
    return chosen


ui.page(
    "Candidates",
    "Replacement candidates: the systems whose suggested action replaces them, in the order chosen in the "
    "sidebar. Worth replacing means the replacement pays on the evidence (expected NPV above zero); a "
    "replace-type action without it is a case to review, not to fund. Systems to retain are listed apart.",
)
data = ui.estate()
parameters = data.results["parameters_used"]
recorded = dict(zip(parameters["name"], parameters["value"].astype(float), strict=True))
top_n = int(recorded["stability_top_n"])
determination = ranking_determination(data.assessment, parameters, data.results["information_fields"], data.run)
if not determination["determined"]:  # said first: when the evidence cannot separate systems the order is noise
    reason = determination["reason"]
    st.warning(f"{reason[:1].upper()}{reason[1:]}.")
from_url()
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
if st.sidebar.checkbox("Only those worth replacing (expected NPV above zero)", key="only_paying"):
    ranked = ranked[ranked["npv_gbp"] > 0]
filters = filters_ui(ranked)
view = filter_ranking(ranked, **filters)
to_url(order, retain, weights, filters)

st.markdown(f"**Order shown:** {ORDERS[order]}.")
candidates = data.assessment[data.assessment["candidate"].astype(bool)]
paying = int((candidates["npv_gbp"] > 0).sum())
st.markdown(
    f"**{paying:,} of {len(candidates):,} candidates are worth replacing** (expected NPV above zero); the other "
    f"{len(candidates) - paying:,} carry a replace-type action on risk or TIME grounds but do not pay on the "
    "current evidence."
)
agreement = data.results["method_agreement"]
if len(agreement):
    names = METHOD_NAMES
    st.caption(
        f"How far the published methods agree with each other on the candidates: the share of the same systems "
        f"in their top {top_n}, and Kendall's tau (1: the same order; 0: unrelated orders) — "
        + "; ".join(
            f"{names.get(r.method_a, r.method_a)} and {names.get(r.method_b, r.method_b)}: {r.top_n_overlap:.0%} "
            f"the same, tau {r.kendall_tau:.2f}"
            for r in agreement.itertuples()
        )
        + "."
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
score_label = {"estate": "NPV per £ of capex", "weighted": "Weighted score", "cddo": "CDDO score (max 30)",
               "gao": "GAO-style points", "time": "TIME order"}[order]  # fmt: skip
every_column = st.sidebar.checkbox("Show every column", key="every_column")
view = view.assign(worth_replacing=view["npv_gbp"] > 0)
columns = KEY + (MORE if every_column else [])
table = ui.readable(ui.in_millions(view[columns].head(shown)), CODES)
table.insert(3, "page", "System?system=" + table["system_id"].astype(str).map(lambda i: quote(i, safe="")))
st.dataframe(
    table.style.map(lambda rag: ui.RAG_STYLE.get(str(rag).lower(), ""), subset=["risk_rag"]),
    hide_index=True,
    height=min(38 + 35 * len(table), 640),
    column_config=ui.columns(
        table.columns,
        rank=st.column_config.NumberColumn("Rank", format="%d", width=45),
        system_id=st.column_config.TextColumn("System ID", width=90),
        name=st.column_config.TextColumn("Name", width=160),
        page=st.column_config.LinkColumn("Page", display_text="Open", help="The system in full", width=45),
        worth_replacing=st.column_config.CheckboxColumn(
            "Worth it", help="Worth replacing: expected NPV above zero, the replacement pays on the evidence.", width=70
        ),
        suggested_action=st.column_config.TextColumn("Action", help="The suggested action", width=90),
        npv_gbp=ui.money_column(
            "Expected NPV (£m)", "Expected net present value of replacing it (Green Book)", width=120
        ),
        hidden_cost_gbp=ui.money_column("Hidden (£m/yr)", "Hidden cost a year, expected", width=100),
        risk_rag=st.column_config.TextColumn("Risk", width=60),
        score=st.column_config.NumberColumn(score_label, format="%.2f"),
        probability_npv_positive=st.column_config.ProgressColumn(
            "P(NPV > 0)",
            min_value=0.0,
            max_value=1.0,
            format="percent",
            width=95,
            help=ui.column_label("probability_npv_positive"),
        ),
        top_n_stability=st.column_config.ProgressColumn(
            f"Top-{top_n} stable",
            min_value=0.0,
            max_value=1.0,
            format="percent",
            width=100,
            help=f"Probability of staying in the top {top_n} under the joint uncertainty of parameters and inputs",
        ),
    ),
)

csv_column, workbook_column = st.columns(2)
csv_column.download_button(
    "Download this view (csv)",
    csv_text(readable_frame(view[KEY + MORE], CODES)).encode("utf-8"),
    file_name="estate_candidates.csv",
    mime="text/csv",
    on_click=ui.log_view,
    args=("Candidates", "downloaded", "estate_candidates.csv"),
)
if workbook_column.button("Prepare the finance workbook (xlsx) with these weights"):
    from reporting.export import export_finance_workbook

    with st.spinner("Writing the workbook…"), tempfile.TemporaryDirectory() as folder:
        out = export_finance_workbook(ui.result_source(), Path(folder) / "estate_finance.xlsx", weights)
        st.session_state["finance_workbook"] = out.read_bytes()
if "finance_workbook" in st.session_state:
    workbook_column.download_button(
        "Download the finance workbook",
        st.session_state["finance_workbook"],
        file_name="estate_finance.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click=ui.log_view,
        args=("Candidates", "downloaded", "estate_finance.xlsx"),
    )
