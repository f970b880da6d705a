"""Who may see what in a shared deployment: the access file of `estate app --access ACCESS.toml`.

[auth] takes exactly Streamlit's [auth] keys (redirect_uri, cookie_secret, client_id, client_secret,
server_metadata_url, client_kwargs, expose_tokens, or provider tables of the provider keys): estate writes it as
the Streamlit secrets of the server it starts, never into the project. [[access]] rules map a signed-in person
(their OpenID Connect claims, as `st.user` has them) to a role; the first rule that matches wins and no rule
means no access:

    [[access]]
    emails = ["*@justice.gov.uk"]          # globs, case-insensitive; an email the provider says is unverified
    claims = { groups = "moj-digital" }    # never matches; a claim equal to the value (or a list holding it)
    role = "department"                    # department | centre | reviewer
    departments = ["Ministry of Justice"]  # a department role's departments, as the store names them

A rule needs emails, claims or both (both must match). A bad file is an AccessError naming the key. Any
[auth] value written "${NAME}" is read from the environment variable NAME (client_secret = "${OIDC_SECRET}"),
so the file itself holds no secret.
"""

from __future__ import annotations

import copy
import fnmatch
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url", "client_kwargs", "expose_tokens")
AUTH_KEYS = ("redirect_uri", "cookie_secret", *PROVIDER_KEYS)
ROLES = ("department", "centre", "reviewer")
RULE_KEYS = ("emails", "claims", "role", "departments")


class AccessError(ValueError):
    """An access file that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Grant:
    """What one signed-in person may see: a role and, for a department role, its departments."""

    role: str
    departments: frozenset[str] | None  # None: every department (centre, reviewer)
    rule: int  # the matching rule's position in the file, from 1
    who: str  # the person's email (or subject) as the access log records them

    @property
    def departments_text(self) -> str:
        """Return the grant's departments as the access log records them ('' for every department)."""
        return ", ".join(sorted(self.departments or ()))

    @property
    def read_only(self) -> bool:
        """Return True when the role may not import (reviewers)."""
        return self.role == "reviewer"


@dataclass(frozen=True)
class Rule:
    """One [[access]] rule."""

    emails: tuple[str, ...]
    claims: tuple[tuple[str, str], ...]
    role: str
    departments: tuple[str, ...]

    def matches(self, user: Mapping[str, object]) -> bool:
        """Return True when every condition the rule states holds for the user's claims."""
        if self.emails:
            email = str(user.get("email") or "").strip().casefold()
            if not email or user.get("email_verified") is False:
                return False
            if not any(fnmatch.fnmatchcase(email, pattern.casefold()) for pattern in self.emails):
                return False
        for name, wanted in self.claims:
            value = user.get(name)
            values = value if isinstance(value, list | tuple) else [value]
            if wanted not in [str(v).lower() if isinstance(v, bool) else str(v) for v in values if v is not None]:
                return False
        return True


