"""Regenerate the documentation's generated blocks: `python -m app.docs` (or `make docs`) rewrites docs/*.md."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from app import cli_docs
from estate.docs import data_dictionary_markdown, issue_codes_markdown
from reporting.docs import cost_components_markdown, parameters_markdown, result_columns_markdown

BLOCKS: dict[str, Callable[[], str]] = {
    "data-dictionary": data_dictionary_markdown,
    "issue-codes": issue_codes_markdown,
    "cost-components": cost_components_markdown,
    "parameters": parameters_markdown,
    "result-columns": result_columns_markdown,
    **cli_docs.blocks(),
}


def update_readme(path: Path) -> bool:
    """Rewrite the generated blocks of a document in place; return True if anything changed."""
    text = path.read_text(encoding="utf-8")
    updated = text
    for name, render in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        updated = pattern.sub(lambda m, r=render: m.group(1) + r() + m.group(2), updated)
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


DOCS = Path(__file__).parents[1] / "docs"


def documents() -> list[Path]:
    """Return the documents that carry generated blocks (the reference pages under docs/)."""
    return sorted(DOCS.glob("*.md"))


if __name__ == "__main__":
    paths = [Path(a) for a in sys.argv[1:]] or documents()
    changed = [p.name for p in paths if update_readme(p)]
    print(f"updated: {', '.join(changed)}" if changed else "documentation already up to date")
