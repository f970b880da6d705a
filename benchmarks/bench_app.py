"""Streamlit app benchmark: re-ranking after a weight change on 10,000 systems, and the Overview's first render.

(1) A synthetic 10,000-system estate (50,000 interfaces) is analysed; then the work the Candidates
page does when a slider moves (re-rank with the new weights, 500-draw stability, filter) is timed
with the estate already loaded (the app's cached loader is warm). Baseline in the same run: the
same ranking read from DuckDB each time, as `estate rank` does. Also the whole Candidates script
rerun through AppTest after a slider change (server side, including table serialisation).
(2) The Overview's first render on the sample estate (400 systems): AppTest's first run of
Overview.py in a fresh process (cold caches), against a one-line Streamlit page in the same process;
and, when Debian's chromium is installed, a real browser from navigation to the headline figure.

    python benchmarks/bench_app.py [--systems 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from summary import emit, peak_rss_mb, row
from synthetic import add_attributes, cost_lines, synthetic_estate, write_store

ROOT = Path(__file__).parents[1]
AS_OF = date(2026, 11, 25)
WEIGHTS = [  # hidden_cost, risk, blast_radius, npv, ease: one slider moved at a time
    (0.35, 0.25, 0.15, 0.15, 0.10), (0.60, 0.25, 0.15, 0.15, 0.10), (0.60, 0.05, 0.15, 0.15, 0.10),
    (0.60, 0.05, 0.50, 0.15, 0.10), (0.60, 0.05, 0.50, 0.00, 0.10), (0.20, 0.05, 0.50, 0.00, 0.40),
]  # fmt: skip


def timed(function, repeat: int) -> float:
    """Return the median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ranking(db: Path) -> dict[str, float]:
    from costing.ranking import CRITERIA
    from pipeline.results import read_stored, rerank, stored_ranking
    from reporting.views import filter_ranking, load_estate

    data = load_estate(db)
    parameters = data.results["parameters_used"]
    seed = int(data.run["seed"])
    weight_sets = [dict(zip(CRITERIA, w, strict=True)) for w in WEIGHTS]
    position = iter(range(10**6))

    def page_work():
        weights = weight_sets[next(position) % len(weight_sets)]
        ranked = rerank(data.assessment, parameters, seed, weights, 20)
        filter_ranking(ranked, departments=["Department 3"])

    def from_database():
        weights = weight_sets[next(position) % len(weight_sets)]
        stored_ranking(read_stored(db), weights, 20)

    page_work()
    return {"rerank_warm_s": timed(page_work, 12), "rerank_from_duckdb_s": timed(from_database, 6)}


def apptest_rerun(db: Path) -> float:
    from streamlit.testing.v1 import AppTest

    os.environ["ESTATE_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "1_Candidates.py"), default_timeout=300).run()
    at.radio(key="order").set_value("weighted").run()  # the weight sliders belong to the weighted view
    times = []
    for value in (0.6, 0.1, 0.9, 0.3, 0.5):
        at.slider(key="weight_hidden_cost").set_value(value)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception
    return statistics.median(times)


def first_render_child(db: str) -> None:
    """In a fresh process: AppTest's first (cold) run of the Overview, and a one-line page."""
    from streamlit.testing.v1 import AppTest

    os.environ["ESTATE_DB"] = db
    start = time.perf_counter()
    trivial = AppTest.from_string("import streamlit as st\nst.title('x')").run()
    trivial_s = time.perf_counter() - start
    start = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app" / "Overview.py"), default_timeout=120).run()
    overview_s = time.perf_counter() - start
    assert not at.exception and not trivial.exception
    print(json.dumps({"overview_cold_s": overview_s, "trivial_page_s": trivial_s}))


def browser_first_render(db: Path) -> list[float] | None:
    """Seconds from navigation to the Overview's headline text in headless Chromium, first and two repeat
    visits (new tabs) after the server starts; None without Debian's chromium."""
    chromium = shutil.which("chromium")
    if not chromium:
        return None
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.browser import CHROMIUM_FLAGS, running_app

    with running_app(db) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
        seconds = []
        for _ in range(3):
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.get_by_text("Hidden annual cost (expected)").first.wait_for(timeout=60_000)
            seconds.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=10_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="Print the results as one JSON object.")
    args = parser.parse_args()
    if args.child:
        first_render_child(args.child)
        return
    from estate.sample import write_sample
    from estate.store import import_files
    from pipeline.run import analyse
    from pipeline.settings import AnalysisSettings

    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "big.duckdb"
        systems, interfaces = synthetic_estate(args.systems, args.systems * 5)
        systems = add_attributes(systems)
        write_store(big, systems, interfaces, cost_lines(systems, 10))
        analyse(big, AnalysisSettings(AS_OF))
        result = ranking(big)
        result["candidates_page_rerun_s"] = apptest_rerun(big)

        sample = Path(folder) / "sample.duckdb"
        workbook = Path(folder) / "sample_inventory.xlsx"
        write_sample(workbook)
        import_files(sample, [workbook])
        analyse(sample, AnalysisSettings(AS_OF))
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(sample)], capture_output=True, text=True, check=True
        )
        result |= json.loads(out.stdout.strip().splitlines()[-1])
        result["browser_first_render_s"] = browser_first_render(sample)
    result["systems"] = args.systems
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.systems:,} systems, {args.systems * 5:,} interfaces (synthetic)\n")
    print("| step | seconds | baseline | ratio | target |")
    print("|---|---|---|---|---|")
    warm, cold = result["rerank_warm_s"], result["rerank_from_duckdb_s"]
    print(f"| weight change -> new ranking (page work, warm) | {warm:.3f} | `estate rank`'s read + rank "
          f"{cold:.3f} s | {cold / warm:.1f}x faster | < 0.300 s |")  # fmt: skip
    print(f"| Candidates script rerun after a slider change (AppTest) | {result['candidates_page_rerun_s']:.3f} | "
          f"| | |")  # fmt: skip
    trivial, overview = result["trivial_page_s"], result["overview_cold_s"]
    print(f"| Overview first render, cold (AppTest, sample) | {overview:.3f} | one-line page {trivial:.3f} s | "
          f"{overview / trivial:.1f}x | < 2 s |")  # fmt: skip
    if result["browser_first_render_s"] is not None:
        first, *repeats = result["browser_first_render_s"]
        print(f"| Overview in headless Chromium, navigation to headline, first visit | {first:.3f} | "
              "| | < 2 s |")  # fmt: skip
        print(f"| the same, repeat visits (median) | {statistics.median(repeats):.3f} | | | < 2 s |")
    rows = [
        row(f"app: weight change -> new ranking, {args.systems:,} systems", warm, "`estate rank` (read + rank)", cold,
            "< 0.3 s", warm < 0.3, peak_rss_mb()),
        row("app: Overview first render (server, cold)", overview, "one-line Streamlit page", trivial, "< 2 s",
            overview < 2, None),
    ]  # fmt: skip
    if result["browser_first_render_s"] is not None:
        first = result["browser_first_render_s"][0]
        rows.append(row("app: Overview first visit in headless Chromium", first, "", None, "< 2 s", first < 2, None))
    emit(rows)


if __name__ == "__main__":
    main()
