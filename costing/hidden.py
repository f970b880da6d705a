"""The cost of keeping legacy: legacy-premium and hidden-cost components, each a small vectorised function.

Two parts, never added to each other twice:
- legacy premium: the part of the *reported* run cost that a modern equivalent would not incur
  (extended support, scarce skills, mainframe/on-premises hosting). Each is counted *within* its
  reported line as line x premium / (1 + premium), so it can never exceed the line it sits in.
- hidden (off-ledger) cost: business and people costs no IT budget shows (manual workarounds,
  outages above a modern baseline, security expected loss above a modern baseline, change blocked
  for direct dependents), each the difference from a modern equivalent.
The total cost of legacy is their sum. A modern, supported system has about 0 of both unless its
own inputs (workaround hours, say) say otherwise.

Every function takes `s`, the system inputs (numpy arrays, one entry per system, see
`costing.inputs.SYSTEM_INPUTS`), and `p`, the parameters by name. Parameters are scalars for the
central estimate, or arrays of Monte Carlo draws; system arrays are then shaped (systems, 1) or
(systems, draws) and the result is (systems, draws). Inputs are never NaN: an unknown input holds
its prior (see `costing.inputs.PRIORS`) and is flagged assumed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

Inputs = Mapping[str, np.ndarray]
Params = Mapping[str, float | np.ndarray]

LEGACY_PREMIUM = "legacy_premium"
HIDDEN = "hidden"


def esu_window(s: Inputs, p: Params) -> np.ndarray:
    """Return the years of extended support the system's vendor sells: esu_years for a Microsoft product
    (esu_microsoft = 1), else esu_other_years."""
    return np.where(s["esu_microsoft"] > 0, p["esu_years"], p["esu_other_years"])


def extended_support_premium(s: Inputs, p: Params) -> np.ndarray:
    """Extended support, within the licence and support lines: L x share / (1 + share), only while the vendor sells it.

    For 0 < years past end of support <= the vendor's window (esu_years for Microsoft products, else
    esu_other_years; after it no extended support is sold: no cash premium, but a higher breach
    likelihood): share = esu_first_year_share + esu_yearly_step x floor(years past) for Microsoft's
    Extended Security Updates, else esu_other_share; L = the licence + support-contract lines, else its
    fallback share of the unreported run cost.
    """
    lines, window, microsoft = extended_support_terms(s, p)
    return extended_support_at(s["years_past_end_of_support"], lines, window, microsoft, p)


def extended_support_terms(s: Inputs, p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return what extended support rests on apart from the years past end of support: the lines it is charged
    on, the vendor's window and whether the vendor is Microsoft (1.0) (the appraisal re-evaluates it yearly)."""
    lines = np.where(s["licence_cost_gbp"] > 0, s["licence_cost_gbp"], fallback_line(s, p, "licence_share_of_run_cost"))
    return lines, esu_window(s, p), np.where(s["esu_microsoft"] > 0, 1.0, 0.0)


def extended_support_at(
    years: np.ndarray, lines: np.ndarray, window: np.ndarray, microsoft: np.ndarray, p: Params
) -> np.ndarray:
    """Return extended support `years` past end of support (extended_support_premium; costing._kernels has the
    same arithmetic per element, tests/test_kernels.py holds them equal)."""
    share = np.where(
        microsoft > 0, p["esu_first_year_share"] + p["esu_yearly_step"] * np.floor(np.maximum(years, 0.0)),
        p["esu_other_share"],
    )  # fmt: skip
    return np.where((years > 0) & (years <= window), lines * share / (1.0 + share), 0.0)


FALLBACK_SHARES = ("licence_share_of_run_cost", "staff_share_of_run_cost", "hosting_share_of_run_cost")


def unreported_cost(s: Inputs) -> np.ndarray:
    """Return the run cost no reported licence, staff or hosting line accounts for: max(0, run - those lines)."""
    lines = s["licence_cost_gbp"] + s["staff_cost_gbp"] + s["hosting_cost_gbp"]
    return np.maximum(s["run_cost_gbp"] - lines, 0.0)


def fallback_scale(s: Inputs, p: Params) -> np.ndarray:
    """Return what one unit of fallback share is worth: the unreported cost / max(1, the fallback shares' sum)."""
    return unreported_cost(s) / np.maximum(sum(p[name] for name in FALLBACK_SHARES), 1.0)


def fallback_line(s: Inputs, p: Params, share: str) -> np.ndarray:
    """Return a line the inventory does not report: its share of the *unreported* run cost.

    share / max(1, the three fallback shares' sum) x unreported cost, so lines assumed never sum above
    what the reported lines leave of the run cost: the premium stays inside the ledger.
    """
    return fallback_scale(s, p) * p[share]


