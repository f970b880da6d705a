"""What every page of the Streamlit app shares: the database, cached loaders, empty states, formats, palette.

Pages read widgets, call functions of the layers beneath (mostly `reporting.views`) and draw the
result; nothing here computes a figure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from estate.store import StoreError, default_db_path
from estate.sync.core import STALE_AFTER_HOURS
from estate.uploads import MAX_UPLOAD_BYTES
from reporting.views import EstateData, NoEstate, NotAnalysed, freshness, load_estate, require_analysis

# Okabe & Ito (2008) colour-blind-safe palette
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
RAG_COLOURS = {"red": "#D55E00", "amber": "#E69F00", "green": "#009E73"}
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // 2**20  # passed to the server as server.maxUploadSize by `estate app`
NOTHING_LOADED = "No inventory loaded — use Import or run `estate import`."


def db_path() -> Path:
    """Return the database the app shows ($ESTATE_DB, set by `estate app --db`, else ./estate.duckdb)."""
    return default_db_path()


def _fingerprint(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return str(path), 0, 0
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


@st.cache_resource(show_spinner="Reading the estate…", max_entries=8)
def _cached_estate(path: str, modified: int, size: int, scope: tuple[str, ...] | None = None) -> EstateData:
    del modified, size  # part of the cache key: a new import or analysis is read afresh
    return load_estate(Path(path), None if scope is None else frozenset(scope))


# -- a shared deployment (estate app --access): sign-in, the signed-in person's scope, the access log -------------
SIGNED_OUT = (
    "This estate is shared between departments and the centre: sign in with your organisation's account to see "
    "what your role allows."
)


@st.cache_resource(show_spinner=False)
def _access_file(path: str, modified: int):
    del modified
    from app.access import AccessFile

    return AccessFile.load(Path(path))


def access_path() -> str:
    """Return the access file of a shared deployment ($ESTATE_ACCESS, set by `estate app --access`), or ''."""
    return os.environ.get("ESTATE_ACCESS", "")


def grant():
    """Return the signed-in person's grant (app.access.Grant) in a shared deployment, None when local.

    Signed out: a sign-in page and nothing else. Signed in without a matching rule: a no-access page and
    nothing else (the refusal is logged). The page stops in both cases.
    """
    path = access_path()
    if not path:
        return None
    from app.access import identity

    kept = st.session_state.get("grant")
    if kept is not None and st.user.is_logged_in and kept.who == identity(st.user):
        return kept  # the same person as when the grant was made (never another's, after a sign-out and in)
    access = _access_file(path, int(Path(path).stat().st_mtime_ns))
    if not st.user.is_logged_in:
        st.info(SIGNED_OUT)
        st.button("Sign in", type="primary", on_click=st.login)
        st.stop()
    claims = st.user.to_dict()
    found = access.grant(claims)
    if found is None:
        who = identity(claims) or "unknown"
        log_access(who, "none", "", "", "refused", "no [[access]] rule matches")
        st.error(f"No access: {who} is signed in, but no rule of this deployment's access file matches. Ask the "
                 "centre's administrator to add one.")  # fmt: skip
        st.button("Sign out", on_click=st.logout)
        st.stop()
    st.session_state["grant"] = found
    return found


def scope() -> tuple[str, ...] | None:
    """Return the departments the signed-in person may see (None: every department, or a local app)."""
    found = grant()
    return None if found is None or found.departments is None else tuple(sorted(found.departments))


def log_access(who: str, role: str, departments: str, page_name: str, action: str, detail: str = "") -> None:
    """Record one line of the access log; the database's change by the log itself does not discard the cache."""
    from estate.store import record_access

    path = db_path()
    before = _fingerprint(path)
    record_access(path, who, role, departments, page_name, action, detail)  # the store waits out a reader's lock
    after = _fingerprint(path)
    _ALIASES[after] = _ALIASES.get(before, before)


_ALIASES: dict[tuple[str, int, int], tuple[str, int, int]] = {}  # store fingerprint after a log write -> before


def log_view(page_name: str, action: str = "viewed", detail: str = "") -> None:
    """Record what the signed-in person opened or downloaded (once per page and session for views)."""
    found = grant()
    if found is None:
        return
    key = f"logged:{page_name}:{action}:{detail}"
    if action == "viewed" and st.session_state.get(key):
        return
    st.session_state[key] = True
    log_access(found.who, found.role, found.departments_text, page_name, action, detail)


def in_store(system_id: str) -> bool:
    """Return True when the whole store (not this session's scope) has the system: another department's."""
    from estate.store import connect

    with connect(db_path(), read_only=True) as connection:
        return bool(connection.execute("SELECT count(*) FROM systems WHERE system_id = ?", [system_id]).fetchone()[0])


