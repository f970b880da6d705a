"""A shared deployment signed into through a real OpenID Provider, in a real browser, as each role.

panva's oidc-provider (npm, a certified OpenID Provider; installed by `make` into .cache/oidc) runs on loopback
with a department user, a centre user, a reviewer and a person no rule admits; `estate app --access` signs
them in with Streamlit's st.login (Authlib) and headless Chromium walks the pages and downloads as each.
Nothing about sign-in is mocked.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tests.browser import CHROMIUM_FLAGS
from tests.conftest import analysed_sample

ROOT = Path(__file__).parents[1]
OIDC_MODULE = ROOT / ".cache/oidc/node_modules/oidc-provider/lib/index.js"
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not (OIDC_MODULE.exists() and shutil.which("node") and Path(CHROMIUM).exists()) and not os.environ.get("CI"),
    reason="oidc-provider (npm), Node.js or Debian chromium missing (make test installs them)",
)
DEPARTMENT = "Justice Ministry"
USERS = {
    "ada": {"email": "ada@justice.gov.uk", "email_verified": True, "name": "Ada"},
    "cee": {"email": "cee@cabinetoffice.gov.uk", "email_verified": True, "groups": ["staff", "cddo-portfolio"]},
    "rev": {"email": "auditor@nao.org.uk", "email_verified": True},
    "nobody": {"email": "nobody@example.com", "email_verified": True},
}
# pages that name no neighbour: another department's name may appear only as the far end of an interface
# (System, Dependencies), so these must not show one at all
PAGES = ("", "Candidates", "Roadmap", "Assumptions", "Data_quality", "Import")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            raise RuntimeError(
                f"exited with code {process.returncode}: {process.stdout.read() if process.stdout else ''}"
            )
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signin")
    db = analysed_sample(folder, systems=60, seed=3, draws=100)
    with duckdb.connect(str(db), read_only=True) as connection:
        rows = connection.execute("SELECT system_id, department FROM systems").fetchall()
    assert DEPARTMENT in {d for _, d in rows}
    provider_port, app_port = free_port(), free_port()
    users = folder / "users.json"
    users.write_text(json.dumps(USERS))
    redirect = f"http://localhost:{app_port}/oauth2callback"
    provider = subprocess.Popen(
        ["node", str(ROOT / "tests/oidc/provider.mjs"), str(provider_port), str(users), redirect, "estate",
         "estate-test-secret"],
        env=os.environ | {"OIDC_PROVIDER_MODULE": str(OIDC_MODULE)}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    access = folder / "access.toml"
    access.write_text(f"""[auth]
redirect_uri = "{redirect}"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "estate"
client_secret = "estate-test-secret"
server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"
client_kwargs = {{ scope = "openid email profile groups" }}

[[access]]
emails = ["*@justice.gov.uk"]
role = "department"
departments = ["{DEPARTMENT}"]

[[access]]
claims = {{ groups = "cddo-portfolio" }}
role = "centre"

[[access]]
emails = ["auditor@nao.org.uk"]
role = "reviewer"
""")
    estate = str(Path(sys.executable).with_name("estate"))
    app = subprocess.Popen(
        [estate, "app", "--db", str(db), "--port", str(app_port), "--address", "0.0.0.0", "--access", str(access)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(provider_port, provider)
        wait_for_port(app_port, app)
        yield {"url": f"http://localhost:{app_port}/", "db": db, "systems": dict(rows), "folder": folder}
    finally:
        for process in (app, provider):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        yield launched
        launched.close()


def signed_in(browser, deployment, login: str):
    """Return a page of a new browser session signed in as `login` through the provider's own forms."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(deployment["url"], timeout=60_000)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name=login]", timeout=60_000)  # the provider's login form
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.get_by_text("Continue").wait_for(timeout=60_000)  # the provider's consent
    page.click("button[type=submit]")
    page.wait_for_url(deployment["url"] + "**", timeout=60_000)
    page.wait_for_load_state("networkidle")
    return page


