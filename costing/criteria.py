"""The ranking criteria, declared once (light: the CLI's help text reads them without loading numpy)."""

from __future__ import annotations

from dataclasses import dataclass

# whose ranking `estate rank --method` and the Candidates page show: estate's decision measure, CDDO's Legacy IT
# Risk Assessment Framework, a GAO-style points profile, Gartner's TIME (costing.methods scores each)
METHODS = ("estate", "cddo", "gao", "time")


@dataclass(frozen=True)
class Criterion:
    """One ranking criterion, declared once: its weight parameter, the column it reads, label and help text."""

    weight: str  # parameter name (weight_*); `--weights` takes it without the prefix
    column: str  # every criterion is "higher means replace sooner"
    label: str
    help: str
    scale: str  # log: log10(1 + x) min-max (money, counts: keeps magnitude, tames no outlier away); linear: min-max

    @property
    def key(self) -> str:
        """Return the name `estate rank --weights` uses (the weight without its prefix)."""
        return self.weight.removeprefix("weight_")


RANKING_CRITERIA = (
    Criterion("weight_hidden_cost", "total_cost_of_legacy_gbp", "Cost of legacy a year (expected)",
              "Expected legacy premium + hidden cost a year (log scale: a £100m problem outranks a £1m one).", "log"),
    Criterion("weight_risk", "risk_score", "Risk score", "Impact x likelihood, 1-25 (linear).", "linear"),
    Criterion("weight_blast_radius", "blast_radius", "Blast radius",
              "Systems that transitively depend on it (log scale); counted here only.", "log"),
    Criterion("weight_npv", "npv_per_capex", "NPV per £ of capex",
              "Expected Green Book NPV of replacing per pound of capex (linear).", "linear"),
    Criterion("weight_ease", "ease", "Ease of replacement",
              "Minus the replacement effort: expected duration (years) x coupled cluster size (linear).", "linear"),
)  # fmt: skip
REPLACEMENT_ACTIONS = ("retire", "rehost", "replatform", "refactor", "repurchase")
DECISION_MEASURE = "npv_per_capex"  # default order: expected NPV per pound of expected capex


def weights_example() -> str:
    """Return the --weights example: every criterion's key with its share of an even split."""
    return ",".join(f"{c.key}=0.2" for c in RANKING_CRITERIA)
