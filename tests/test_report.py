"""The reproducible report: byte-identical reruns, verify, inert user text, self-contained HTML."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import run_estate, systems_rows, write_xlsx

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://example.invalid","x")'


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    rows = systems_rows(30)
    rows[1][1] = SCRIPT
    rows[2][1] = FORMULA
    source = write_xlsx(
        folder / "inventory.xlsx",
        {
            "Systems": rows,
            "Interfaces": [["From", "To", "Kind"], *[[f"S{i}", f"S{i + 1}", "manual"] for i in range(1, 30)]],
            "Costs": [
                ["System ID", "FY", "Category", "Amount"],
                *[[f"S{i}", "2024-25", "licence", 1000 * i] for i in range(1, 31)],
            ],
        },
    )
    book = openpyxl.load_workbook(source)
    book["Systems"]["B3"].data_type = "s"  # text that looks like a formula, as typed
    book.save(source)
    db = folder / "e.duckdb"
    assert run_estate("import", str(source), "--db", str(db)).returncode == 0
    assert run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "100").returncode == 0
    return db


@pytest.fixture(scope="module")
def report(analysed, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out") / "report"
    result = run_estate("report", "--db", str(analysed), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rerun_gives_the_same_bytes(analysed, report, tmp_path):
    again = tmp_path / "again"
    assert run_estate("report", "--db", str(analysed), "--out", str(again)).returncode == 0
    first, second = _tree(report), _tree(again)
    assert set(first) == set(second) and len(first) > 20
    assert [name for name in first if first[name] != second[name]] == []


def test_report_folder_contents(report):
    manifest = json.loads((report / "manifest.json").read_text())
    assert {
        "report.html",
        "report.pdf",
        "inputs/inventory.xlsx",
        "data/system_assessment.csv",
        "data/system_assessment.parquet",
    } <= set(manifest["files"])
    assert manifest["settings"]["seed"] == 0 and manifest["settings"]["as_of"] == "2026-11-25"
    assert manifest["parameters"]["discount_rate"]["value"] == 0.035 and manifest["packages"]["duckdb"]
    assert manifest["inputs"][0]["sha256"] == manifest["files"]["inputs/inventory.xlsx"]
    assert (report / "report.pdf").read_bytes().startswith(b"%PDF")


def test_html_is_self_contained_and_escapes_user_text(report):
    html = (report / "report.html").read_text()
    assert "<script" not in html.lower()  # the system called <script>... is escaped wherever it appears
    assert "<link" not in html.lower() and ' src="http' not in html and "@import" not in html
    for section in (
        "Summary",
        "Scope and inputs",
        "Methodology",
        "Assumptions log",
        "Results",
        "Sensitivity",
        "Data quality",
        "Limitations",
        "How to rerun",
    ):
        assert f">{section}</h2>" in html
    assert "<svg" in html


def test_csv_text_cannot_run_as_a_formula(report):
    csv = (report / "data" / "system_assessment.csv").read_text()
    assert "'" + FORMULA.replace('"', '""') in csv
    assert "\n" + FORMULA not in csv and "," + FORMULA not in csv


def test_verify_passes_then_fails_after_one_byte_changes(report, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(report, copy)
    ok = run_estate("verify", str(copy))
    assert ok.returncode == 0, ok.stderr
    html = copy / "report.html"
    data = bytearray(html.read_bytes())
    data[100] ^= 1
    html.write_bytes(bytes(data))
    changed = run_estate("verify", str(copy))
    assert changed.returncode == 1 and "report.html: differs from manifest.json" in changed.stderr


def test_verify_fails_when_an_input_changes(report, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(report, copy)
    source = copy / "inputs" / "inventory.xlsx"
    book = openpyxl.load_workbook(source)
    book["Systems"]["C4"] = "Another department"
    book.save(source)
    result = run_estate("verify", str(copy))
    assert result.returncode == 1 and "inputs/inventory.xlsx: differs from manifest.json" in result.stderr
    assert "a rerun from inputs/ gives different bytes" in result.stderr


def test_report_and_verify_refuse_what_they_cannot_use(tmp_path, good_workbook):
    db = tmp_path / "e.duckdb"
    run_estate("import", str(good_workbook), "--db", str(db))
    result = run_estate("report", "--db", str(db), "--out", str(tmp_path / "r"))
    assert result.returncode == 1 and "estate analyse" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run_estate("verify", str(tmp_path / "empty"))
    assert result.returncode == 1 and "manifest.json" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_csv_text_is_quoted(text):
    from reporting.text import inert_csv_text

    assert inert_csv_text(text) == "'" + text
    assert inert_csv_text("plain") == "plain" and inert_csv_text(3) == 3


def test_only_synthetic_inputs_are_labelled_synthetic(report, tmp_path):
    from reporting.report import _is_synthetic

    assert "SYNTHETIC DATA" not in (report / "report.html").read_text()
    sample = Path(__file__).parents[1] / "sample_inventory.xlsx"
    assert _is_synthetic(sample.read_bytes())
    assert not _is_synthetic((report / "inputs" / "inventory.xlsx").read_bytes())
    assert not _is_synthetic(b"System ID,Name\n")


def test_a_report_from_files_read_with_different_profiles_verifies_and_shows_field_sources(tmp_path):
    from tests.test_profiles import EXCHANGE_3

    model = tmp_path / "model.xml"
    model.write_text(EXCHANGE_3, encoding="utf-8")  # read with the built-in archi profile
    ledger = write_xlsx(tmp_path / "ledger.xlsx", {  # read with estate's own headers, no profile
        "Systems": [["System ID", "Name", "Department", "Go-live year"], ["a1", "CRM", "Sales", 1998]],
        "Costs": [["System ID", "FY", "Category", "Amount"], ["a1", "2024-25", "licence", 50_000],
                  ["a2", "2024-25", "hosting", 20_000]],
    })  # fmt: skip
    db = tmp_path / "e.duckdb"
    for source in (model, ledger):
        assert run_estate("import", str(source), "--db", str(db)).returncode == 0
    assert run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "50").returncode == 0
    out = tmp_path / "report"
    assert run_estate("report", "--db", str(db), "--out", str(out), "--no-pdf").returncode == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["profiles"] == {"model.xml": "mapping.toml", "ledger.xlsx": ""}
    result = run_estate("verify", str(out))
    assert result.returncode == 0, result.stderr
    sources = (out / "data" / "field_sources.csv").read_text(encoding="utf-8")
    assert "go_live_year,ledger.xlsx,Systems,1" in sources and "department,model.xml,elements,1" in sources
    assert "Where each field came from" in (out / "report.html").read_text(encoding="utf-8")


def _pdf_text(path: Path) -> bytes:
    """Return the PDF's bytes with every compressed stream inflated (to look for structure entries)."""
    import re
    import zlib

    data = path.read_bytes()
    inflated = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            inflated.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return data + b"".join(inflated)