@dataclass(frozen=True)
class AccessFile:
    """A checked access file."""

    path: Path
    auth: dict
    rules: tuple[Rule, ...]

    @classmethod
    def load(cls, path: Path, departments: set[str] | None = None) -> AccessFile:
        """Return the checked file; `departments` (the store's) checks each department rule's names."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise AccessError(f"{path}: cannot read the access file: {exc.strerror or exc}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise AccessError(f"{path}: not valid TOML: {exc}") from None
        unknown = sorted(set(data) - {"auth", "access"})
        if unknown:
            raise AccessError(f"{path}: unknown key {unknown[0]!r}: an access file has [auth] and [[access]]")
        return cls(Path(path), _auth(path, data.get("auth")), _rules(path, data.get("access"), departments))

    def grant(self, user: Mapping[str, object]) -> Grant | None:
        """Return what the signed-in user may see (the first matching rule), or None: no access."""
        who = identity(user)
        for position, rule in enumerate(self.rules, start=1):
            if rule.matches(user):
                scope = frozenset(rule.departments) if rule.role == "department" else None
                return Grant(rule.role, scope, position, who)
        return None

    def secrets(self) -> dict:
        """Return Streamlit's secrets for the server: the [auth] table as written, with prompt = "login" where no
        client_kwargs names a prompt (Streamlit's own default, select_account, is not one every provider takes)."""
        auth = copy.deepcopy(self.auth)
        tables = [auth] if "client_id" in auth else []
        tables += [v for k, v in auth.items() if isinstance(v, dict) and k != "client_kwargs"]
        for table in tables:
            table.setdefault("client_kwargs", {}).setdefault("prompt", "login")
        return {"auth": auth}


ENVIRONMENT_VALUE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def _from_environment(path: Path, table: dict, where: str = "auth") -> dict:
    """Return the table with each "${NAME}" value read from the environment (secrets kept out of the file)."""
    resolved = {}
    for key, value in table.items():
        if isinstance(value, dict):
            resolved[key] = _from_environment(path, value, f"{where}.{key}")
            continue
        match = ENVIRONMENT_VALUE.match(value) if isinstance(value, str) else None
        if match:
            name = match.group(1)
            if not os.environ.get(name):
                raise AccessError(
                    f"{path}: [{where}] {key} names ${{{name}}}, but {name} is not set in the environment"
                )
            value = os.environ[name]
        resolved[key] = value
    return resolved


def identity(user: Mapping[str, object]) -> str:
    """Return how the access log and a grant name a signed-in person: their email, else the subject claim."""
    return str(user.get("email") or user.get("sub") or "")


def _auth(path: Path, auth: object) -> dict:
    if isinstance(auth, dict):
        auth = _from_environment(path, auth)
    if not isinstance(auth, dict):
        raise AccessError(f"{path}: [auth] is missing: give Streamlit's [auth] keys (redirect_uri, cookie_secret, "
                          "client_id, client_secret, server_metadata_url)")  # fmt: skip
    for key in ("redirect_uri", "cookie_secret"):
        if not isinstance(auth.get(key), str) or not auth[key].strip():
            raise AccessError(f"{path}: [auth] lacks {key}")
    if not auth["redirect_uri"].rstrip("/").endswith("/oauth2callback"):
        raise AccessError(f"{path}: [auth] redirect_uri must end with /oauth2callback (Streamlit's callback), not "
                          f"{auth['redirect_uri']!r}")  # fmt: skip
    if len(auth["cookie_secret"]) < 32:
        raise AccessError(f"{path}: [auth] cookie_secret must be at least 32 characters (a random secret: "
                          "python -c 'import secrets; print(secrets.token_hex(32))')")  # fmt: skip
    providers = {k: v for k, v in auth.items() if isinstance(v, dict) and k != "client_kwargs"}
    for key in auth:
        if key not in AUTH_KEYS and key not in providers:
            raise AccessError(f"{path}: [auth] has unknown key {key!r}: Streamlit's keys are {', '.join(AUTH_KEYS)} "
                              "and provider tables")  # fmt: skip
    sections = {"auth": auth} if any(k in auth for k in ("client_id", "server_metadata_url")) else {}
    sections |= {f"auth.{name}": table for name, table in providers.items()}
    if not sections:
        raise AccessError(f"{path}: [auth] lacks client_id (and client_secret, server_metadata_url), or a provider "
                          "table such as [auth.microsoft]")  # fmt: skip
    for where, table in sections.items():
        if "_" in where.removeprefix("auth").lstrip("."):
            raise AccessError(f"{path}: [{where}]: a provider name may not contain '_' (Streamlit refuses it)")
        for key in ("client_id", "client_secret", "server_metadata_url"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise AccessError(f"{path}: [{where}] lacks {key}")
        for key in table:
            if where != "auth" and key not in PROVIDER_KEYS:
                raise AccessError(f"{path}: [{where}] has unknown key {key!r}: use {', '.join(PROVIDER_KEYS)}")
        if not table["server_metadata_url"].startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise AccessError(f"{path}: [{where}] server_metadata_url must be https:// (the provider's "
                              "/.well-known/openid-configuration)")  # fmt: skip
    return auth


def _rules(path: Path, rules: object, departments: set[str] | None) -> tuple[Rule, ...]:
    if not isinstance(rules, list) or not rules or not all(isinstance(r, dict) for r in rules):
        raise AccessError(f"{path}: no [[access]] rules: without one nobody can see anything")
    checked = []
    for position, rule in enumerate(rules, start=1):
        where = f"{path}: access[{position}]"
        unknown = sorted(set(rule) - set(RULE_KEYS))
        if unknown:
            raise AccessError(f"{where} has unknown key {unknown[0]!r}: use {', '.join(RULE_KEYS)}")
        role = rule.get("role")
        if role not in ROLES:
            raise AccessError(f"{where}.role {role!r} is not one of {', '.join(ROLES)}")
        emails = rule.get("emails", [])
        if isinstance(emails, str):
            emails = [emails]
        if not isinstance(emails, list) or not all(isinstance(e, str) and e.strip() for e in emails):
            raise AccessError(f'{where}.emails must be a list of email globs like "*@justice.gov.uk"')
        claims = rule.get("claims", {})
        if not isinstance(claims, dict) or not all(isinstance(v, str | int | bool) for v in claims.values()):
            raise AccessError(f'{where}.claims must be a table of claim = value, like {{ groups = "cddo" }}')
        if not emails and not claims:
            raise AccessError(f"{where} matches everyone: give emails, claims or both")
        named = rule.get("departments", [])
        if role == "department":
            if not isinstance(named, list) or not named or not all(isinstance(d, str) and d for d in named):
                raise AccessError(f"{where}.departments must list the department role's departments")
            missing = sorted(set(named) - departments) if departments is not None else []
            if missing:
                known = ", ".join(sorted(departments)[:8]) + (" ..." if len(departments) > 8 else "")
                raise AccessError(f"{where}.departments: {missing[0]!r} is not a department in the store "
                                  f"(it has {known or 'none yet'})")  # fmt: skip
        elif "departments" in rule:
            raise AccessError(f'{where}.departments is only for role = "department" ({role} sees every department)')
        claim_pairs = tuple((str(k), str(v).lower() if isinstance(v, bool) else str(v)) for k, v in claims.items())
        checked.append(Rule(tuple(e.strip() for e in emails), claim_pairs, role, tuple(named)))
    return tuple(checked)
