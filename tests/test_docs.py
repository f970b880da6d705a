"""Docs never drift: README blocks and the template are generated from the schema."""

from __future__ import annotations

import re
from pathlib import Path

import fastexcel

from app.docs import BLOCKS
from estate.issues import CODE_DESCRIPTIONS, IssueCode
from estate.schema import TABLES
from estate.workbook import DICTIONARY_COLUMNS, write_template

README = Path(__file__).parents[1] / "README.md"


def test_readme_generated_blocks_are_current():
    text = README.read_text(encoding="utf-8")
    for name, render in BLOCKS.items():
        block = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
        assert block, f"README lacks the {name} block"
        assert block.group(1) == render(), f"README {name} block is stale: run `make docs`"


def test_every_issue_code_is_described():
    assert set(CODE_DESCRIPTIONS) == set(IssueCode)


def test_every_field_is_in_the_readme_dictionary():
    text = README.read_text(encoding="utf-8")
    for table in TABLES:
        for f in table.fields:
            assert f"`{f.name}`" in text


def test_template_has_canonical_headers_and_dictionary(tmp_path):
    path = write_template(tmp_path / "template.xlsx")
    reader = fastexcel.read_excel(str(path))
    assert reader.sheet_names == [t.sheet for t in TABLES] + ["Data dictionary"]
    for table in TABLES:
        sheet = reader.load_sheet(table.sheet, header_row=None, dtypes="string").to_arrow()
        assert [sheet.column(i)[0].as_py() for i in range(sheet.num_columns)] == [f.header for f in table.fields]
    dictionary = reader.load_sheet("Data dictionary", dtypes="string").to_arrow()
    assert dictionary.column_names == list(DICTIONARY_COLUMNS)
    assert dictionary.num_rows == sum(len(t.fields) for t in TABLES)