def result_source():
    """Return where this session's results are read from: the store, in the signed-in person's scope."""
    from pipeline.results import ResultSource

    chosen = scope()
    return ResultSource(db_path(), scope=None if chosen is None else frozenset(chosen))


def _go_to_system() -> None:
    """Remember the system chosen in the search box and clear the box (it is on every page)."""
    st.session_state["go_to_system"] = st.session_state.get("find_system")
    st.session_state["find_system"] = None


def search_box(data: EstateData) -> None:
    """Offer a search for any system by ID or name in the sidebar of every page; open its System page."""
    names = data.systems.set_index("system_id")["name"].fillna("").to_dict()
    st.sidebar.selectbox(
        "Find a system", list(names), index=None, key="find_system", on_change=_go_to_system,
        format_func=lambda system_id: f"{system_id} {names.get(system_id, '')}".strip(),
        placeholder="Type an ID or a name", help="Opens the system's page.",
    )  # fmt: skip
    target = st.session_state.pop("go_to_system", None)
    if target:
        st.switch_page("pages/2_System.py", query_params={"system": target})


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'])")


def plain(value: object) -> str:
    """Return text from an inventory (or an upload's name) made inert for Streamlit's Markdown.

    Every character Markdown or HTML could act on is backslash-escaped, so a name such as
    `[Sign in](https://look-alike.example)` or `![](https://tracker.example/p.gif)` is shown as written:
    no link, no image fetched, no bare web address turned into a link (':' and '.' are escaped too).
    Line breaks become spaces. Use it for every value interpolated into st.header, st.markdown, st.caption,
    st.info and friends; tables (st.dataframe) show text as text already.
    """
    text = " ".join(str("" if value is None else value).split())
    return _MARKDOWN.sub(r"\\\1", text)


def estate(analysed: bool = True) -> EstateData:
    """Return the stored estate in this session's scope (shared by sessions; never modify it), or say what to do."""
    path, modified, size = fingerprint()
    try:
        data = _cached_estate(path, modified, size, scope())
        if analysed:
            require_analysis(data)
    except NotAnalysed as exc:
        st.info(plain(exc))
        st.stop()
    except NoEstate:
        st.info(NOTHING_LOADED)
        st.stop()
    except StoreError as exc:
        st.error(plain(exc))
        st.stop()
    freshness_warning(data)
    search_box(data)
    return data


def freshness_warning(data: EstateData) -> None:
    """Warn on every page when a live source is older than ESTATE_STALE_HOURS (24 by default)."""
    for row in freshness(data.sources, stale_after_hours=stale_after_hours()):
        if row["Stale"]:
            st.warning(
                f"{row['Source']} was last synced {row['Age']} ({row['Last synced (UTC)']} UTC), more than "
                f"{stale_after_hours():g} hours ago: what it sent may be out of date (run `estate sync`)."
            )


def stale_after_hours() -> float:
    """Return the age in hours past which a live source is stale ($ESTATE_STALE_HOURS, 24 by default)."""
    try:
        return max(float(os.environ.get("ESTATE_STALE_HOURS", "")), 0.0)
    except ValueError:
        return STALE_AFTER_HOURS


# Streamlit's captions are grey text at 60% opacity (a 3.9:1 contrast, below WCAG 2.1 AA's 4.5:1): GOV.UK's secondary
# text colour instead (7:1 on white). Checked by axe-core in the browser test.
ACCESSIBLE_STYLE = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  color: #505a5f !important; opacity: 1 !important;
}
</style>"""


def page(title: str, intro: str) -> None:
    """Set up a page: wide layout, title and a one-line explanation; in a shared deployment, sign-in first."""
    st.set_page_config(page_title=f"estate — {title}", layout="wide")
    st.html(ACCESSIBLE_STYLE)
    st.title(title)
    found = grant()
    if found is not None:
        shown = ", ".join(sorted(found.departments)) if found.departments else "every department"
        st.sidebar.caption(f"Signed in as {found.who}: {found.role} ({shown})")
        st.sidebar.button("Sign out", on_click=st.logout)
        log_view(title)
    st.caption(intro)


def gbp_m(value: float) -> str:
    """Return money as £m with one decimal (£0.0m for tiny amounts; a loss as −£5.3m, the sign before the £)."""
    from reporting.charts import millions

    return millions(value, 1)


def in_millions(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Return a copy with GBP columns divided by a million (for tables labelled £m): `columns`, else every
    column the results catalogue declares as money."""
    from pipeline.catalogue import COLUMNS

    chosen = columns if columns is not None else [c for c in frame.columns if c in COLUMNS and
                                                   COLUMNS[c].kind == "money"]  # fmt: skip
    return frame.assign(**{c: frame[c] / 1e6 for c in chosen})


def column_label(name: str) -> str:
    """Return a result column's label (pipeline.catalogue)."""
    from pipeline.catalogue import COLUMNS

    return COLUMNS[name].label


