"""The results catalogue: every result column declared once, with its type, unit, label, description and format.

The stored types (DuckDB and Parquet), the app's column settings, the finance workbook's and the report's
headers, the CLI's csv and table headers and the generated docs block (docs/model.md, "Result columns")
all read `COLUMNS`. Parts of the model that declare their own columns contribute them here: the cost
components (costing.hidden.COMPONENTS), the hidden-cost percentiles (costing.uncertainty), the model inputs
(costing.inputs.SYSTEM_INPUTS, costing.legacy.EVIDENCE). Adding a result column is one declaration below
(or in the part of the model that contributes it); a test fails when a result table holds an undeclared one.

Kinds say how a value is shown:
- money: GBP (a year where the unit says so); shown in £m in the app, £ in the workbook
- share: 0-1, shown as a percentage; count: whole number; number: a score or ratio
- years: a duration; year: a calendar or financial year; date: a date
- code: a stored code shown as a label ("on_premises" -> "On premises"); text, id: shown as stored
- flag: true/false; json: text holding JSON; draws: a list of Monte Carlo draws
"""

from __future__ import annotations

from dataclasses import dataclass

from costing.hidden import COMPONENTS
from costing.inputs import PRIORS, SYSTEM_INPUTS
from costing.legacy import EVIDENCE
from costing.uncertainty import PERCENTILES

KINDS = ("money", "share", "count", "number", "years", "year", "date", "code", "text", "id", "flag", "json", "draws")
UNITS = {"money": "GBP", "share": "share (0-1)", "count": "count", "years": "years", "year": "year", "date": "date"}


@dataclass(frozen=True)
class Column:
    """One result column: what it is called, stored as, measured in, labelled and means; who contributes it."""

    name: str
    type: str  # DuckDB type as stored (Parquet: its Arrow equivalent)
    kind: str  # how it is shown (KINDS)
    label: str  # what people read: app, workbook, report, CLI table
    description: str
    unit: str = ""  # defaults from the kind; money a year says "GBP a year"
    source: str = "pipeline"  # the part of the model that computes it

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"result column {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def units(self) -> str:
        """Return the unit (declared, else the kind's)."""
        return self.unit or UNITS.get(self.kind, "")

    @property
    def header(self) -> str:
        """Return the label with its unit as a workbook or report header: 'Hidden cost, expected (£/year)'."""
        suffix = {"GBP": " (£)", "GBP a year": " (£/year)"}.get(self.units, "")
        return self.label + suffix

    @property
    def header_millions(self) -> str:
        """Return the label for a table that shows money in £m: 'Hidden cost, expected (£m/year)'."""
        suffix = {"GBP": " (£m)", "GBP a year": " (£m/year)"}.get(self.units, "")
        return self.label + suffix


def _c(name, type_, kind, label, description, unit="", source="pipeline") -> Column:
    return Column(name, type_, kind, label, description, unit, source)


YEARLY = "GBP a year"
_RISK = "costing.risk"
_APPRAISAL = "costing.appraisal"
_GRAPH = "dependency_graph.metrics"
_RANKING = "costing.ranking"
_METHODS = "costing.methods"