def test_the_report_reads_results_first_with_contents_page_numbers_links_and_a_tagged_pdf(report):
    html = (report / "report.html").read_text(encoding="utf-8")
    sections = ("contents", "summary", "results", "sensitivity", "scope", "methodology", "assumptions", "rerun")
    order = [html.index(f'<h2 id="{section}">') for section in sections]
    assert order == sorted(order)
    assert 'counter(page) " of " counter(pages)' in html  # page numbers in the PDF
    assert '<a href="https://www.gov.uk/' in html  # sources are links
    assert not re.search(r"\d[eE][+-]\d", html.split("<body>")[1].split("<svg")[0])  # no scientific notation
    assert "parameter at its low value" in html and "central:" in html  # the tornado's legend
    pdf = _pdf_text(report / "report.pdf")
    assert b"StructTreeRoot" in pdf and b"pdfuaid" in pdf  # a tagged PDF, declared PDF/UA-1


def _copy(report: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(report, copy)
    return copy


def _edit_manifest(folder: Path, change) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def test_verify_fails_an_edited_headline_an_added_file_and_a_stale_pdf(report, tmp_path):
    copy = _copy(report, tmp_path)

    def inflate(manifest):
        manifest["headline"]["hidden_cost_gbp"] = manifest["headline"]["hidden_cost_gbp"] * 10

    _edit_manifest(copy, inflate)
    result = run_estate("verify", str(copy))
    assert result.returncode == 1 and "its headline is not what a rerun records" in result.stderr
    copy = tmp_path / "second"
    shutil.copytree(report, copy)
    (copy / "data" / "extra.csv").write_text("a,b\n")
    (copy / ".hidden").write_text("x")
    result = run_estate("verify", str(copy))
    assert result.returncode == 1
    assert "data/extra.csv: in the folder but not in manifest.json" in result.stderr and ".hidden" in result.stderr


def test_a_report_without_pdf_replaces_the_whole_folder_so_no_stale_pdf_is_left(analysed, report, tmp_path):
    out = _copy(report, tmp_path)
    assert (out / "report.pdf").exists()
    (out / "data" / "left-over.csv").write_text("x\n")
    assert run_estate("report", "--db", str(analysed), "--out", str(out), "--no-pdf").returncode == 0
    assert not (out / "report.pdf").exists() and not (out / "data" / "left-over.csv").exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]
    assert run_estate("verify", str(out)).returncode == 0
    stranger = tmp_path / "mine"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    result = run_estate("report", "--db", str(analysed), "--out", str(stranger), "--no-pdf")
    assert result.returncode == 1 and "not one estate wrote" in result.stderr
    assert [p.name for p in stranger.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    "where",
    ["/etc/passwd", "../outside.txt", "inputs/../../outside.txt", "C:\\\\x", "", "data/./x"],
)
def test_verify_never_opens_a_manifest_name_outside_the_report(report, tmp_path, where):
    copy = _copy(report, tmp_path)
    (tmp_path / "outside.txt").write_text("secret")
    _edit_manifest(copy, lambda m: m["files"].update({where: "0" * 64}))
    result = run_estate("verify", str(copy))
    assert result.returncode == 1 and "not a file inside the report" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("order", [["../../outside.xlsx"], ["/etc/passwd"], "inventory.xlsx", [3]])