def staff_cost(s: Inputs, p: Params) -> np.ndarray:
    """Return the staff cost a system carries: the staff line, else support FTE x support_fte_cost (at most the run
    cost the other lines leave), else its fallback share of the unreported run cost."""
    scale = fallback_scale(s, p)  # once for the three lines
    assumed_licence = np.where(s["licence_cost_gbp"] > 0, 0.0, scale * p["licence_share_of_run_cost"])
    assumed_hosting = np.where(s["hosting_cost_gbp"] > 0, 0.0, scale * p["hosting_share_of_run_cost"])
    room = np.maximum(unreported_cost(s) - assumed_licence - assumed_hosting, 0.0)
    from_fte = np.minimum(s["support_fte"] * p["support_fte_cost"], room)
    fallback = np.where(s["support_fte"] > 0, from_fte, scale * p["staff_share_of_run_cost"])
    return np.where(s["staff_cost_gbp"] > 0, s["staff_cost_gbp"], fallback)


def support_effort_premium(s: Inputs, p: Params) -> np.ndarray:
    """Support effort, within the staff line: legacy x staff x effort / (1 + effort).

    legacy = 1 for a legacy system, 0 for a modern one (a Monte Carlo draw of its status; at central values
    the probability, so the formula is the expectation); effort = legacy_support_effort_premium (2.0: keeping
    the legacy system running takes 3 times the staff effort of a modern equivalent); staff = the staff line,
    else support FTE x support_fte_cost (at most what the other lines leave), else its fallback share.
    """
    effort = p["legacy_support_effort_premium"]
    return s["legacy"] * staff_cost(s, p) * effort / (1.0 + effort)


def scarce_skills_premium(s: Inputs, p: Params) -> np.ndarray:
    """Scarce skills, within the staff line left after support effort: that staff x premium / (1 + premium).

    For scarce legacy technologies only; premium = scarce_skills_premium; the staff left after support effort
    is staff / (1 + legacy x legacy_support_effort_premium), so the two never exceed the staff line.
    """
    effort = s["legacy"] * p["legacy_support_effort_premium"]
    premium = p["scarce_skills_premium"]
    left = staff_cost(s, p) / (1.0 + effort)
    return np.where(s["scarce_skills"] > 0, left * premium / (1.0 + premium), 0.0)


def hosting_premium(s: Inputs, p: Params) -> np.ndarray:
    """Hosting, within the hosting line: hosting x premium / (1 + premium), mainframe and on-premises only.

    hosting = the hosting line, else its fallback share of the unreported run cost.
    """
    hosting = np.where(
        s["hosting_cost_gbp"] > 0, s["hosting_cost_gbp"], fallback_line(s, p, "hosting_share_of_run_cost")
    )
    premium = np.where(
        s["mainframe"] > 0,
        p["mainframe_hosting_premium"],
        np.where(s["on_premises"] > 0, p["on_premises_hosting_premium"], 0.0),
    )
    return hosting * premium / (1.0 + premium)


def manual_workaround_labour(s: Inputs, p: Params) -> np.ndarray:
    """Manual workarounds: (workaround hours/month x 12 + half of each manual interface's hours/year) x hourly cost.

    hourly cost = loaded_hourly_cost; a manual interface's hours are split between its two systems.
    """
    hours = s["manual_workaround_hours_per_month"] * 12 + 0.5 * s["manual_interfaces"] * p["manual_interface_hours"]
    return hours * p["loaded_hourly_cost"]


def outage_cost(s: Inputs, p: Params) -> np.ndarray:
    """Outages above a modern baseline: max(0, outage hours - modern_outage_hours) x people affected x value of an hour.

    people affected in an outage hour = users x concurrent_user_share; value = outage_value_per_person_hour.
    """
    excess = np.maximum(s["outage_hours_per_year"] - p["modern_outage_hours"], 0.0)
    return excess * s["users"] * p["concurrent_user_share"] * p["outage_value_per_person_hour"]


def unsupported_probability(s: Inputs, p: Params) -> np.ndarray:
    """Return 1 where the system is past end of support and its vendor's extended support, the prior where unknown."""
    known = np.where(s["years_past_end_of_support"] > esu_window(s, p), 1.0, 0.0)
    prior = s["legacy"] * p["prior_unsupported_legacy"] + (1.0 - s["legacy"]) * p["prior_unsupported_modern"]
    return np.where(s["end_of_support_known"] > 0, known, prior)