_DECLARED = (
    # identity and description of a system (from the inventory)
    _c("system_id", "VARCHAR", "id", "System ID", "The system's identifier in the inventory."),
    _c("name", "VARCHAR", "text", "Name", "The system's name."),
    _c("department", "VARCHAR", "text", "Department", "The department that owns the system."),
    _c("platform", "VARCHAR", "code", "Platform", "Where it runs: mainframe, on premises, cloud, SaaS, ..."),
    _c("technology", "VARCHAR", "text", "Technology", "Its main technology or product."),
    # costs
    _c(
        "reported_cost_gbp",
        "DOUBLE",
        "money",
        "Reported cost",
        "Observed cost lines, the latest financial year per system (blank when none was reported).",
        YEARLY,
        "costing.inputs",
    ),
    _c(
        "imputed_cost_gbp",
        "DOUBLE",
        "money",
        "Imputed cost",
        "Run cost estimated for a system with no cost lines (shown beside the reported cost, never inside it).",
        YEARLY,
        "costing.imputation",
    ),
    _c(
        "run_cost_gbp",
        "DOUBLE",
        "money",
        "Run cost",
        "The run cost the model uses: reported, else imputed, else the prior.",
        YEARLY,
        "costing.inputs",
    ),
    _c(
        "cost_basis",
        "VARCHAR",
        "code",
        "Cost basis",
        "Where the run cost comes from: reported, imputed or assumed.",
        source="costing.inputs",
    ),
    _c(
        "cost_imputed",
        "BOOLEAN",
        "flag",
        "Cost imputed",
        "True when the run cost is imputed.",
        source="costing.imputation",
    ),
    _c(
        "imputed_low_gbp",
        "DOUBLE",
        "money",
        "Imputed cost, P10",
        "Lower end of the imputation's prediction interval.",
        YEARLY,
        "costing.imputation",
    ),
    _c(
        "imputed_high_gbp",
        "DOUBLE",
        "money",
        "Imputed cost, P90",
        "Upper end of the imputation's prediction interval.",
        YEARLY,
        "costing.imputation",
    ),
    _c(
        "legacy_premium_gbp",
        "DOUBLE",
        "money",
        "Legacy premium, expected",
        "Extra cost within the run cost because the system is legacy (the premium components' sum, Monte Carlo mean).",
        YEARLY,
        "costing.hidden",
    ),
    _c(
        "legacy_premium_unobserved_gbp",
        "DOUBLE",
        "money",
        "Legacy premium on imputed or assumed costs, expected",
        "The premium of systems whose run cost is not observed, stated apart from the reported premium.",
        YEARLY,
        "costing.uncertainty",
    ),
    _c(
        "hidden_cost_gbp",
        "DOUBLE",
        "money",
        "Hidden cost, expected",
        "Off-ledger business and people cost of keeping the system (the hidden components' sum, Monte Carlo mean).",
        YEARLY,
        "costing.hidden",
    ),
    _c(
        "total_cost_of_legacy_gbp",
        "DOUBLE",
        "money",
        "Cost of legacy, expected",
        "Legacy premium plus hidden cost.",
        YEARLY,
        "costing.uncertainty",
    ),
    _c(
        "assumed_share",
        "DOUBLE",
        "share",
        "Resting on assumptions",
        "Share of the system's hidden cost that rests on assumed (prior) inputs.",
        source="costing.uncertainty",
    ),
    _c(
        "outliers",
        "VARCHAR",
        "text",
        "Outlier inputs",
        "Inputs far beyond the estate's typical values (blank when none).",
        source="costing.model",
    ),
    _c(
        "breach_probability",
        "DOUBLE",
        "share",
        "Breach probability a year",
        "Chance of a security breach in a year.",
        source="costing.hidden",
    ),
    # appraisal
    _c(
        "replacement_capex_gbp",
        "DOUBLE",
        "money",
        "Replacement capex, expected",
        "Capital cost of the replacement with optimism bias, expected.",
        source=_APPRAISAL,
    ),
    _c(
        "replacement_capex_p10_gbp",
        "DOUBLE",
        "money",
        "Replacement capex, P10",
        "Tenth percentile of the capex.",
        source=_APPRAISAL,
    ),
    _c(
        "replacement_capex_p90_gbp",
        "DOUBLE",
        "money",
        "Replacement capex, P90",
        "Ninetieth percentile of the capex.",
        source=_APPRAISAL,
    ),
    _c(
        "capex_estimated",
        "BOOLEAN",
        "flag",
        "Capex estimated",
        "True when no replacement cost estimate was given (capex from the run cost).",
        source=_APPRAISAL,
    ),
    _c(
        "replacement_duration_years",
        "DOUBLE",
        "years",
        "Replacement duration, expected",
        "Years the replacement takes, with optimism bias.",
        source=_APPRAISAL,
    ),
    _c(
        "replacement_years_p10",
        "DOUBLE",
        "years",
        "Replacement duration, P10",
        "Tenth percentile of the duration.",
        source=_APPRAISAL,
    ),
    _c(
        "replacement_years_p90",
        "DOUBLE",
        "years",
        "Replacement duration, P90",
        "Ninetieth percentile of the duration.",
        source=_APPRAISAL,
    ),
    _c(
        "npv_gbp",
        "DOUBLE",
        "money",
        "NPV, expected",
        "Economic net present value of acting now against business as usual (Green Book, over the appraisal period).",
        source=_APPRAISAL,
    ),
    _c("npv_p10_gbp", "DOUBLE", "money", "NPV, P10", "Tenth percentile of the NPV.", source=_APPRAISAL),
    _c("npv_p90_gbp", "DOUBLE", "money", "NPV, P90", "Ninetieth percentile of the NPV.", source=_APPRAISAL),
    _c(
        "cash_npv_gbp",
        "DOUBLE",
        "money",
        "Cash NPV, expected",
        "NPV of cash flows only (no non-cash benefits, no residual value).",
        source=_APPRAISAL,
    ),
    _c("cash_npv_p10_gbp", "DOUBLE", "money", "Cash NPV, P10", "Tenth percentile of the cash NPV.", source=_APPRAISAL),
    _c(
        "cash_npv_p90_gbp",
        "DOUBLE",
        "money",
        "Cash NPV, P90",
        "Ninetieth percentile of the cash NPV.",
        source=_APPRAISAL,
    ),
    _c(
        "probability_npv_positive",
        "DOUBLE",
        "share",
        "P(NPV > 0)",
        "Share of Monte Carlo draws in which acting now beats business as usual.",
        source=_APPRAISAL,
    ),
    _c(
        "benefit_cost_ratio",
        "DOUBLE",
        "number",
        "Benefit-cost ratio",
        "Present value of benefits over present value of costs.",
        source=_APPRAISAL,
    ),
    _c(
        "npv_per_capex",
        "DOUBLE",
        "number",
        "NPV per £ of capex",
        "Expected NPV over expected capex: the decision measure.",
        source=_APPRAISAL,
    ),
    _c(
        "payback_year",
        "DOUBLE",
        "years",
        "Payback year",
        "Years until the cumulative discounted net benefit turns positive (blank when never within the period).",
        source=_APPRAISAL,
    ),
    _c(
        "cost_of_delay_gbp",
        "DOUBLE",
        "money",
        "Cost of a year's delay",
        "Expected NPV of acting now less that of acting a year later (positive: waiting costs money).",
        source=_APPRAISAL,
    ),
    # risk
    _c("impact", "DOUBLE", "number", "Impact (1-5)", "Impact of failure, 1-5.", source=_RISK),
    _c("likelihood", "DOUBLE", "number", "Likelihood (1-5)", "Likelihood of failure, 1-5.", source=_RISK),
    _c("risk_score", "DOUBLE", "number", "Risk score (1-25)", "Impact x likelihood.", source=_RISK),
    _c("risk_rag", "VARCHAR", "code", "Risk", "Red, amber or green from the risk score.", source=_RISK),
    _c("cddo_risk", "VARCHAR", "code", "CDDO risk", "Red, amber or green on CDDO's framework.", source=_METHODS),
    _c(
        "risk_disagrees",
        "BOOLEAN",
        "flag",
        "Risk ratings disagree",
        "True when estate's and CDDO's red/amber/green differ.",
        source=_METHODS,
    ),
    _c(
        "cddo_likelihood",
        "DOUBLE",
        "number",
        "CDDO likelihood",
        "CDDO Legacy IT Risk Assessment likelihood (highest criterion, 1-7).",
        source=_METHODS,
    ),
    _c("cddo_impact", "DOUBLE", "number", "CDDO impact", "CDDO impact (highest criterion, 1-6).", source=_METHODS),
    _c("cddo_score", "DOUBLE", "number", "CDDO score", "CDDO likelihood x impact.", source=_METHODS),
    _c("cddo_red", "BOOLEAN", "flag", "CDDO red", "True when the CDDO score is red.", source=_METHODS),
    _c(
        "cddo_legacy", "BOOLEAN", "flag", "CDDO legacy", "True when CDDO's likelihood makes it legacy.", source=_METHODS
    ),
    _c(
        "cddo_derived_criteria",
        "BIGINT",
        "count",
        "CDDO criteria derived",
        "CDDO criteria estate derived from inputs because the department gave no score.",
        source=_METHODS,
    ),
    _c(
        "gao_points",
        "DOUBLE",
        "number",
        "GAO points",
        "A GAO-style points profile of age, support and risk.",
        source=_METHODS,
    ),
    _c(
        "technical_fit",
        "DOUBLE",
        "number",
        "Technical fit (0-100)",
        "How well the technology fits (TIME).",
        source=_RISK,
    ),
    _c(
        "business_value",
        "DOUBLE",
        "number",
        "Business value (0-100)",
        "How much the business relies on it (TIME).",
        source=_RISK,
    ),
    _c(
        "time_quadrant",
        "VARCHAR",
        "code",
        "TIME quadrant",
        "Gartner's TIME: tolerate, invest, migrate or eliminate.",
        source=_RISK,
    ),
    _c(
        "suggested_action",
        "VARCHAR",
        "code",
        "Suggested action",
        "One of the 6 Rs: retain, retire, rehost, replatform, refactor, repurchase.",
        source=_RISK,
    ),
    _c("action_reason", "VARCHAR", "text", "Why", "The rule that chose the action.", source=_RISK),
    # ranking
    _c(
        "rank",
        "BIGINT",
        "count",
        "Rank",
        "Position in the ranking: candidates first, by the decision measure.",
        source=_RANKING,
    ),
    _c(
        "score",
        "DOUBLE",
        "number",
        "Score",
        "The ranking's measure (NPV per £ of capex, or the method's score).",
        source=_RANKING,
    ),
    _c(
        "candidate",
        "BOOLEAN",
        "flag",
        "Replacement candidate",
        "True when the suggested action replaces the system.",
        source=_RANKING,
    ),
    _c(
        "top_n_stability",
        "DOUBLE",
        "share",
        "Top-N stability",
        "Share of Monte Carlo draws in which the system is in the top N candidates.",
        source=_RANKING,
    ),
    _c("ease", "DOUBLE", "number", "Ease (0-1)", "How easy the replacement is, from its coupling.", source=_RANKING),
    _c(
        "legacy",
        "DOUBLE",
        "share",
        "Legacy",
        "The legacy indicator the model used (a probability where the status is assumed).",
        source="costing.legacy",
    ),
    _c(
        "legacy_probability",
        "DOUBLE",
        "share",
        "P(legacy)",
        "Probability that the system is legacy, from its evidence.",
        source="costing.legacy",
    ),
    _c(
        "legacy_status",
        "VARCHAR",
        "code",
        "Legacy status",
        "observed legacy, observed modern, or assumed (from evidence).",
        source="costing.legacy",
    ),
    # graph metrics
    _c("fan_in", "BIGINT", "count", "Fan-in", "Interfaces into the system.", source=_GRAPH),
    _c("fan_out", "BIGINT", "count", "Fan-out", "Interfaces out of the system.", source=_GRAPH),
    _c("manual_interfaces", "BIGINT", "count", "Manual interfaces", "Interfaces run by hand.", source=_GRAPH),
    _c(
        "cross_department_interfaces",
        "BIGINT",
        "count",
        "Cross-department interfaces",
        "Interfaces with another department's systems.",
        source=_GRAPH,
    ),
    _c(
        "centrality", "DOUBLE", "number", "Centrality", "PageRank of the system in the dependency graph.", source=_GRAPH
    ),
    _c(
        "betweenness",
        "DOUBLE",
        "number",
        "Betweenness",
        "Share of shortest paths through the system (sampled above 5,000 systems).",
        source=_GRAPH,
    ),
    _c("blast_radius", "BIGINT", "count", "Blast radius", "Systems transitively downstream of it.", source=_GRAPH),
    _c(
        "upstream_dependencies",
        "BIGINT",
        "count",
        "Upstream dependencies",
        "Systems it transitively depends on.",
        source=_GRAPH,
    ),
    _c(
        "cluster_id",
        "BIGINT",
        "count",
        "Cluster",
        "Its coupled cluster (systems in one dependency cycle); blank when alone.",
        source=_GRAPH,
    ),
    _c("cluster_size", "BIGINT", "count", "Cluster size", "Systems in its coupled cluster.", source=_GRAPH),
    _c("component_id", "BIGINT", "count", "Connected component", "Its weakly connected component.", source=_GRAPH),
    _c("wave", "BIGINT", "count", "Wave", "Modernisation wave: after every provider it depends on.", source=_GRAPH),
    _c(
        "betweenness_sources",
        "BIGINT",
        "count",
        "Betweenness sources",
        "Source systems used for betweenness (all when exact).",
        source=_GRAPH,
    ),
    _c(
        "source_department",
        "VARCHAR",
        "text",
        "From department",
        "Department of the interfaces' source systems.",
        source=_GRAPH,
    ),
    _c(
        "target_department",
        "VARCHAR",
        "text",
        "To department",
        "Department of the interfaces' target systems.",
        source=_GRAPH,
    ),
    _c("interfaces", "BIGINT", "count", "Interfaces", "Interfaces counted.", source=_GRAPH),
    _c(
        "cross_department_share",
        "DOUBLE",
        "share",
        "Cross-department share",
        "Share of the department's interfaces that cross to another department.",
        source=_GRAPH,
    ),
    _c("kind", "VARCHAR", "code", "Finding", "What the graph check found.", source=_GRAPH),
    _c("interface_id", "VARCHAR", "id", "Interface", "The interface's identifier.", source=_GRAPH),
    _c("detail", "VARCHAR", "text", "Detail", "What the finding is about.", source=_GRAPH),
    # parameters
    _c(
        "value",
        "DOUBLE",
        "number",
        "Value",
        "The parameter's central (most likely) value.",
        source="costing.parameters",
    ),
    _c(
        "low", "DOUBLE", "number", "Low", "Low end of the range (P10 for a missing field).", source="costing.parameters"
    ),
    _c(
        "high",
        "DOUBLE",
        "number",
        "High",
        "High end of the range (P90 for a missing field).",
        source="costing.parameters",
    ),
    _c("unit", "VARCHAR", "text", "Unit", "The unit of the value.", source="costing.parameters"),
    _c("description", "VARCHAR", "text", "Meaning", "What the parameter is.", source="costing.parameters"),
    _c(
        "source",
        "VARCHAR",
        "text",
        "Source",
        "Where the value comes from (or `assumption:` and why).",
        source="costing.parameters",
    ),
    _c(
        "confidence",
        "VARCHAR",
        "code",
        "Confidence",
        "How far the source supports the value.",
        source="costing.parameters",
    ),
    # rollups, coverage, calibration
    _c("category", "VARCHAR", "code", "Category", "Cost category of the lines.", source="costing.inputs"),
    _c("input", "VARCHAR", "code", "Input", "A model input.", source="costing.inputs"),
    _c(
        "systems_observed",
        "BIGINT",
        "count",
        "Systems observed",
        "Systems whose inventory gives the input.",
        source="costing.inputs",
    ),
    _c(
        "share_of_systems",
        "DOUBLE",
        "share",
        "Share of systems",
        "Share of systems that give the input.",
        source="costing.inputs",
    ),
    _c(
        "share_of_reported_cost",
        "DOUBLE",
        "share",
        "Share of reported cost",
        "Share of the reported cost on systems that give the input.",
        source="costing.inputs",
    ),
    _c(
        "anchor",
        "VARCHAR",
        "text",
        "Anchor",
        "A published figure estate is checked against.",
        source="costing.calibration",
    ),
    _c(
        "published",
        "DOUBLE",
        "number",
        "Published",
        "The published value (blank when it is a range only).",
        source="costing.calibration",
    ),
    _c(
        "estate",
        "DOUBLE",
        "number",
        "This estate",
        "This estate's value of the same measure.",
        source="costing.calibration",
    ),
    # ranking methods
    _c("method_a", "VARCHAR", "code", "Method", "One ranking method.", source=_METHODS),
    _c("method_b", "VARCHAR", "code", "Compared with", "The other ranking method.", source=_METHODS),
    _c(
        "kendall_tau",
        "DOUBLE",
        "number",
        "Kendall tau",
        "Rank correlation over the candidates (1: the same order).",
        source=_METHODS,
    ),
    _c(
        "top_n_overlap",
        "DOUBLE",
        "share",
        "Top-N overlap",
        "Share of the top N the two methods share.",
        source=_METHODS,
    ),
    _c("candidates", "BIGINT", "count", "Candidates", "Replacement candidates compared.", source=_METHODS),
    _c("method", "VARCHAR", "code", "Method", "The ranking method.", source=_METHODS),
    _c("estate_rank", "BIGINT", "count", "estate rank", "Rank by estate's decision measure.", source=_METHODS),
    _c("method_rank", "BIGINT", "count", "Method rank", "Rank by the method.", source=_METHODS),
    _c("reason", "VARCHAR", "text", "Why they differ", "What drives the method's different rank.", source=_METHODS),
    # value of information
    _c(
        "parameter_group",
        "VARCHAR",
        "text",
        "Parameter group",
        "Parameters whose uncertainty is valued together.",
        source="costing.information",
    ),
    _c("parameters", "VARCHAR", "text", "Parameters", "The group's parameters.", source="costing.information"),
    _c(
        "evppi_gbp",
        "DOUBLE",
        "money",
        "EVPPI",
        "Expected value of partial perfect information over the replace-or-keep decisions.",
        source="costing.information",
    ),
    _c(
        "noise_floor_gbp",
        "DOUBLE",
        "money",
        "Noise floor",
        "What the group's draws score when permuted: EVPPI below it is noise.",
        source="costing.information",
    ),
    _c(
        "field",
        "VARCHAR",
        "code",
        "Missing field",
        "An input the inventory lacks for the system.",
        source="costing.information",
    ),
    _c(
        "value_gbp",
        "DOUBLE",
        "money",
        "Value of learning it",
        "Expected value of learning the field, at central parameters.",
        source="costing.information",
    ),
    _c(
        "npv_swing_gbp",
        "DOUBLE",
        "money",
        "NPV swing",
        "NPV at the field's P90 less at its P10.",
        source="costing.information",
    ),
    # model inputs the cost model read
    _c("retire", "BOOLEAN", "flag", "Retire", "True when the system is to be retired, not replaced.", source=_RISK),
    _c(
        "replacement_cost_estimate_gbp",
        "DOUBLE",
        "money",
        "Replacement cost estimate",
        "The business case's capex estimate, where one was given.",
        source="costing.inputs",
    ),
    _c(
        "replacement_years",
        "DOUBLE",
        "years",
        "Replacement years estimate",
        "The business case's duration, where given.",
        source="costing.inputs",
    ),
    _c(
        "legacy_assumed",
        "BOOLEAN",
        "flag",
        "Legacy status assumed",
        "True when the legacy status is not observed.",
        source="costing.legacy",
    ),
    _c(
        "npv_per_capex_draws",
        "FLOAT[]",
        "draws",
        "NPV per £ of capex, draws",
        "The decision measure in each kept Monte Carlo draw.",
        source="costing.uncertainty",
    ),
    # the run
    _c("as_of", "DATE", "date", "Assessed at", "The date the costs are assessed at."),
    _c("seed", "BIGINT", "count", "Seed", "The seed of the Monte Carlo, imputation and sampling."),
    _c("draws", "BIGINT", "count", "Draws", "Monte Carlo draws."),
    _c("betweenness_samples", "BIGINT", "count", "Betweenness samples", "Sources sampled above 5,000 systems."),
    _c("parameter_files", "VARCHAR", "json", "Parameter files", "The parameter files read, in order."),
    _c(
        "parameter_file_text", "VARCHAR", "text", "Parameter file", "The --params file's text (blank for the defaults)."
    ),
    _c(
        "imputation_method",
        "VARCHAR",
        "text",
        "Imputation method",
        "How missing run costs were estimated.",
        source="costing.imputation",
    ),
    _c(
        "imputation_training_rows",
        "BIGINT",
        "count",
        "Imputation training rows",
        "Systems with observed costs it learnt from.",
        source="costing.imputation",
    ),
    _c(
        "imputation_cv_mape",
        "DOUBLE",
        "share",
        "Imputation error (MAPE)",
        "Cross-validated mean absolute percentage error.",
        source="costing.imputation",
    ),
    _c(
        "imputation_cv_mdape",
        "DOUBLE",
        "share",
        "Imputation error (MdAPE)",
        "Cross-validated median absolute percentage error.",
        source="costing.imputation",
    ),
    _c(
        "imputation_interval_coverage",
        "DOUBLE",
        "share",
        "Interval coverage",
        "Share of held-out costs inside the P10-P90 interval.",
        source="costing.imputation",
    ),
    _c(
        "imputation_smearing_factor",
        "DOUBLE",
        "number",
        "Smearing factor",
        "Duan's retransformation factor.",
        source="costing.imputation",
    ),
    _c(
        "estate_legacy_premium_gbp",
        "DOUBLE",
        "money",
        "Estate legacy premium, expected",
        "Sum over systems with observed costs.",
        YEARLY,
        "costing.uncertainty",
    ),
    _c(
        "estate_legacy_premium_unobserved_gbp",
        "DOUBLE",
        "money",
        "Estate legacy premium on imputed or assumed costs",
        "Sum over systems without observed costs.",
        YEARLY,
        "costing.uncertainty",
    ),
    _c(
        "estate_hidden_cost_gbp",
        "DOUBLE",
        "money",
        "Estate hidden cost, expected",
        "The headline.",
        YEARLY,
        "costing.uncertainty",
    ),
    _c(
        "estate_implied_breaches_per_year",
        "DOUBLE",
        "number",
        "Implied breaches a year",
        "Expected breaches across the estate (a sanity figure).",
        source="costing.uncertainty",
    ),
    _c(
        "estate_assumed_hidden_gbp",
        "DOUBLE",
        "money",
        "Hidden cost resting on assumptions",
        "The part of the headline that rests on assumed inputs.",
        YEARLY,
        "costing.uncertainty",
    ),
    _c("ranking_top_n", "BIGINT", "count", "Top N", "The N of top-N stability.", source=_RANKING),
    _c(
        "ranking_stability",
        "DOUBLE",
        "share",
        "Ranking stability",
        "Mean top-N stability of the top N.",
        source=_RANKING,
    ),
    _c(
        "ranking_chance",
        "DOUBLE",
        "share",
        "Chance",
        "Top-N stability of systems the evidence cannot tell apart.",
        source=_RANKING,
    ),
    _c("warnings", "VARCHAR", "json", "Warnings", "What the analysis warned about."),
    _c("import_ids", "VARCHAR", "text", "Inputs", "The imports (or the source) the analysis read."),
    _c(
        "inputs_sha256",
        "VARCHAR",
        "text",
        "Inputs fingerprint",
        "SHA-256 of the imported files, their mapping "
        "profiles and import order: results are read only beside the inputs they were computed from.",
    ),
)

