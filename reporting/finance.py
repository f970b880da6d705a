"""The finance workbook: live formulas on a named Assumptions sheet, so analysts can audit and change them.

Every figure that is arithmetic on other cells is a formula (hidden-cost components, totals,
discount factors, NPV, payback, cost of delay, scores, department sums); Monte Carlo
percentiles, imputed costs and stability shares are values, labelled as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from costing.appraisal import capex_and_duration
from costing.hidden import COMPONENTS, LEGACY_PREMIUM, Component, hidden_components
from costing.inputs import input_arrays
from costing.ranking import RANKING_CRITERIA, criteria_matrix, score
from costing.uncertainty import PERCENTILE_COLUMNS
from estate.files import atomic_path
from estate.workbook import close_workbook
from pipeline.catalogue import COLUMNS
from reporting.text import is_formula_like

GBP = "£#,##0;-£#,##0"
SYSTEM_FIELDS = (  # the Systems sheet: model inputs and assessment columns, labelled by the results catalogue
    "system_id", "name", "department", "platform", "technology", "run_cost_gbp", "cost_basis", "licence_cost_gbp",
    "staff_cost_gbp", "hosting_cost_gbp", "years_past_end_of_support", "end_of_support_known", "support_fte",
    "scarce_skills", "manual_workaround_hours_per_month", "manual_interfaces", "known_vulnerabilities",
    "outage_hours_per_year", "users", "mainframe", "on_premises", "legacy", "blocked_dependents",
    "replacement_cost_estimate_gbp", "replacement_years", "criticality_score", "optimism_bias_mitigation", "retire",
    "esu_microsoft",
)  # fmt: skip
WORKBOOK_NOTES = {  # how a cell codes its value, beside the catalogue's label
    **dict.fromkeys(("end_of_support_known", "scarce_skills", "mainframe", "on_premises", "retire", "esu_microsoft"),
                    "1/0"),
    "legacy": "probability", "criticality_score": "1-5, 3 if unknown", "optimism_bias_mitigation": "0-1",
}  # fmt: skip
SYSTEM_COLUMNS = tuple(  # (column, header)
    (name, COLUMNS[name].header + (f" ({WORKBOOK_NOTES[name]})" if name in WORKBOOK_NOTES else ""))
    for name in SYSTEM_FIELDS
)
MONEY_COLUMNS = {name for name in SYSTEM_FIELDS if COLUMNS[name].kind == "money"}
TEXT_COLUMNS = {name for name in SYSTEM_FIELDS if COLUMNS[name].type == "VARCHAR"}


@dataclass
class FinanceInputs:
    """What the workbook is built from: stored results of `estate analyse`."""

    assessment: pd.DataFrame  # system_assessment
    inputs: pd.DataFrame  # model_inputs
    parameters: pd.DataFrame  # parameters_used
    departments: pd.DataFrame  # department_costs
    reported: pd.DataFrame  # cost lines: system_id, financial_year, category, amount_gbp
    imports: pd.DataFrame  # file_name, sha256, imported_at
    run: dict[str, object]  # cost_model_runs row
    version: str
    # systems without formula rows (beyond the itemised highest-ranked), per department: systems,
    # run_cost_gbp, hidden_cost_gbp (indexed by department); empty when every system is itemised
    not_itemised: pd.DataFrame = field(default_factory=pd.DataFrame)


class _FastFormulaWorksheet(xlsxwriter.worksheet.Worksheet):
    """A worksheet that skips xlsxwriter's 29 regex passes per formula when no newer Excel function appears.

    xlsxwriter rewrites dynamic-array and "future" functions (XLOOKUP -> _xlfn.XLOOKUP ...) with one
    regex substitution each; with hundreds of thousands of formulas that dominated the export. One
    search for any such name decides whether the full rewrite is needed.
    """

    _NEWER = re.compile(r"\b(?:_xlfn\.|[A-Z][A-Z.]*[A-Z])\(")
    _CLASSIC = frozenset(
        {
            "IF",
            "MIN",
            "MAX",
            "INT",
            "SUM",
            "SUMPRODUCT",
            "IFERROR",
            "MATCH",
            "ISNUMBER",
            "AND",
            "COUNTIF",
            "SUMIFS",
            "LN",
            "LOG10",
        }
    )

    _DIGITS = str.maketrans("", "", "0123456789")
    _classic_shapes: ClassVar[dict[str, bool]] = {}  # a formula with its row numbers removed -> only classic functions

    def _prepare_formula(self, formula, expand_future_functions=False):
        shape = formula.translate(self._DIGITS)  # every row's formula of a column has one shape: decided once
        classic = self._classic_shapes.get(shape)
        if classic is None:
            names = {m.group(0)[:-1] for m in self._NEWER.finditer(formula)}
            classic = self._classic_shapes.setdefault(shape, names <= self._CLASSIC)
        if classic:
            return formula.removeprefix("=")
        return super()._prepare_formula(formula, expand_future_functions)


class _Sheet:
    """A worksheet with a header row, GBP formats and text written so it can never execute."""

    def __init__(self, book: xlsxwriter.Workbook, name: str, headers: list[str], formats: dict):
        self.sheet = book.add_worksheet(name, worksheet_class=_FastFormulaWorksheet)
        self.formats = formats
        self.name = name
        for c, header in enumerate(headers):  # readable headers: wrapped in a taller first row
            self.sheet.write_string(0, c, header, formats["bold_wrap"])
            self.sheet.set_column(c, c, max(12, min(24, len(header) + 2)))
        self.sheet.set_row(0, 15 * (1 + max((len(h) for h in headers), default=0) // 22))
        self.sheet.freeze_panes(1, 1)
        self.headers = headers

    def text(self, row: int, col: int, value: object) -> None:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return
        text = str(value)
        self.sheet.write_string(row, col, text, self.formats["quoted"] if is_formula_like(text) else None)

    def number(self, row: int, col: int, value: object, money: bool = False, percent: bool = False) -> None:
        try:
            number = float(value)
        except TypeError:  # None, pd.NA and NaT: no number
            return
        if number != number:  # NaN
            return
        shown = self.formats["gbp"] if money else self.formats["percent"] if percent else None
        self.sheet.write_number(row, col, number, shown)

    def percentiles(self, row: int, col: int, values) -> None:
        """Write the Monte Carlo P10 and P90 of hidden cost (values, not formulas) from `col` on."""
        for offset, column in enumerate(PERCENTILE_COLUMNS):
            self.number(row, col + offset, values[column], money=True)

    def formula(self, row: int, col: int, formula: str, value: float | str, money: bool = True) -> None:
        cached = "" if isinstance(value, float) and pd.isna(value) else value
        self.sheet.write_formula(row, col, formula, self.formats["gbp"] if money else None, cached)

    def finish(self, rows: int) -> None:
        self.sheet.autofilter(0, 0, max(rows, 1), len(self.headers) - 1)


def write_finance_workbook(data: FinanceInputs, out: Path) -> Path:
    """Write the finance workbook to `out` atomically; return the path."""
    with atomic_path(out) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"strings_to_formulas": False, "strings_to_numbers": False})
        book.set_properties({"title": "estate finance workbook", "created": _created(data)})
        formats = {
            "bold": book.add_format({"bold": True}),
            "gbp": book.add_format({"num_format": GBP}),
            "percent": book.add_format({"num_format": "0%"}),
            "bold_wrap": book.add_format({"bold": True, "text_wrap": True, "valign": "top"}),
            "quoted": book.add_format({"quote_prefix": True}),
            "note": book.add_format({"italic": True, "font_color": "#595959"}),
        }
        _readme(book, data, formats)
        totals_sheet = _Sheet(book, "Totals", TOTALS_HEADERS, formats)  # second tab; the workbook opens on it
        totals_sheet.sheet.activate()
        _assumptions(book, data.parameters, formats)
        system_rows = _systems(book, data, formats)
        _reported(book, data.reported, formats)
        totals = _hidden(book, data, formats, system_rows)
        _appraisal(book, data, formats, system_rows, totals)
        _ranking(book, data, formats)
        _departments(book, data, formats, system_rows, totals)
        _totals(totals_sheet, book, data, system_rows, totals)
        close_workbook(book)
    return out


def _created(data: FinanceInputs):
    from datetime import datetime

    as_of = pd.Timestamp(data.run["as_of"]).date()
    return datetime(as_of.year, as_of.month, as_of.day)  # the analysis date, never the wall clock


def _readme(book, data: FinanceInputs, formats) -> None:
    sheet = book.add_worksheet("README")
    lines = [
        ("estate finance workbook", formats["bold"]),
        (
            f"Costs assessed at {pd.Timestamp(data.run['as_of']):%d %B %Y} by estate {data.version}; "
            f"{int(data.run['draws']):,} Monte Carlo draws, seed {int(data.run['seed'])}.",
            None,
        ),
        (
            "Change a value on the Assumptions sheet and every formula recomputes: hidden costs, appraisal, "
            "ranking scores and department totals.",
            None,
        ),
        (
            "Values, not formulas: Monte Carlo percentiles (P10/P90) and adjustments, imputed run costs, "
            "rank-normalised criteria, ranks and top-N stability. They are recomputed only by `estate analyse`.",
            formats["note"],
        ),
        *_itemised_note(data, formats),
        ("Inputs:", formats["bold"]),
    ]
    for row, (text, fmt) in enumerate(lines):
        sheet.write_string(row, 0, text, fmt)
    row = len(lines)
    for record in data.imports.to_dict("records"):
        sheet.write_string(row, 0, f"{record['file_name']}  SHA-256 {record['sha256']}")
        row += 1
    sheet.set_column(0, 0, 120)


def _itemised_note(data: FinanceInputs, formats) -> list[tuple[str, object]]:
    if data.not_itemised.empty:
        return []
    rest = int(data.not_itemised["systems"].sum())
    shown = len(data.assessment)
    return [
        (
            f"Itemised: the {shown:,} highest-ranked of {shown + rest:,} systems have formula rows. The other "
            f"{rest:,} are totalled by department on the Departments sheet as values (columns headed 'not "
            "itemised'); every system is in the report's data/system_assessment.csv. `estate export --itemise N` "
            "changes the number.",
            formats["note"],
        )
    ]


def _assumptions(book, parameters: pd.DataFrame, formats) -> None:
    headers = ["Parameter", "Value", "Unit", "Low", "High", "Confidence", "Source", "Description"]
    sheet = _Sheet(book, "Assumptions", headers, formats)
    for r, p in enumerate(parameters.sort_values("name").to_dict("records"), start=1):
        sheet.text(r, 0, p["name"])
        sheet.number(r, 1, p["value"])
        sheet.text(r, 2, p["unit"])
        sheet.number(r, 3, p["low"])
        sheet.number(r, 4, p["high"])
        sheet.text(r, 5, p["confidence"])
        sheet.text(r, 6, p["source"])
        sheet.text(r, 7, p["description"])
        book.define_name(p["name"], f"=Assumptions!$B${r + 1}")
    sheet.sheet.set_column(6, 6, 80)
    sheet.finish(len(parameters))


def _systems(book, data: FinanceInputs, formats) -> dict[str, str]:
    """Write the Systems sheet; return column key -> column letter (rows align with the inputs' order)."""
    frame = data.inputs.drop(columns=["cost_basis", "run_cost_gbp"]).merge(
        data.assessment[["system_id", "name", "department", "platform", "technology", "cost_basis", "run_cost_gbp"]],
        on="system_id",
        how="left",
    )
    sheet = _Sheet(book, "Systems", [h for _, h in SYSTEM_COLUMNS], formats)
    letters = {key: xl_col_to_name(c) for c, (key, _) in enumerate(SYSTEM_COLUMNS)}
    for r, record in enumerate(frame.to_dict("records"), start=1):
        for c, (key, _) in enumerate(SYSTEM_COLUMNS):
            value = record.get(key)
            if key in TEXT_COLUMNS:
                sheet.text(r, c, value)
            else:
                sheet.number(r, c, value, money=key in MONEY_COLUMNS)
    sheet.finish(len(frame))
    letters["_rows"] = str(len(frame))
    return letters


def _reported(book, reported: pd.DataFrame, formats) -> None:
    wide = reported.pivot_table(
        index=["system_id", "financial_year"], columns="category", values="amount_gbp", aggfunc="sum", fill_value=0.0
    ).reset_index()
    categories = [c for c in wide.columns if c not in ("system_id", "financial_year")]
    headers = ["System ID", "Financial year", *[f"{c} (£)" for c in categories], "Total (£)"]
    sheet = _Sheet(book, "Reported costs", headers, formats)
    for r, record in enumerate(wide.to_dict("records"), start=1):
        sheet.text(r, 0, record["system_id"])
        sheet.text(r, 1, record["financial_year"])
        for c, category in enumerate(categories, start=2):
            sheet.number(r, c, record[category], money=True)
        first, last = xl_rowcol_to_cell(r, 2), xl_rowcol_to_cell(r, 1 + len(categories))
        sheet.formula(r, 2 + len(categories), f"=SUM({first}:{last})", sum(record[c] for c in categories))
    sheet.finish(len(wide))


def _hidden(book, data: FinanceInputs, formats, letters) -> dict[str, str]:
    """Write Hidden costs; return the column letters of the expected legacy premium and hidden cost.

    Each component is a live formula at the central parameter values. The Monte Carlo expected value
    differs from the formula at central values (non-linear terms, inputs drawn from priors), so a
    labelled value column carries the difference and the expected columns are formula + adjustment:
    they equal the analysis's figures, which the Departments sheet and the headline total.
    """
    premium = [c for c in COMPONENTS if c.part == LEGACY_PREMIUM]
    hidden = [c for c in COMPONENTS if c.part != LEGACY_PREMIUM]
    ordered = premium + hidden
    tail = [
        "Legacy premium at central values (£/year)", "Hidden cost at central values (£/year)",
        "Legacy premium Monte Carlo adjustment (£, value)", "Hidden cost Monte Carlo adjustment (£, value)",
        "Legacy premium, expected (£/year)", "Hidden cost, expected (£/year)",
        "Hidden P10 (£, Monte Carlo value)", "Hidden P90 (£, Monte Carlo value)",
    ]  # fmt: skip
    sheet = _Sheet(book, "Hidden costs", ["System ID", *[f"{c.label} (£/year)" for c in ordered], *tail], formats)
    rows = data.assessment.set_index("system_id").loc[data.inputs["system_id"]].reset_index().to_dict("records")
    central = _central_components(data)
    templates = [excel_template(c, letters) for c in ordered]
    n = len(ordered)
    col = {name: xl_col_to_name(n + 1 + k) for k, name in enumerate(("pc", "hc", "pa", "ha", "pe", "he"))}
    first_hidden, last = xl_col_to_name(1 + len(premium)), xl_col_to_name(n)
    for r, row in enumerate(rows, start=1):
        x = r + 1
        sheet.sheet.write_formula(r, 0, f"=Systems!A{x}", None, row["system_id"])
        for c, (component, template) in enumerate(zip(ordered, templates, strict=True), start=1):
            sheet.formula(r, c, template.format(r=x), float(central[component.column][r - 1]))
        premium_central = sum(float(central[c.column][r - 1]) for c in premium)
        hidden_central = sum(float(central[c.column][r - 1]) for c in hidden)
        sheet.formula(r, n + 1, f"=SUM(B{x}:{xl_col_to_name(len(premium))}{x})", premium_central)
        sheet.formula(r, n + 2, f"=SUM({first_hidden}{x}:{last}{x})", hidden_central)
        sheet.number(r, n + 3, float(row["legacy_premium_gbp"]) - premium_central, money=True)
        sheet.number(r, n + 4, float(row["hidden_cost_gbp"]) - hidden_central, money=True)
        sheet.formula(r, n + 5, f"={col['pc']}{x}+{col['pa']}{x}", float(row["legacy_premium_gbp"]))
        sheet.formula(r, n + 6, f"={col['hc']}{x}+{col['ha']}{x}", float(row["hidden_cost_gbp"]))
        sheet.percentiles(r, n + 7, row)
    sheet.finish(len(data.inputs))
    return {"premium": col["pe"], "hidden": col["he"]}


def _central_components(data: FinanceInputs) -> dict[str, np.ndarray]:
    """Return each component at the recorded central parameter values, for the itemised systems (Python's figures)."""
    from pipeline.results import recorded_parameters

    return hidden_components(input_arrays(data.inputs), recorded_parameters(data.parameters).point())


APPRAISAL_HEADERS = (
    "System ID", "Run cost (£/year)", "Legacy premium, expected (£/year)", "Hidden cost, expected (£/year)",
    "Capex before optimism bias (£)", "Capex with optimism bias (£)", "Duration with optimism bias (years)",
    "PV savings, central case (£, year by year, value)", "PV costs, central case (£, value)",
    "Residual value, PV (£, value)", "NPV, central case (£)", "NPV Monte Carlo adjustment (£, value)",
    "NPV, expected (£)", "Cash-releasing NPV, expected (£, Monte Carlo value)", "NPV P10 (£, Monte Carlo value)",
    "NPV P90 (£, Monte Carlo value)", "Probability NPV > 0 (Monte Carlo value)",
    "Benefit-cost ratio (Monte Carlo value)", "Discounted payback year (expected flows, value)",
    "Cost of a year's delay (£, Monte Carlo value)", "Capex P10 (£, Monte Carlo value)",
    "Capex P90 (£, Monte Carlo value)", "Duration P10 (years, Monte Carlo value)",
    "Duration P90 (years, Monte Carlo value)",
)  # fmt: skip


# The Appraisal sheet's analysis values from column N on: (assessment column, shown as money)
ANALYSIS_VALUES = (
    ("cash_npv_gbp", True), ("npv_p10_gbp", True), ("npv_p90_gbp", True), ("probability_npv_positive", False),
    ("benefit_cost_ratio", False), ("payback_year", False), ("cost_of_delay_gbp", True),
    ("replacement_capex_p10_gbp", True), ("replacement_capex_p90_gbp", True), ("replacement_years_p10", False),
    ("replacement_years_p90", False),
)  # fmt: skip


def _appraisal(book, data: FinanceInputs, formats, letters, totals: dict[str, str]) -> None:
    """Write the Appraisal sheet: the Green Book appraisal of costing/appraisal.py, central case.

    Capex and duration with optimism bias are live formulas of the Systems sheet and the named
    parameters (optimism_bias_capex, optimism_bias_duration, the replacement and retirement defaults), as
    is NPV = PV savings + residual - PV costs. The year-by-year present values of the one appraisal
    period are the central case's values (costing.options.central_flows); the central case differs from
    the Monte Carlo expectation (non-linear terms, uncertain inputs, outturn spreads), so a labelled value
    carries the difference and "NPV, expected" equals the analysis; cash NPV, percentiles, probability,
    ratio, payback and cost of delay are the analysis's values.
    """
    from costing.options import action_inputs, central_flows
    from pipeline.results import recorded_parameters

    point = recorded_parameters(data.parameters).point()
    sheet = _Sheet(book, "Appraisal", list(APPRAISAL_HEADERS), formats)
    a = data.assessment.set_index("system_id").loc[data.inputs["system_id"]]
    inputs = data.inputs.assign(run_cost_gbp=a["run_cost_gbp"].to_numpy(float))
    flows = central_flows(inputs, point)
    estimate, years, mitigation, retire = action_inputs(inputs)
    capex, duration, base = capex_and_duration(
        inputs["run_cost_gbp"].to_numpy(float), estimate, years, point["prior_run_cost"], point, mitigation, retire
    )
    residual = flows.residual
    savings = flows.benefits - residual
    npv_expected = a["npv_gbp"].to_numpy(float)
    values = {  # column letter -> Python's central-case figure per row
        "B": a["run_cost_gbp"].to_numpy(float), "C": a["legacy_premium_gbp"].to_numpy(float),
        "D": a["hidden_cost_gbp"].to_numpy(float), "E": base, "F": capex, "G": duration, "K": flows.npv,
    }  # fmt: skip
    given = f"Systems!{letters['replacement_cost_estimate_gbp']}{{x}}"
    stated = f"Systems!{letters['replacement_years']}{{x}}"
    retire = f"Systems!{letters['retire']}{{x}}>0"
    kept = f"(1-MIN(MAX(Systems!{letters['optimism_bias_mitigation']}{{x}},0),1))"
    formulas = {
        "B": f"=Systems!{letters['run_cost_gbp']}{{x}}",
        "C": f"='Hidden costs'!{totals['premium']}{{x}}",
        "D": f"='Hidden costs'!{totals['hidden']}{{x}}",
        "E": f"=IF(ISNUMBER({given}),{given},IF({retire},retirement_cost_multiple,replacement_capex_multiple)"
        "*IF(B{x}>0,B{x},prior_run_cost))",
        "F": f"=E{{x}}*(1+optimism_bias_capex*{kept})",
        "G": f"=MIN(MAX(IF(AND(ISNUMBER({stated}),{stated}>0),{stated},IF({retire},retirement_years,"
        f"replacement_years))*(1+optimism_bias_duration*{kept}),0.1),20)",
        "K": "=H{x}+J{x}-I{x}",
        "M": "=K{x}+L{x}",
    }  # fmt: skip
    analysed = {name: a[name].to_numpy() for name, _ in ANALYSIS_VALUES}  # once, not a pandas lookup a cell
    for r, system_id in enumerate(data.inputs["system_id"]):
        x = r + 2
        sheet.sheet.write_formula(r + 1, 0, f"=Systems!A{x}", None, system_id)
        for letter, template in formulas.items():
            column = ord(letter) - ord("A")
            cached = npv_expected[r] if letter == "M" else float(values[letter][r])
            sheet.formula(r + 1, column, template.format(x=x), cached, money=letter not in {"G"})
        sheet.number(r + 1, 7, savings[r], money=True)
        sheet.number(r + 1, 8, flows.costs[r], money=True)
        sheet.number(r + 1, 9, residual[r], money=True)
        sheet.number(r + 1, 11, npv_expected[r] - float(flows.npv[r]), money=True)
        for column, (name, is_money) in enumerate(ANALYSIS_VALUES, start=13):
            sheet.number(r + 1, column, analysed[name][r], money=is_money, percent=name == "probability_npv_positive")
    sheet.finish(len(data.inputs))


def _ranking(book, data: FinanceInputs, formats) -> None:
    """Write the Ranking sheet: candidates first in the stored order, the decision measure, and the weighted view.

    Rank is a formula: candidates first, then by the decision measure, ties in the stored order (expected NPV,
    then system ID). The risk RAG is a formula of the risk score and the named thresholds. The weighted score
    is a live formula of the criteria (on their magnitude-preserving 0-1 scales, values) and the named
    weights, so a finance team can change a weight and see the score move.
    """
    criteria = [c.weight for c in RANKING_CRITERIA]
    headers = [
        "Rank",
        "Replacement candidate",
        "System ID",
        "Name",
        "Department",
        "Expected NPV per £ of capex (decision measure, value)",
        *[f"{c.label}, scaled 0-1 (value)" for c in RANKING_CRITERIA],
        "Weighted score (0-100)",
        "Top-N stability (Monte Carlo value)",
        "Suggested action",
        "Reason",
        "Risk score (1-25, value)",
        "Risk RAG",
    ]
    sheet = _Sheet(book, "Ranking", headers, formats)
    ranked = data.assessment.sort_values("rank")
    matrix = criteria_matrix(ranked)
    weights = data.parameters.set_index("name")["value"]
    base = np.array([float(weights[c]) for c in criteria])
    weighted = score(matrix, base) if base.sum() > 0 else np.zeros(len(ranked))
    first = 6
    last = len(ranked) + 1
    group, measure = f"$B$2:$B${last}", f"$F$2:$F${last}"
    risk_column = xl_col_to_name(first + 4 + len(criteria))
    for r, (record, normalised) in enumerate(zip(ranked.to_dict("records"), matrix, strict=True), start=1):
        x = r + 1
        rank = (
            f'=IF(B{x}="yes",0,COUNTIF({group},"yes"))+1+SUMPRODUCT(({group}=B{x})*({measure}>F{x}))'
            f"+SUMPRODUCT(({group}=B{x})*({measure}=F{x})*(ROW({measure})<ROW(F{x})))"
        )
        sheet.formula(r, 0, rank, record["rank"], money=False)
        sheet.text(r, 1, "yes" if record["candidate"] else "no (retain)")
        sheet.text(r, 2, record["system_id"])
        sheet.text(r, 3, record["name"])
        sheet.text(r, 4, record["department"])
        sheet.number(r, 5, record["npv_per_capex"])
        for c, value in enumerate(normalised, start=first):
            sheet.number(r, c, value)
        terms = "+".join(f"{name}*{xl_col_to_name(first + i)}{x}" for i, name in enumerate(criteria))
        sheet.formula(
            r, first + len(criteria), f"=100*({terms})/({'+'.join(criteria)})", float(weighted[r - 1]), money=False
        )
        sheet.number(r, first + 1 + len(criteria), record["top_n_stability"], percent=True)
        sheet.text(r, first + 2 + len(criteria), record["suggested_action"])
        sheet.text(r, first + 3 + len(criteria), record["action_reason"])
        sheet.number(r, first + 4 + len(criteria), record["risk_score"])
        rag = (
            f'=IF({risk_column}{x}>=risk_red_threshold,"red",IF({risk_column}{x}>=risk_amber_threshold,"amber",'
            '"green"))'
        )
        sheet.formula(r, first + 5 + len(criteria), rag, record["risk_rag"], money=False)
    sheet.finish(len(ranked))


def _departments(book, data: FinanceInputs, formats, letters, totals: dict[str, str]) -> None:
    """Fill the Departments sheet: per department, systems, reported and imputed run cost apart, expected hidden
    cost (formulas over the itemised rows; values for the systems not itemised) and the Monte Carlo P10/P90; a last
    row for the whole estate (sums; its P10/P90 the estate's own, as on Totals)."""
    headers = [
        "Department",
        "Systems",
        "Reported run cost (£/year)",
        "Imputed run cost, apart (£/year)",
        "Hidden cost, expected (£/year)",
        "Hidden P10 (£, Monte Carlo value)",
        "Hidden P90 (£, Monte Carlo value)",
    ]
    rest = data.not_itemised
    summed = ("systems", "reported_cost_gbp", "imputed_cost_gbp", "hidden_cost_gbp")  # columns 1-4
    if not rest.empty:
        headers[1:5] = [
            "Systems itemised",
            "Reported run cost itemised (£/year)",
            "Imputed run cost itemised, apart (£/year)",
            "Hidden cost itemised, expected (£/year)",
        ]
        headers += ["Systems not itemised (value)", "Reported run cost not itemised (£/year, value)",
                    "Imputed run cost not itemised (£/year, value)",
                    "Hidden cost not itemised, expected (£/year, value)",
                    "Systems, all", "Reported run cost, all (£/year)", "Imputed run cost, all (£/year)",
                    "Hidden cost, all, expected (£/year)"]  # fmt: skip
    sheet = _Sheet(book, "Departments", headers, formats)
    rows = int(letters["_rows"]) + 1
    department = f"Systems!${letters['department']}$2:${letters['department']}${rows}"
    run = f"Systems!${letters['run_cost_gbp']}$2:${letters['run_cost_gbp']}${rows}"
    basis = f"Systems!${letters['cost_basis']}$2:${letters['cost_basis']}${rows}"
    column = totals["hidden"]
    hidden = f"'Hidden costs'!${column}$2:${column}${rows}"
    a = data.assessment
    grouped = a.assign(
        reported=a["run_cost_gbp"].where(a["cost_basis"] == "observed", 0.0),
        imputed=a["run_cost_gbp"].where(a["cost_basis"] == "imputed", 0.0),
    ).groupby("department")
    own_values = pd.DataFrame(
        {
            "systems": grouped.size(),
            "reported": grouped["reported"].sum(),
            "imputed": grouped["imputed"].sum(),
            "hidden": grouped["hidden_cost_gbp"].sum(),
        }
    )
    formulas = (
        "=COUNTIF({department},A{x})",
        '=SUMIFS({run},{department},A{x},{basis},"observed")',
        '=SUMIFS({run},{department},A{x},{basis},"imputed")',
        "=SUMIFS({hidden},{department},A{x})",
    )  # fmt: skip
    money = (False, True, True, True)
    width = 4 + 2  # the itemised columns and the percentiles
    cached = np.zeros(len(headers) - 1)  # the total row's values
    records = data.departments.to_dict("records")
    for r, record in enumerate(records, start=1):
        x = r + 1
        name = record["department"]
        sheet.text(r, 0, name)
        own = own_values.reindex([name]).fillna(0.0).iloc[0].to_numpy(float)
        for c, template in enumerate(formulas):
            text = template.format(department=department, run=run, basis=basis, hidden=hidden, x=x)
            sheet.formula(r, 1 + c, text, float(own[c]), money=money[c])
        cached[:4] += own
        sheet.percentiles(r, 5, record)
        if not rest.empty:
            other = rest.reindex([name]).fillna(0.0).iloc[0]
            values = [float(other[c]) for c in summed]
            for c, value in enumerate(values):
                sheet.number(r, 1 + width + c, value, money=money[c])
                mine, extra = xl_col_to_name(1 + c), xl_col_to_name(1 + width + c)
                sheet.formula(r, 5 + width + c, f"={mine}{x}+{extra}{x}", float(own[c]) + value, money=money[c])
            cached[width : width + 4] += values
            cached[width + 4 :] += own + np.array(values)
    r, last = len(records) + 1, len(records) + 1  # the total row, below the departments
    sheet.text(r, 0, "All departments")
    for c in range(1, len(headers)):
        if c in (5, 6):  # percentiles do not add up: the estate's own, as on the Totals sheet
            name = ("total_hidden_cost_p10_gbp", "total_hidden_cost_p90_gbp")[c - 5]
            value = float(data.run[f"estate_hidden_cost_p{10 if c == 5 else 90}_gbp"])
            sheet.formula(r, c, f"={name}", value)
            continue
        letter = xl_col_to_name(c)
        counts = c in (1, 1 + width, 5 + width)  # the systems columns
        sheet.formula(r, c, f"=SUM({letter}2:{letter}{last})", float(cached[c - 1]), money=not counts)
    sheet.finish(len(records))


def excel_template(component: Component, letters: dict[str, str]) -> str:
    """Return a component's Excel formula with each model input's Systems-sheet column filled in, leaving {r}."""
    columns = {name: f"Systems!{letters[name]}" for name in component.inputs}
    return component.excel.format(r="{r}", **columns)


TOTAL_NAMES = ("total_reported_cost_gbp", "total_imputed_cost_gbp", "total_legacy_premium_gbp",
               "total_legacy_premium_unobserved_gbp", "total_hidden_cost_gbp", "total_hidden_cost_p10_gbp",
               "total_hidden_cost_p90_gbp")  # fmt: skip
TOTALS_HEADERS = ["Figure", "Itemised (formula)", "Not itemised (value)", "Total (£/year)", "Named cell", "What it is"]


def _totals(sheet: _Sheet, book, data: FinanceInputs, letters, totals: dict[str, str]) -> None:
    """Fill the Totals sheet (the first the workbook opens on): the whole headline as named cells.

    total_reported_cost_gbp (observed cost lines only), total_imputed_cost_gbp (shown apart, never inside),
    total_legacy_premium_gbp (expected, on the reported cost; the premium on imputed or assumed cost apart, in
    total_legacy_premium_unobserved_gbp) and total_hidden_cost_gbp (expected) are formulas over the itemised
    rows plus the labelled values of the systems not itemised; total_hidden_cost_p10_gbp and _p90_gbp are the
    estate's Monte Carlo percentiles (values: a percentile of a total is not the sum of the systems' ones).
    """
    rows = int(letters["_rows"]) + 1
    run = f"Systems!${letters['run_cost_gbp']}$2:${letters['run_cost_gbp']}${rows}"
    basis = f"Systems!${letters['cost_basis']}$2:${letters['cost_basis']}${rows}"
    hidden = f"'Hidden costs'!${totals['hidden']}$2:${totals['hidden']}${rows}"
    premium = f"'Hidden costs'!${totals['premium']}$2:${totals['premium']}${rows}"
    a, run_row = data.assessment, data.run
    observed = a["cost_basis"] == "observed"
    rest = data.not_itemised
    other = lambda column: float(rest[column].sum()) if not rest.empty and column in rest else 0.0  # noqa: E731
    figures = (
        ("Reported run cost, observed (£/year)", f'=SUMIFS({run},{basis},"observed")',
         float(a["reported_cost_gbp"].fillna(0).sum()), other("reported_cost_gbp"),
         "Observed cost lines, each system's latest financial year"),
        ("Imputed run cost, shown apart (£/year)", f'=SUMIFS({run},{basis},"imputed")',
         float(a["imputed_cost_gbp"].fillna(0).sum()), other("imputed_cost_gbp"),
         "Estimated for systems that report no cost; never inside the reported cost"),
        ("Legacy premium, expected, in the reported cost (£/year)", f'=SUMIFS({premium},{basis},"observed")',
         float(a.loc[observed, "legacy_premium_gbp"].sum()), other("premium_observed_gbp"),
         "What a modern equivalent would not cost: part of the reported run cost, not added to it"),
        ("Legacy premium on imputed or assumed cost, shown apart (£/year)",
         f'=SUMIFS({premium},{basis},"<>observed")', float(a.loc[~observed, "legacy_premium_gbp"].sum()),
         other("premium_unobserved_gbp"), "The same premium on cost nobody reported"),
        ("Hidden cost, expected (£/year)", f"=SUM({hidden})", float(a["hidden_cost_gbp"].sum()),
         other("hidden_cost_gbp"), "Costs no IT budget shows, in addition to the run cost"),
    )  # fmt: skip
    for r, (label, formula, itemised, value, meaning) in enumerate(figures, start=1):
        sheet.text(r, 0, label)
        sheet.formula(r, 1, formula, itemised)
        sheet.number(r, 2, value, money=True)
        sheet.formula(r, 3, f"=B{r + 1}+C{r + 1}", itemised + value)
        sheet.text(r, 4, TOTAL_NAMES[r - 1])
        sheet.text(r, 5, meaning)
        book.define_name(TOTAL_NAMES[r - 1], f"=Totals!$D${r + 1}")
    for r, (label, column) in enumerate((("Hidden cost, P10 (£/year)", "estate_hidden_cost_p10_gbp"),
                                         ("Hidden cost, P90 (£/year)", "estate_hidden_cost_p90_gbp")),
                                        start=len(figures) + 1):  # fmt: skip
        sheet.text(r, 0, label)
        sheet.number(r, 3, float(run_row[column]), money=True)
        sheet.text(r, 4, TOTAL_NAMES[r - 1])
        sheet.text(r, 5, "The estate's Monte Carlo percentile (80% interval): a value, not a sum of the systems'")
        book.define_name(TOTAL_NAMES[r - 1], f"=Totals!$D${r + 1}")
    for c, width in enumerate((58, 18, 18, 18, 36, 80)):
        sheet.sheet.set_column(c, c, width)
    sheet.finish(len(TOTAL_NAMES))