def logged(db: Path, who: str, wanted: tuple[str, str, str], timeout: float = 30) -> list[tuple]:
    """Return the access log's (page, action, detail) of `who` once it has `wanted` (a download's line is written
    by the rerun its click starts), or as it is after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with duckdb.connect(str(db), read_only=True) as connection:
                log = connection.execute("SELECT page, action, detail FROM access_log WHERE who = ?", [who]).fetchall()
        except duckdb.IOException:  # the app is writing a line
            log = []
        if wanted in log or time.monotonic() > deadline:
            return log
        time.sleep(0.3)


def settled(page, text: str) -> str:
    page.get_by_text(text).first.wait_for(timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    return page.inner_text("body")


def test_a_department_user_sees_only_their_departments_everywhere(browser, deployment):
    systems = deployment["systems"]
    mine = {s for s, d in systems.items() if d == DEPARTMENT}
    others = sorted({d for d in systems.values() if d != DEPARTMENT})
    page = signed_in(browser, deployment, "ada")
    body = settled(page, "Signed in as ada@justice.gov.uk")
    assert f"department ({DEPARTMENT})" in body
    for path in PAGES:
        page.goto(deployment["url"] + path, timeout=60_000)
        body = settled(page, "Signed in as ada@justice.gov.uk")
        shown = [d for d in others if d in body]
        assert not shown, f"{path or 'Overview'} shows {shown}"
        assert not page.locator("[data-testid=stException]").count()
    for path in ("System", "Dependencies"):  # render, their own systems' neighbourhoods
        page.goto(deployment["url"] + path, timeout=60_000)
        settled(page, "Signed in as ada@justice.gov.uk")
        assert not page.locator("[data-testid=stException]").count()
    # another department's system by URL: named as not theirs, nothing of it shown
    theirs = next(s for s, d in systems.items() if d != DEPARTMENT)
    page.goto(deployment["url"] + f"System?system={theirs}", timeout=60_000)
    body = settled(page, "not in your departments")
    assert systems[theirs] not in body
    # downloads: the candidates csv and the finance workbook hold their systems only
    page.goto(deployment["url"] + "Candidates", timeout=60_000)
    settled(page, "Download this view (csv)")
    with page.expect_download() as download:
        page.get_by_text("Download this view (csv)").click()
    listed = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    ids = {next(v for k, v in row.items() if "ID" in k) for row in listed}
    assert ids and ids <= mine
    page.get_by_text("Prepare the finance workbook").click()
    page.get_by_text("Download the finance workbook").wait_for(timeout=120_000)
    with page.expect_download() as download:
        page.get_by_text("Download the finance workbook").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    named = {r[0] for r in workbook["Departments"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert DEPARTMENT in named and not named & set(others)
    page.goto(deployment["url"] + "Data_quality", timeout=60_000)  # the report: theirs alone too
    settled(page, "Prepare the report (zip)")
    page.get_by_text("Prepare the report (zip)").click()
    page.get_by_text("Download the report (zip)").wait_for(timeout=180_000)
    with page.expect_download() as download:
        page.get_by_text("Download the report (zip)").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        html = archive.read("report.html").decode("utf-8")
    assert DEPARTMENT in html and not [d for d in others if d in html]
    log = logged(deployment["db"], "ada@justice.gov.uk", ("Data quality", "downloaded", "estate_report.zip"))
    page.context.close()
    assert ("Overview", "viewed", "") in log and ("Candidates", "downloaded", "estate_candidates.csv") in log
    assert ("Data quality", "downloaded", "estate_report.zip") in log
    assert any(action == "refused" and theirs in detail for _, action, detail in log)


def test_a_centre_user_sees_the_whole_estate_and_the_access_log(browser, deployment):
    page = signed_in(browser, deployment, "cee")
    body = settled(page, "Signed in as cee@cabinetoffice.gov.uk")
    assert "centre (every department)" in body
    departments = set(deployment["systems"].values())
    assert sum(d in body for d in departments) == len(departments)
    page.goto(deployment["url"] + "Data_quality", timeout=60_000)
    body = settled(page, "Access log")
    assert "Returns by department" in body
    page.context.close()


def test_an_unmatched_user_and_a_signed_out_visitor_see_nothing(browser, deployment):
    page = signed_in(browser, deployment, "nobody")
    body = settled(page, "No access")
    assert "£" not in body and not any(d in body for d in set(deployment["systems"].values()))
    page.goto(deployment["url"] + "Candidates", timeout=60_000)
    body = settled(page, "No access")
    assert "£" not in body
    page.context.close()
    context = browser.new_context()
    visitor = context.new_page()
    visitor.goto(deployment["url"] + "Candidates", timeout=60_000)
    body = settled(visitor, "Sign in")
    assert "£" not in body and not any(d in body for d in set(deployment["systems"].values()))
    context.close()
    with duckdb.connect(str(deployment["db"]), read_only=True) as connection:
        refused = connection.execute("SELECT count(*) FROM access_log WHERE who = 'nobody@example.com' "
                                     "AND action = 'refused'").fetchone()[0]  # fmt: skip
    assert refused >= 1


def test_a_reviewer_reads_everything_but_cannot_import(browser, deployment):
    page = signed_in(browser, deployment, "rev")
    settled(page, "Signed in as auditor@nao.org.uk")
    page.goto(deployment["url"] + "Import", timeout=60_000)
    body = settled(page, "A reviewer reads the estate")
    assert "Commit import" not in body
    page.context.close()