# inputs as the cost model read them (model_inputs): floats, with their observed/assumed flags
_INPUT_LABELS = {
    "years_past_end_of_support": ("Years past end of support", "years"),
    "end_of_support_known": ("End of support known", "share"),
    "licence_cost_gbp": ("Licence and support contract cost", "money"),
    "staff_cost_gbp": ("Staff cost", "money"), "hosting_cost_gbp": ("Hosting cost", "money"),
    "support_fte": ("Support FTE", "number"), "scarce_skills": ("Scarce skills", "share"),
    "manual_workaround_hours_per_month": ("Manual workaround hours a month", "number"),
    "known_vulnerabilities": ("Known vulnerabilities", "number"), "outage_hours_per_year": ("Outage hours a year",
                                                                                              "number"),
    "users": ("Users", "number"), "mainframe": ("Mainframe", "share"), "on_premises": ("On premises", "share"),
    "blocked_dependents": ("Direct dependents, shared", "number"), "criticality_score": ("Criticality", "number"),
    "optimism_bias_mitigation": ("Optimism bias mitigated", "share"), "esu_microsoft": ("Microsoft ESU", "share"),
}  # fmt: skip
_EXISTING = {c.name for c in _DECLARED}
_INPUTS = tuple(
    _c(name, "DOUBLE", kind, label, f"{label}, as the cost model read it (where the inventory lacks it, see the "
       "input's _assumed flag).", YEARLY if kind == "money" else "", "costing.inputs")
    for name, (label, kind) in _INPUT_LABELS.items() if name not in _EXISTING
)  # fmt: skip
_ASSUMED = tuple(
    _c(f"{name}_assumed", "BOOLEAN", "flag", f"{_INPUT_LABELS[name][0]} assumed", f"True when {name} is drawn from "
       "its prior (the inventory lacks it).", source="costing.inputs")
    for name in PRIORS
)  # fmt: skip
_EVIDENCE = tuple(
    _c(name, "DOUBLE", "number", name.removeprefix("evidence_").replace("_", " ").capitalize() + " (evidence)",
       f"Evidence of legacy status, weighed by the likelihood ratio {ratio}.", source="costing.legacy")
    for name, ratio in EVIDENCE.items()
)  # fmt: skip
_COMPONENTS = tuple(
    _c(c.column, "DOUBLE", "money", f"{c.label}, expected", f"{c.formula} ({c.part.replace('_', ' ')}, {c.kind})",
       YEARLY, "costing.hidden")
    for c in COMPONENTS
)  # fmt: skip
_PERCENTILES = tuple(
    _c(f"{prefix}hidden_cost_p{q}_gbp", "DOUBLE", "money", f"{label}hidden cost, P{q}",
       f"{q}th percentile of the {label.lower()}hidden cost over the Monte Carlo draws.", YEARLY,
       "costing.uncertainty")
    for prefix, label in (("", ""), ("estate_", "Estate ")) for q in PERCENTILES
)  # fmt: skip

COLUMNS: dict[str, Column] = {c.name: c for c in (*_DECLARED, *_INPUTS, *_ASSUMED, *_EVIDENCE, *_COMPONENTS,
                                                   *_PERCENTILES)}  # fmt: skip
assert len(COLUMNS) == len(_DECLARED) + len(_INPUTS) + len(_ASSUMED) + len(_EVIDENCE) + len(_COMPONENTS) + len(
    _PERCENTILES), "a result column is declared twice"  # fmt: skip
assert set(SYSTEM_INPUTS) <= set(COLUMNS), "every model input is a declared column"


def column(name: str) -> Column:
    """Return a declared result column; raise KeyError naming an undeclared one."""
    try:
        return COLUMNS[name]
    except KeyError:
        raise KeyError(f"result column {name!r} is not declared in pipeline.catalogue") from None


def labels(names=None) -> dict[str, str]:
    """Return name -> label for `names` (default: every declared column)."""
    return {n: COLUMNS[n].label for n in (names if names is not None else COLUMNS)}