def breach_probability(s: Inputs, p: Params) -> np.ndarray:
    """Return each system's annual breach probability (calibrated base, raised by lapsed support, vulnerabilities)."""
    raised = (1.0 + unsupported_probability(s, p) * (p["unsupported_breach_multiplier"] - 1.0)) * (
        1.0 + p["vulnerability_breach_coefficient"] * np.log1p(s["known_vulnerabilities"])
    )
    return np.minimum(p["breach_base_probability"] * raised, 1.0)


def security_loss(s: Inputs, p: Params) -> np.ndarray:
    """Security expected loss above a modern baseline: (breach probability - breach_base_probability) x impact.

    breach probability = min(1, breach_base_probability x (1 + unsupported x (unsupported_breach_multiplier - 1))
    x (1 + vulnerability_breach_coefficient x ln(1 + known vulnerabilities))); unsupported = 1 past the
    extended-support years, else 0, or legacy x prior_unsupported_legacy + (1 - legacy) x
    prior_unsupported_modern when end of support is unknown;
    impact = breach_cost x clip(log10(1 + users) / log10(1 + breach_reference_users), 0.1, 1).
    """
    scale = np.clip(np.log10(1.0 + s["users"]) / np.log10(1.0 + p["breach_reference_users"]), 0.1, 1.0)
    return (breach_probability(s, p) - p["breach_base_probability"]) * p["breach_cost"] * scale


def failure_probability(s: Inputs, p: Params) -> np.ndarray:
    """Return each system's annual probability of a major failure (legacy or modern base, raised by lapsed support)."""
    base = s["legacy"] * p["failure_probability_legacy"] + (1.0 - s["legacy"]) * p["failure_probability_modern"]
    return np.minimum(base * (1.0 + unsupported_probability(s, p) * (p["unsupported_failure_multiplier"] - 1.0)), 1.0)


def failure_loss(s: Inputs, p: Params) -> np.ndarray:
    """Service failure expected loss above a modern baseline: (failure probability - modern probability) x impact.

    failure probability = min(1, (legacy x failure_probability_legacy + (1 - legacy) x failure_probability_modern)
    x (1 + unsupported x (unsupported_failure_multiplier - 1))), unsupported as for security; impact of a major
    failure = min(users x failure_disruption_hours x outage_value_per_person_hour + failure_recovery_multiple x
    run cost, failure_cost_cap) x (criticality - 1) / 4 (criticality 1-5, 3 when unknown: a criticality-1 system's
    failure is not a major one). Routine outages are the Outages component; this is the rare failure beyond them.
    """
    impact = np.minimum(
        s["users"] * p["failure_disruption_hours"] * p["outage_value_per_person_hour"]
        + p["failure_recovery_multiple"] * s["run_cost_gbp"],
        p["failure_cost_cap"],
    )
    weight = np.clip((s["criticality_score"] - 1.0) / 4.0, 0.0, 1.0)
    return (failure_probability(s, p) - p["failure_probability_modern"]) * impact * weight


def blocking_cost(s: Inputs, p: Params) -> np.ndarray:
    """Change blocked: legacy x blocking_cost_per_dependent x direct dependents shared by their providers.

    blocked dependents = the sum over the systems that directly depend on it of 1 / max(1, the expected
    number of legacy systems that dependent directly depends on), so a dependent is charged once in all.
    """
    return s["legacy"] * s["blocked_dependents"] * p["blocking_cost_per_dependent"]


@dataclass(frozen=True)
class Component:
    """One component of the cost of legacy, declared once: every surface (store, app, workbook, report) derives from it.

    `excel` is the Finance workbook's formula for one Systems-sheet row: `{input}` stands for the
    column of that model input on the Systems sheet, `{r}` for the row number, bare names for
    Assumptions-sheet cells of the same name as the parameter.
    """

    column: str  # stored column, GBP a year (expected value)
    label: str  # what people read
    part: str  # legacy_premium (within reported lines) | hidden (off-ledger)
    kind: str  # cash-releasing | non-cash-releasing | risk (Green Book benefit classes)
    function: Callable[[Inputs, Params], np.ndarray]
    inputs: tuple[str, ...]  # model inputs it reads (costing.inputs.SYSTEM_INPUTS)
    parameters: tuple[str, ...]  # parameters it reads
    excel: str

    @property
    def formula(self) -> str:
        """Return the published formula in words (the function's docstring, one line)."""
        return " ".join(inspect.getdoc(self.function).split())