def test_verify_refuses_import_paths_outside_the_report(report, tmp_path, order):
    copy = _copy(report, tmp_path)
    _edit_manifest(copy, lambda m: m["settings"].update({"import_order": order}))
    result = run_estate("verify", str(copy))
    assert result.returncode == 1 and "settings no analysis accepts" in result.stderr
    assert "Traceback" not in result.stderr


def test_verify_does_not_follow_symbolic_links(report, tmp_path):
    copy = _copy(report, tmp_path)
    (tmp_path / "outside.xlsx").write_bytes((copy / "inputs" / "inventory.xlsx").read_bytes())
    (copy / "inputs" / "inventory.xlsx").unlink()
    (copy / "inputs" / "inventory.xlsx").symlink_to(tmp_path / "outside.xlsx")
    result = run_estate("verify", str(copy))
    assert result.returncode == 1 and "inputs/inventory.xlsx: a symbolic link" in result.stderr
    assert "inputs/inventory.xlsx missing or not in manifest.json, so no rerun" in result.stderr


@pytest.mark.parametrize(
    "change",
    [{"draws": 10**12}, {"draws": "many"}, {"seed": None}, {"as_of": "yesterday"}, {"betweenness_samples": -1}],
)
def test_verify_refuses_malformed_or_unbounded_settings_with_a_message(report, tmp_path, change):
    copy = _copy(report, tmp_path)
    _edit_manifest(copy, lambda m: m["settings"].update(change))
    result = run_estate("verify", str(copy))
    assert result.returncode == 1 and "settings no analysis accepts" in result.stderr
    assert "Traceback" not in result.stderr
    (copy / "manifest.json").write_text("[1, 2]")
    result = run_estate("verify", str(copy))
    assert result.returncode == 1 and "no readable manifest.json" in result.stderr and "Traceback" not in result.stderr


def test_every_word_of_report_pdf_is_inside_its_page_and_tables_repeat_their_headers(report):
    import pdfplumber

    margin = 1.6 / 2.54 * 72 - 2  # the @page margin (1.6 cm) in points, less a rounding allowance
    with pdfplumber.open(report / "report.pdf") as pdf:
        pages = [(page.width, page.height, page.extract_words()) for page in pdf.pages]
        texts = [page.extract_text() or "" for page in pdf.pages]
    outside = {
        number: [w["text"] for w in words if w["x0"] < margin or w["x1"] > width - margin or w["bottom"] > height]
        for number, (width, height, words) in enumerate(pages, 1)
    }
    assert {n: words for n, words in outside.items() if words} == {}
    assert min(len(words) for _, _, words in pages) >= 40  # no page left holding a line or two
    continued = [t for t in texts[1:] if "Expected NPV" in t and "Rank System" in t.replace("\n", " ")]
    assert continued, "the top candidates' table header is not repeated on the page it continues onto"
    if os.environ.get("ESTATE_SCREENSHOTS"):  # every PDF page as an image, beside the app's (CI's artefacts)
        import pypdfium2

        shots = Path(os.environ["ESTATE_SCREENSHOTS"]) / "report-pdf"
        shots.mkdir(parents=True, exist_ok=True)
        document = pypdfium2.PdfDocument(report / "report.pdf")
        for number in range(len(document)):
            document[number].render(scale=1.5).to_pil().save(shots / f"page-{number + 1:02d}.png")
        document.close()


def test_report_charts_label_parameters_in_words_and_never_cut_a_department_name():
    from reporting.charts import interval_bars, tornado

    long_name = "Department for Environment, Food and Rural Affairs Regional Office"
    bars = interval_bars([long_name], [1.0], [2.0], [3.0], "t")
    assert f"<title>{long_name}</title>" in bars and long_name[:43] + "…" in bars
    chart = tornado(["breach base probability"], [5e6], [9e6], 6e6, "t")
    ends = [float(x) for x in re.findall(r'<text x="([0-9.]+)" y="15" text-anchor="end" font-size', chart)]
    assert ends and min(ends) > 230  # the lowest bar's total sits right of the parameter names (which end at 224)
