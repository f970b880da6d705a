"""Assumptions: every parameter with value, range and source, and a scenario editor for this session."""

import streamlit as st

from app import ui
from costing.scenario import SCENARIO_DRAWS, compare_scenario
from pipeline.results import recorded_parameters
from reporting.text import plain_number
from reporting.views import component_formulas

SCENARIO_BUDGET = 5_000_000  # systems x draws run twice at interactive speed (about 2 s each on 2 cores)
AT_MOST_ONE = ("probability", "probability/year", "fraction/year")  # units of a fixed parameter capped at 1

ui.page(
    "Assumptions",
    "Every number the cost model uses, with its unit, range and source. Change some below to see their effect; "
    "changes last for this browser session only and are never stored.",
)
data = ui.estate()
table = data.results["parameters_used"]
shown = table.assign(label=table["description"])
shown = shown.assign(**{f"{c}_text": shown[c].map(plain_number) for c in ("value", "low", "high")})  # 3,580,000
picked = st.dataframe(
    shown[["label", "value_text", "low_text", "high_text", "unit", "confidence", "name"]],
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="parameter_table",
    column_config={
        "label": st.column_config.TextColumn("Parameter", width="large"),
        "value_text": st.column_config.TextColumn("Value", width=80),
        "low_text": st.column_config.TextColumn("Low", help="The low end of the range drawn from", width=80),
        "high_text": st.column_config.TextColumn("High", help="The high end of the range drawn from", width=80),
        "unit": "Unit",
        "confidence": st.column_config.TextColumn(
            "Confidence",
            help="high: a published figure; medium: a published figure applied by analogy; "
            "low: no public figure, an assumption with its reasoning",
        ),
        "name": st.column_config.TextColumn("Name in the parameter file", width="medium"),
    },
)
rows = picked.selection.rows if picked is not None else []
chosen = shown.iloc[rows[0]] if rows else None
if chosen is None:
    st.caption("Select a row to read the parameter's source in full.")
else:
    st.markdown(
        f"**{ui.plain(chosen['label'])}** (`{chosen['name']}`): {chosen['value_text']} {ui.plain(chosen['unit'])}, "
        f"range {chosen['low_text']}–{chosen['high_text']}, confidence {chosen['confidence']}."
    )
    st.text(f"Source: {chosen['source']}")
with st.expander("How each hidden-cost component is calculated"):
    for label, formula in component_formulas().items():
        st.markdown(f"**{label}**: {formula}")
st.caption(
    f"Imputation of missing run costs: {data.run['imputation_method']}; cross-validated error (MAPE) "
    f"{data.run['imputation_cv_mape']:.0%}, P10–P90 interval coverage {data.run['imputation_interval_coverage']:.0%}."
)


def scenario_ui(parameters) -> dict[str, float]:
    """Read the scenario editor: which parameters to change and their new values."""
    chosen = st.multiselect(
        "Parameters to change",
        sorted(parameters.values),
        format_func=lambda name: f"{parameters.values[name].description} ({name})",
        help="Pick one or more, then set their values.",
    )
    changes = {}
    for name in chosen:
        p = parameters.values[name]
        # a sourced range bounds what can be tried; a fixed rate or probability stays within 0-1
        low, high = (p.low, p.high) if p.uncertain else (0.0, 1.0 if p.unit in AT_MOST_ONE else None)
        changes[name] = st.number_input(
            f"{p.description} ({p.unit}); recorded {p.value:g}, range {p.low:g}–{p.high:g}",
            value=float(p.value),
            min_value=float(low),
            max_value=None if high is None else float(high),
            format="%g",
            key=f"scenario_{name}",
            help="Values outside the parameter's range in the parameter file (or above 100% for a fixed rate) are "
            "refused: change the file and run `estate analyse --parameters FILE` to go beyond it.",
        )
    return changes


def scenario_draws(systems: int) -> int:
    """Return the recorded number of draws (so the baseline is the stored analysis), fewer for a large estate."""
    recorded = int(data.run["draws"])
    return recorded if systems * recorded <= SCENARIO_BUDGET else SCENARIO_DRAWS


@st.cache_data(show_spinner="Running the cost model twice (recorded and scenario)…", max_entries=16)
def run_scenario(key: tuple, changes: tuple[tuple[str, float], ...]):
    del key  # the database fingerprint: results are recomputed when it changes
    parameters = recorded_parameters(data.results["parameters_used"])
    inputs = ui.scenario_inputs()
    model_inputs = (inputs.systems, inputs.costs, inputs.interfaces, data.results["system_metrics"])
    draws = scenario_draws(len(inputs.systems))
    return compare_scenario(
        model_inputs, parameters, dict(changes), data.run["as_of"].date(), int(data.run["seed"]), draws
    ), draws


st.header("Scenario")
parameters = recorded_parameters(table)
changes = scenario_ui(parameters)
if not changes:
    st.info("Choose a parameter above to see how the estate total and the ranking change.")
    st.stop()
result, draws = run_scenario(ui.fingerprint(), tuple(sorted(changes.items())))
if draws == int(data.run["draws"]):
    st.caption(f"Both runs use the recorded {draws:,} Monte Carlo draws and seed: the baseline is the stored analysis "
               "and only your changes differ.")  # fmt: skip
else:
    st.caption(f"Both runs use {draws:,} Monte Carlo draws (the analysis used {int(data.run['draws']):,}; fewer keep "
               "a large estate interactive) and the recorded seed, so only your changes differ.")  # fmt: skip
st.dataframe(
    ui.in_millions(result.totals, ["baseline", "scenario", "change"]),
    hide_index=True,
    column_config={
        "measure": "Measure",
        "baseline": ui.money_column("Recorded parameters (£m)"),
        "scenario": ui.money_column("Scenario (£m)"),
        "change": ui.money_column("Change (£m)"),
        "change_share": st.column_config.NumberColumn("Change (%)", format="percent"),
    },
)
st.subheader("Ranking under the scenario (top 20)")
st.dataframe(
    ui.in_millions(result.ranking.head(20), ["hidden_cost_gbp"]),
    hide_index=True,
    column_config={
        **ui.ranking_columns(),
        "score": st.column_config.NumberColumn(
            "NPV per £ of capex", format="%.2f", help="The decision measure the ranking orders candidates by"
        ),
        "baseline_rank": st.column_config.NumberColumn("Recorded rank", format="%d"),
        "moved": st.column_config.NumberColumn("Places moved (+ up)", format="%+d"),
    },
)
