"""Docs never drift: README blocks and the template are generated from the schema."""

from __future__ import annotations

import re
from pathlib import Path

import fastexcel

from app.docs import BLOCKS, documents
from estate.issues import CODE_DESCRIPTIONS, IssueCode
from estate.schema import TABLES
from estate.workbook import DICTIONARY_COLUMNS, write_template

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"


def reference() -> str:
    """Return the reference pages under docs/, joined."""
    return "\n".join(p.read_text(encoding="utf-8") for p in documents())


def test_generated_blocks_are_current():
    text = reference()
    for name, render in BLOCKS.items():
        block = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
        assert block, f"docs/ lacks the {name} block"
        assert block.group(1) == render(), f"docs/ {name} block is stale: run `make docs`"


def test_the_readme_is_one_page_that_links_to_every_reference_page():
    text = README.read_text(encoding="utf-8")
    assert len(text) < 10_000  # a front door, not the manual
    for page in documents():
        assert f"](docs/{page.name})" in text
    for image in re.findall(r"!\[[^]]+\]\(([^)]+)\)", text):
        assert (ROOT / image).is_file()


def test_links_between_the_pages_resolve():
    anchors = {}
    for page in [README, *documents()]:
        for heading in re.findall(r"^#+ (.*)$", page.read_text(encoding="utf-8"), re.M):
            anchor = re.sub(r"[^a-z0-9 -]", "", heading.lower().replace("`", "")).replace(" ", "-")
            anchors.setdefault(page.name, set()).add(anchor)
    for page in [README, *documents()]:
        for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?#([a-z0-9-]+)\)", page.read_text(encoding="utf-8")):
            assert anchor in anchors[Path(target).name if target else page.name], f"{page.name}: #{anchor}"


def test_every_issue_code_is_described():
    assert set(CODE_DESCRIPTIONS) == set(IssueCode)


def test_every_field_is_in_the_data_dictionary():
    text = (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8")
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


def test_the_package_builds_without_warnings_and_carries_its_data_files(tmp_path):
    """A wheel (what `pip install .` builds) holds every data file the code reads; setuptools warns of nothing."""
    import subprocess
    import sys
    import zipfile

    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    assert "absent from the `packages` configuration" not in built.stderr + built.stdout
    (wheel,) = tmp_path.glob("estate-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {str(p.relative_to(ROOT)) for folder in ("estate", "costing", "reporting", "app")
            for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in (".toml", ".csv", ".j2", ".py")
            and "__pycache__" not in p.parts}  # fmt: skip
    assert data <= names, sorted(data - names)