_ESU_SHARE = (
    "IF({esu_microsoft}{r}>0,esu_first_year_share+esu_yearly_step*INT(MAX({years_past_end_of_support}{r},0)),"
    "esu_other_share)"
)
_ESU_WINDOW = "IF({esu_microsoft}{r}>0,esu_years,esu_other_years)"
_UNREPORTED = "MAX({run_cost_gbp}{r}-{licence_cost_gbp}{r}-{staff_cost_gbp}{r}-{hosting_cost_gbp}{r},0)"


def _fallback(share: str) -> str:
    """Return the Excel form of fallback_line: share / max(1, the fallback shares' sum) x the unreported cost."""
    return f"{_UNREPORTED}*{share}/MAX(1,{'+'.join(FALLBACK_SHARES)})"


_ESU_LINES = f"IF({{licence_cost_gbp}}{{r}}>0,{{licence_cost_gbp}}{{r}},{_fallback('licence_share_of_run_cost')})"
_ROOM = (
    f"MAX({_UNREPORTED}-IF({{licence_cost_gbp}}{{r}}>0,0,{_fallback('licence_share_of_run_cost')})"
    f"-IF({{hosting_cost_gbp}}{{r}}>0,0,{_fallback('hosting_share_of_run_cost')}),0)"
)
_STAFF = (
    "IF({staff_cost_gbp}{r}>0,{staff_cost_gbp}{r},IF({support_fte}{r}>0,"
    f"MIN({{support_fte}}{{r}}*support_fte_cost,{_ROOM}),{_fallback('staff_share_of_run_cost')}))"
)
_LINES = ("licence_cost_gbp", "staff_cost_gbp", "hosting_cost_gbp", "run_cost_gbp")
_UNSUPPORTED = (
    f"IF({{end_of_support_known}}{{r}}>0,IF({{years_past_end_of_support}}{{r}}>{_ESU_WINDOW},1,0),"
    "{legacy}{r}*prior_unsupported_legacy+(1-{legacy}{r})*prior_unsupported_modern)"
)
_BREACH = (
    f"MIN(breach_base_probability*(1+{_UNSUPPORTED}*(unsupported_breach_multiplier-1))"
    "*(1+vulnerability_breach_coefficient*LN(1+{known_vulnerabilities}{r})),1)"
)
COMPONENTS: tuple[Component, ...] = (
    Component(
        "extended_support_gbp", "Extended support", LEGACY_PREMIUM, "cash-releasing", extended_support_premium,
        ("years_past_end_of_support", "esu_microsoft", *_LINES),
        ("esu_first_year_share", "esu_yearly_step", "esu_years", "esu_other_years", "esu_other_share",
         *FALLBACK_SHARES),
        f"=IF(AND({{years_past_end_of_support}}{{r}}>0,{{years_past_end_of_support}}{{r}}<={_ESU_WINDOW}),"
        f"{_ESU_LINES}*{_ESU_SHARE}/(1+{_ESU_SHARE}),0)",
    ),
    Component(
        "support_effort_gbp", "Support effort", LEGACY_PREMIUM, "cash-releasing", support_effort_premium,
        ("legacy", "support_fte", *_LINES),
        ("support_fte_cost", *FALLBACK_SHARES, "legacy_support_effort_premium"),
        f"={{legacy}}{{r}}*{_STAFF}*legacy_support_effort_premium/(1+legacy_support_effort_premium)",
    ),
    Component(
        "scarce_skills_gbp", "Scarce skills", LEGACY_PREMIUM, "cash-releasing", scarce_skills_premium,
        ("scarce_skills", "legacy", "support_fte", *_LINES),
        ("support_fte_cost", *FALLBACK_SHARES, "scarce_skills_premium", "legacy_support_effort_premium"),
        f"=IF({{scarce_skills}}{{r}}>0,{_STAFF}/(1+{{legacy}}{{r}}*legacy_support_effort_premium)"
        "*scarce_skills_premium/(1+scarce_skills_premium),0)",
    ),
    Component(
        "hosting_premium_gbp", "Hosting premium", LEGACY_PREMIUM, "cash-releasing", hosting_premium,
        (*_LINES, "mainframe", "on_premises"),
        (*FALLBACK_SHARES, "mainframe_hosting_premium", "on_premises_hosting_premium"),
        f"=IF({{hosting_cost_gbp}}{{r}}>0,{{hosting_cost_gbp}}{{r}},{_fallback('hosting_share_of_run_cost')})"
        "*IF({mainframe}{r}>0,mainframe_hosting_premium/(1+mainframe_hosting_premium),"
        "IF({on_premises}{r}>0,on_premises_hosting_premium/(1+on_premises_hosting_premium),0))",
    ),
    Component(
        "manual_workarounds_gbp", "Manual workarounds", HIDDEN, "non-cash-releasing", manual_workaround_labour,
        ("manual_workaround_hours_per_month", "manual_interfaces"), ("manual_interface_hours", "loaded_hourly_cost"),
        "=({manual_workaround_hours_per_month}{r}*12+0.5*{manual_interfaces}{r}*manual_interface_hours)"
        "*loaded_hourly_cost",
    ),
    Component(
        "outage_gbp", "Outages", HIDDEN, "non-cash-releasing", outage_cost,
        ("outage_hours_per_year", "users"),
        ("modern_outage_hours", "concurrent_user_share", "outage_value_per_person_hour"),
        "=MAX({outage_hours_per_year}{r}-modern_outage_hours,0)*{users}{r}*concurrent_user_share"
        "*outage_value_per_person_hour",
    ),
    Component(
        "security_loss_gbp", "Security (expected loss)", HIDDEN, "risk", security_loss,
        ("years_past_end_of_support", "end_of_support_known", "esu_microsoft", "legacy", "known_vulnerabilities",
         "users"),
        ("esu_years", "esu_other_years", "prior_unsupported_legacy", "prior_unsupported_modern",
         "unsupported_breach_multiplier", "vulnerability_breach_coefficient", "breach_base_probability", "breach_cost",
         "breach_reference_users"),
        f"=({_BREACH}-breach_base_probability)*breach_cost"
        "*MIN(MAX(LOG10(1+{users}{r})/LOG10(1+breach_reference_users),0.1),1)",
    ),
    Component(
        "failure_loss_gbp", "Service failure (expected loss)", HIDDEN, "risk", failure_loss,
        ("years_past_end_of_support", "end_of_support_known", "esu_microsoft", "legacy", "users", "run_cost_gbp",
         "criticality_score"),
        ("esu_years", "esu_other_years", "prior_unsupported_legacy", "prior_unsupported_modern",
         "failure_probability_legacy", "failure_probability_modern", "unsupported_failure_multiplier",
         "failure_disruption_hours", "outage_value_per_person_hour", "failure_recovery_multiple", "failure_cost_cap"),
        "=(MIN(({legacy}{r}*failure_probability_legacy+(1-{legacy}{r})*failure_probability_modern)"
        f"*(1+{_UNSUPPORTED}*(unsupported_failure_multiplier-1)),1)-failure_probability_modern)"
        "*MIN({users}{r}*failure_disruption_hours*outage_value_per_person_hour+failure_recovery_multiple*{run_cost_gbp}{r},"
        "failure_cost_cap)*MIN(MAX(({criticality_score}{r}-1)/4,0),1)",
    ),
    Component(
        "blocking_gbp", "Change blocked", HIDDEN, "non-cash-releasing", blocking_cost,
        ("legacy", "blocked_dependents"), ("blocking_cost_per_dependent",),
        "={legacy}{r}*{blocked_dependents}{r}*blocking_cost_per_dependent",
    ),
)  # fmt: skip
COMPONENT_COLUMNS = tuple(c.column for c in COMPONENTS)
AGEING = ("support_effort_gbp", "scarce_skills_gbp")  # premium components that grow with the system's age
COMPONENT_LABELS = {c.column: c.label for c in COMPONENTS}
PREMIUM_COMPONENTS = tuple(c for c in COMPONENTS if c.part == LEGACY_PREMIUM)
HIDDEN_COMPONENTS = tuple(c for c in COMPONENTS if c.part == HIDDEN)


def hidden_components(s: Inputs, p: Params) -> dict[str, np.ndarray]:
    """Return every component's annual GBP by column name (legacy premium and hidden)."""
    return {c.column: np.asarray(c.function(s, p), dtype=np.float64) for c in COMPONENTS}


def hidden_total(s: Inputs, p: Params) -> np.ndarray:
    """Return the hidden (off-ledger) cost: the sum of the hidden components."""
    total = 0.0
    for component in HIDDEN_COMPONENTS:
        total = total + component.function(s, p)
    return np.asarray(total, dtype=np.float64)


def legacy_premium_total(s: Inputs, p: Params) -> np.ndarray:
    """Return the legacy premium within reported cost: the sum of the premium components."""
    total = 0.0
    for component in PREMIUM_COMPONENTS:
        total = total + component.function(s, p)
    return np.asarray(total, dtype=np.float64)


def components_in_words(part: str = HIDDEN) -> str:
    """Return one part's component labels as a sentence fragment, in order ("a, b and c"), lower case."""
    labels = [c.label.lower() for c in COMPONENTS if c.part == part]
    return ", ".join(labels[:-1]) + " and " + labels[-1]
