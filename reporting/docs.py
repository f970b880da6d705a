"""Documentation derived from the cost model: component formulas and the assumptions table."""

from __future__ import annotations

from costing.hidden import COMPONENTS
from estate.docs import markdown_cell
from pipeline.settings import load_parameters


def cost_components_markdown() -> str:
    """Return each hidden-cost component with its formula, from the functions' own docstrings."""
    lines = ["| Column | Formula (annual GBP; zero where it does not apply) |", "|---|---|"]
    for c in COMPONENTS:
        lines.append(f"| `{c.column}` | {markdown_cell(c.formula)} |")
    return "\n".join(lines) + "\n"


def parameters_markdown() -> str:
    """Return every default parameter: name, value (the PERT mode), the mean the Monte Carlo draws average to,
    range, unit, confidence and source (a wide prior's mean can be far from its mode: say both)."""
    lines = [
        "| Parameter | Value (most likely) | Mean (as drawn) | Low | High | Unit | Confidence | Source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in load_parameters().values.values():
        lines.append(
            f"| `{p.name}` | {p.value:g} | {p.mean:.4g} | {p.low:g} | {p.high:g} | {p.unit} | {p.confidence} | "
            f"{markdown_cell(p.source)} |"
        )
    return "\n".join(lines) + "\n"


def result_columns_markdown() -> str:
    """Return every result table and its columns from the results catalogue: type, unit, description."""
    from pipeline.catalogue import COLUMNS
    from pipeline.results import RESULT_TABLES

    lines = []
    for table in RESULT_TABLES:
        lines += [f"**`{table.name}`**", "", "| Column | Type | Unit | Meaning |", "|---|---|---|---|"]
        for name, type_ in table.column_types():
            c = COLUMNS[name]
            lines.append(f"| `{name}` | {type_} | {c.units} | {markdown_cell(c.label + ': ' + c.description)} |")
        lines.append("")
    return "\n".join(lines)
