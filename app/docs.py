"""Regenerate the README's generated blocks: `python -m app.docs README.md` (or `make docs`)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from estate.docs import data_dictionary_markdown, issue_codes_markdown
from reporting.docs import cost_components_markdown, parameters_markdown

BLOCKS: dict[str, Callable[[], str]] = {
    "data-dictionary": data_dictionary_markdown,
    "issue-codes": issue_codes_markdown,
    "cost-components": cost_components_markdown,
    "parameters": parameters_markdown,
}


def update_readme(path: Path) -> bool:
    """Rewrite the generated blocks of a README in place; return True if anything changed."""
    text = path.read_text(encoding="utf-8")
    updated = text
    for name, render in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        updated = pattern.sub(lambda m, r=render: m.group(1) + r() + m.group(2), updated)
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":
    changed = update_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README updated" if changed else "README already up to date")