def money_column(label: str, help_text: str = "", width: int | None = None) -> st.column_config.NumberColumn:
    """Return a table column of £m with two decimals; the label says £m, so a loss reads -5.30, never £-5.30m."""
    return st.column_config.NumberColumn(label, help=help_text or None, format="%.2f", width=width)


# Risk RAG as a light background with the word kept (colour is never the only cue); contrast above 4.5:1
RAG_STYLE = {"red": "background-color: #f4c7c3", "amber": "background-color: #fce8b2",
             "green": "background-color: #b7e1cd"}  # fmt: skip


def label(code: object) -> object:
    """Return a stored code ('on_premises', 'replatform') as a person reads it ('On premises', 'Replatform')."""
    from reporting.views import code_label

    return code_label(code) if isinstance(code, str) and code else code


def readable(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Return a copy with the given code columns as readable labels."""
    return frame.assign(**{c: frame[c].map(label) for c in columns if c in frame})


def columns(names, **overrides) -> dict[str, object]:
    """Return st.dataframe column settings for result columns, from the results catalogue (pipeline.catalogue).

    Money shows in £m (pass the frame through `in_millions`), shares as percentages, counts as whole numbers;
    each column's help is its catalogue description. `overrides` (name -> setting) for columns not stored.
    """
    from pipeline.catalogue import COLUMNS

    settings: dict[str, object] = {}
    for name in names:
        if name in overrides:
            settings[name] = overrides[name]
            continue
        declared = COLUMNS.get(name)
        if declared is None:
            continue
        settings[name] = _column_setting(declared)
    return settings


def _column_setting(declared) -> object:
    kind, help_text = declared.kind, declared.description
    if kind == "money":
        return money_column(declared.header_millions, help_text)
    if kind == "share":
        return st.column_config.NumberColumn(declared.label, help=help_text, format="percent")
    if kind == "count":
        return st.column_config.NumberColumn(declared.label, help=help_text, format="%d")
    if kind in ("number", "years"):
        return st.column_config.NumberColumn(declared.label, help=help_text, format="%.2f")
    if kind == "flag":
        return st.column_config.CheckboxColumn(declared.label, help=help_text)
    return st.column_config.TextColumn(declared.label, help=help_text)


def ranking_columns() -> dict[str, object]:
    """Return the column settings every ranking table shares (money in £m)."""
    return columns(("rank", "system_id", "name", "department", "hidden_cost_gbp"))


def chart(spec: alt.Chart, title: str, description: str) -> None:
    """Draw an Altair chart with an accessible title and description (read by screen readers)."""
    st.altair_chart(
        spec.properties(title=title, description=description).configure_range(category=PALETTE),
        width="stretch",
    )


@st.cache_resource(show_spinner="Reading the model inputs…", max_entries=4)
def _cached_scenario_inputs(path: str, modified: int, size: int, scope: tuple[str, ...] | None = None):
    del modified, size
    from reporting.views import scenario_inputs

    return scenario_inputs(Path(path), None if scope is None else frozenset(scope))


def scenario_inputs():
    """Return the cost model's inputs of this session's scope for what-if runs (cached until the store changes)."""
    return _cached_scenario_inputs(*fingerprint(), scope())


def fingerprint() -> tuple[str, int, int]:
    """Return (path, modified, size) of the database: a cache key that changes with every import or analysis
    (not with the access log's own lines)."""
    found = _fingerprint(db_path())
    return _ALIASES.get(found, found)


@st.cache_data(show_spinner=False, max_entries=8)
def _cached_decision_draws(path: str, modified: int, size: int, ids: tuple[str, ...], scope=None):
    return _cached_estate(path, modified, size, scope).results.decision_draws(pd.Series(ids))


def decision_draws(data: EstateData):
    """Return the stored Monte Carlo decision draws aligned with the stored ranking (cached per database)."""
    path, modified, size = fingerprint()
    return _cached_decision_draws(path, modified, size, tuple(data.assessment["system_id"]), scope())


def issue_columns() -> dict[str, object]:
    """Return the column settings of a table of import issues: located narrowly, what to do in the room left."""
    return {
        "import_id": st.column_config.NumberColumn("Import", format="%d", width=55),
        "file": st.column_config.TextColumn("File", width=100),
        "sheet": st.column_config.TextColumn("Sheet", width=80),
        "row": st.column_config.NumberColumn("Row", format="%d", width=55),
        "record": st.column_config.TextColumn("Record", width=100, help="A live source's record ID (sys_id)"),
        "column": st.column_config.TextColumn("Column", width=60),
        "value": st.column_config.TextColumn("Value", width=100),
        "code": st.column_config.TextColumn("Issue", width=150),
        "severity": st.column_config.TextColumn("Severity", width=70),
        "message": st.column_config.TextColumn("What to do", width="large"),
    }
