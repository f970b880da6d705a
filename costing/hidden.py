"""Hidden-cost components: each a small vectorised function returning annual GBP, zero where it does not apply.

Every function takes `s`, the system inputs (numpy arrays, one entry per system, see
`costing.inputs.SYSTEM_INPUTS`), and `p`, the parameters by name. Parameters are scalars for the
central estimate, or arrays of Monte Carlo draws; system arrays are then shaped (systems, 1) so
the result is (systems, draws). Inputs are never NaN: `costing.inputs` fills unknowns with 0 and
records what was missing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

Inputs = Mapping[str, np.ndarray]
Params = Mapping[str, float | np.ndarray]

INTERFACE_KINDS = ("api", "file", "batch", "database_link", "message_queue", "other")


def extended_support_premium(s: Inputs, p: Params) -> np.ndarray:
    """Extended-support premium: licence x (first-year share + step per further year, capped), once past end of support.

    years past = (as-of date - end of support) in years; in year k past (k = floor(years) + 1)
    the share is min(esu_first_year_share + esu_yearly_step x (k - 1), esu_max_share).
    """
    years_past = s["years_past_end_of_support"]
    k = np.floor(np.maximum(years_past, 0)) + 1
    share = np.minimum(p["esu_first_year_share"] + p["esu_yearly_step"] * (k - 1), p["esu_max_share"])
    licence = np.where(
        s["licence_cost_gbp"] > 0, s["licence_cost_gbp"], p["licence_share_of_run_cost"] * s["run_cost_gbp"]
    )
    return np.where(years_past > 0, share * licence, 0.0)


def scarce_skills_premium(s: Inputs, p: Params) -> np.ndarray:
    """Scarce-skills premium: support FTE x FTE cost x premium, legacy technologies only (default FTE if unknown)."""
    fte = np.where(s["support_fte"] > 0, s["support_fte"], p["default_support_fte"])
    return np.where(s["scarce_skills"] > 0, fte * p["support_fte_cost"] * p["scarce_skills_premium"], 0.0)


def manual_workaround_labour(s: Inputs, p: Params) -> np.ndarray:
    """Manual labour: (workaround hours/month x 12 + half of each manual interface's hours/year) x hourly cost."""
    hours = s["manual_workaround_hours_per_month"] * 12 + 0.5 * s["manual_interfaces"] * p["manual_interface_hours"]
    return hours * p["loaded_hourly_cost"]


def integration_upkeep(s: Inputs, p: Params) -> np.ndarray:
    """Integration upkeep: half of each non-manual interface's annual upkeep by kind (the partner pays the rest)."""
    return sum(0.5 * s[f"interfaces_{kind}"] * p[f"integration_upkeep_{kind}"] for kind in INTERFACE_KINDS)


def security_loss(s: Inputs, p: Params) -> np.ndarray:
    """Expected annual security loss: (1 - (1 - p)^vulnerabilities) x breach cost."""
    probability = 1.0 - (1.0 - p["breach_probability_per_vulnerability"]) ** s["known_vulnerabilities"]
    return probability * p["breach_cost"]


def outage_cost(s: Inputs, p: Params) -> np.ndarray:
    """Expected outage cost: outage hours/year x users x cost per user-hour."""
    return s["outage_hours_per_year"] * s["users"] * p["outage_cost_per_user_hour"]


def hosting_premium(s: Inputs, p: Params) -> np.ndarray:
    """Hosting premium over a cloud equivalent: hosting x premium / (1 + premium), mainframe and on-premises only.

    Hosting is the reported hosting line, else hosting_share_of_run_cost x run cost.
    """
    hosting = np.where(
        s["hosting_cost_gbp"] > 0, s["hosting_cost_gbp"], p["hosting_share_of_run_cost"] * s["run_cost_gbp"]
    )
    premium = np.where(
        s["mainframe"] > 0,
        p["mainframe_hosting_premium"],
        np.where(s["on_premises"] > 0, p["on_premises_hosting_premium"], 0.0),
    )
    return hosting * premium / (1.0 + premium)


def blocking_cost(s: Inputs, p: Params) -> np.ndarray:
    """Blocking cost on dependents: blast radius x cost per dependent, for legacy systems only."""
    return np.where(s["legacy"] > 0, s["blast_radius"] * p["blocking_cost_per_dependent"], 0.0)


@dataclass(frozen=True)
class Component:
    """One hidden-cost component, declared once: every surface (store, app, workbook, report) derives from it.

    `excel` is the Finance workbook's formula for one Systems-sheet row: `{input}` stands for the
    column of that model input on the Systems sheet, `{r}` for the row number, bare names for
    Assumptions-sheet cells of the same name as the parameter.
    """

    column: str  # stored column, GBP a year
    label: str  # what people read
    kind: str  # cash-releasing | non-cash-releasing | risk (Green Book benefit classes)
    function: Callable[[Inputs, Params], np.ndarray]
    inputs: tuple[str, ...]  # model inputs it reads (costing.inputs.SYSTEM_INPUTS)
    parameters: tuple[str, ...]  # parameters it reads
    excel: str

    @property
    def formula(self) -> str:
        """Return the published formula in words (the function's docstring, one line)."""
        return " ".join(inspect.getdoc(self.function).split())


_KINDS_SUM = "+".join(f"{{interfaces_{k}}}{{r}}*integration_upkeep_{k}" for k in INTERFACE_KINDS)
COMPONENTS: tuple[Component, ...] = (
    Component(
        "extended_support_gbp", "Extended support", "cash-releasing", extended_support_premium,
        ("years_past_end_of_support", "licence_cost_gbp", "run_cost_gbp"),
        ("esu_first_year_share", "esu_yearly_step", "esu_max_share", "licence_share_of_run_cost"),
        "=IF({years_past_end_of_support}{r}>0,MIN(esu_first_year_share+esu_yearly_step"
        "*INT({years_past_end_of_support}{r}),esu_max_share)*IF({licence_cost_gbp}{r}>0,{licence_cost_gbp}{r},"
        "licence_share_of_run_cost*{run_cost_gbp}{r}),0)",
    ),
    Component(
        "scarce_skills_gbp", "Scarce skills", "cash-releasing", scarce_skills_premium,
        ("scarce_skills", "support_fte"), ("default_support_fte", "support_fte_cost", "scarce_skills_premium"),
        "=IF({scarce_skills}{r}>0,IF({support_fte}{r}>0,{support_fte}{r},default_support_fte)"
        "*support_fte_cost*scarce_skills_premium,0)",
    ),
    Component(
        "manual_workarounds_gbp", "Manual workarounds", "non-cash-releasing", manual_workaround_labour,
        ("manual_workaround_hours_per_month", "manual_interfaces"), ("manual_interface_hours", "loaded_hourly_cost"),
        "=({manual_workaround_hours_per_month}{r}*12+0.5*{manual_interfaces}{r}*manual_interface_hours)"
        "*loaded_hourly_cost",
    ),
    Component(
        "integration_upkeep_gbp", "Integration upkeep", "cash-releasing", integration_upkeep,
        tuple(f"interfaces_{k}" for k in INTERFACE_KINDS), tuple(f"integration_upkeep_{k}" for k in INTERFACE_KINDS),
        f"=0.5*({_KINDS_SUM})",
    ),
    Component(
        "security_loss_gbp", "Security (expected loss)", "risk", security_loss,
        ("known_vulnerabilities",), ("breach_probability_per_vulnerability", "breach_cost"),
        "=(1-(1-breach_probability_per_vulnerability)^{known_vulnerabilities}{r})*breach_cost",
    ),
    Component(
        "outage_gbp", "Outages", "non-cash-releasing", outage_cost,
        ("outage_hours_per_year", "users"), ("outage_cost_per_user_hour",),
        "={outage_hours_per_year}{r}*{users}{r}*outage_cost_per_user_hour",
    ),
    Component(
        "hosting_premium_gbp", "Hosting premium", "cash-releasing", hosting_premium,
        ("hosting_cost_gbp", "run_cost_gbp", "mainframe", "on_premises"),
        ("hosting_share_of_run_cost", "mainframe_hosting_premium", "on_premises_hosting_premium"),
        "=IF({hosting_cost_gbp}{r}>0,{hosting_cost_gbp}{r},hosting_share_of_run_cost*{run_cost_gbp}{r})"
        "*IF({mainframe}{r}>0,mainframe_hosting_premium/(1+mainframe_hosting_premium),"
        "IF({on_premises}{r}>0,on_premises_hosting_premium/(1+on_premises_hosting_premium),0))",
    ),
    Component(
        "blocking_gbp", "Blocked change", "non-cash-releasing", blocking_cost,
        ("legacy", "blast_radius"), ("blocking_cost_per_dependent",),
        "=IF({legacy}{r}>0,{blast_radius}{r}*blocking_cost_per_dependent,0)",
    ),
)  # fmt: skip
COMPONENT_COLUMNS = tuple(c.column for c in COMPONENTS)
COMPONENT_LABELS = {c.column: c.label for c in COMPONENTS}


def hidden_components(s: Inputs, p: Params) -> dict[str, np.ndarray]:
    """Return every component's annual GBP by column name."""
    return {c.column: np.asarray(c.function(s, p), dtype=np.float64) for c in COMPONENTS}


def hidden_total(s: Inputs, p: Params) -> np.ndarray:
    """Return the sum of all hidden-cost components."""
    total = 0.0
    for component in COMPONENTS:
        total = total + component.function(s, p)
    return np.asarray(total, dtype=np.float64)


def components_in_words() -> str:
    """Return the components' labels as a sentence fragment, in order ("a, b and c"), lower case."""
    labels = [c.label.lower() for c in COMPONENTS]
    return ", ".join(labels[:-1]) + " and " + labels[-1]
