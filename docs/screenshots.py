"""Regenerate the README's screenshots from the app and the report as they are now (`make docs` runs this).

The synthetic sample estate (400 systems, seed 2024, as `make sample` writes it) is imported and analysed
in a temporary folder; the Candidates page is photographed in headless Debian chromium at 1440x900 from a
real `estate app` server, and the report's summary from the report.html `estate report` writes.

    python docs/screenshots.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1440, "height": 900}
AS_OF = date(2026, 4, 1)  # the sample's assessment date: the screenshots change only when the product does


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        print("screenshots not regenerated: Debian's chromium is missing (make system-deps installs it)")
        return 0
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from estate.sample import write_sample
    from estate.store import import_files
    from pipeline.run import analyse
    from pipeline.settings import AnalysisSettings
    from reporting.report import build_report
    from tests.browser import CHROMIUM_FLAGS, running_app

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="estate-docs-") as folder:
        workbook, db, report = Path(folder) / "sample.xlsx", Path(folder) / "e.duckdb", Path(folder) / "report"
        write_sample(workbook, systems=400, seed=2024)
        import_files(db, [workbook])
        analyse(db, AnalysisSettings(AS_OF, seed=2024))
        build_report(db, report, pdf=False)
        with running_app(db) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url + "Candidates", timeout=60_000)
            page.get_by_text("worth replacing", exact=False).first.wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # the table draws after the page's last message
            page.screenshot(path=args.out / "app-candidates.png")
            page.goto((report / "report.html").as_uri())
            page.wait_for_load_state("networkidle")
            page.screenshot(path=args.out / "report-summary.png")
            browser.close()
    print(f"screenshots written to {args.out}: app-candidates.png, report-summary.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
