"""The access file of a shared deployment (estate app --access) and the app's refusal to listen openly without one."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from app.access import AccessError, AccessFile
from tests.conftest import ESTATE

AUTH = f"""[auth]
redirect_uri = "https://estate.example.gov.uk/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "estate"
client_secret = "s3cret"
server_metadata_url = "https://login.example.gov.uk/.well-known/openid-configuration"
"""
RULES = """
[[access]]
emails = ["*@justice.gov.uk"]
role = "department"
departments = ["Justice Digital"]

[[access]]
claims = { groups = "cddo-portfolio" }
role = "centre"

[[access]]
emails = ["auditor@nao.org.uk"]
role = "reviewer"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "access.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_first_matching_rule_grants_its_role_and_no_rule_grants_nothing(tmp_path):
    access = AccessFile.load(write(tmp_path, AUTH + RULES), {"Justice Digital", "HMRC"})
    department = access.grant({"email": "Ada@Justice.gov.uk", "email_verified": True})
    assert (department.role, department.departments, department.rule) == ("department", {"Justice Digital"}, 1)
    centre = access.grant({"email": "x@cabinetoffice.gov.uk", "groups": ["staff", "cddo-portfolio"]})
    assert centre.role == "centre" and centre.departments is None
    assert access.grant({"email": "auditor@nao.org.uk"}).read_only
    assert access.grant({"email": "someone@example.com"}) is None
    assert access.grant({"email": "ada@justice.gov.uk", "email_verified": False}) is None  # unverified: no match
    written = access.secrets()["auth"]
    assert written["client_id"] == "estate" and written["client_kwargs"] == {"prompt": "login"}
    assert "client_kwargs" not in access.auth  # the file as written is kept apart


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (AUTH.replace('cookie_secret = "', 'cookie = "') + RULES, "cookie_secret"),
        (AUTH.replace("client_id", "clientid") + RULES, "clientid"),
        (AUTH + RULES.replace('role = "centre"', 'role = "admin"'), "access[2].role"),
        (AUTH + RULES.replace('"Justice Digital"', '"Ministry of Magic"'), "access[1].departments"),
        (AUTH + RULES.replace('emails = ["auditor@nao.org.uk"]\n', ""), "access[3] matches everyone"),
        (AUTH, "[[access]]"),
        (RULES, "[auth]"),
        (AUTH.replace("/oauth2callback", "/callback") + RULES, "redirect_uri"),
        (AUTH + RULES + '\n[[access]]\nemails = ["a@b"]\nrole = "centre"\ndepartments = ["HMRC"]\n', "access[4]"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_a_bad_access_file_is_refused_naming_the_key(tmp_path, text, named):
    with pytest.raises(AccessError, match=named.replace("[", r"\[").replace("]", r"\]")):
        AccessFile.load(write(tmp_path, text), {"Justice Digital", "HMRC"})


def test_the_app_will_not_listen_openly_without_an_access_file(tmp_path):
    db = tmp_path / "estate.duckdb"
    opened = subprocess.run([ESTATE, "app", "--db", str(db), "--address", "0.0.0.0"], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert opened.returncode == 2 and "--access" in opened.stderr
    bad = write(tmp_path, AUTH + RULES.replace('role = "centre"', 'role = "admin"'))
    refused = subprocess.run([ESTATE, "app", "--db", str(db), "--address", "0.0.0.0", "--access", str(bad)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2 and "access[2].role" in refused.stderr and "Traceback" not in refused.stderr


def test_secrets_can_come_from_the_environment(tmp_path, monkeypatch):
    text = (AUTH + RULES).replace('client_secret = "s3cret"', 'client_secret = "${ESTATE_TEST_OIDC_SECRET}"')
    monkeypatch.delenv("ESTATE_TEST_OIDC_SECRET", raising=False)
    with pytest.raises(AccessError, match="ESTATE_TEST_OIDC_SECRET is not set"):
        AccessFile.load(write(tmp_path, text))
    monkeypatch.setenv("ESTATE_TEST_OIDC_SECRET", "from-the-environment")
    assert AccessFile.load(write(tmp_path, text)).secrets()["auth"]["client_secret"] == "from-the-environment"
