"""Import: upload inventories, preview validation with located errors, then commit (all files or none)."""

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app import ui
from estate.issues import ISSUE_COLUMNS, ImportRejected, has_errors
from estate.mapping import ProfileError, builtin_profile, builtin_profiles
from estate.profile_builder import (
    SheetColumns,
    choice_label,
    chosen_profile,
    field_choices,
    score,
    sheets_of,
    suggest_profile,
    uploaded_profile,
)
from estate.returns import out_of_scope
from estate.schema import TABLES
from estate.store import StoreError, validate_files
from estate.uploads import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, UploadError, stage_uploads

LIMIT_MB = MAX_UPLOAD_BYTES // 2**20

ui.page(
    "Import",
    "Add or update inventories. Each file is checked first; nothing is stored until you commit, and a file "
    "with any error stores nothing.",
)
signed_in = ui.grant()
if signed_in is not None and signed_in.read_only:
    st.info("A reviewer reads the estate and its reports; imports are the departments' and the centre's.")
    st.stop()
if signed_in is not None and signed_in.departments is not None:
    st.caption(f"Your return: systems of {', '.join(sorted(signed_in.departments))} only (rows of any other "
               "department are refused, located).")  # fmt: skip
st.markdown(
    f"Accepted: {', '.join(ALLOWED_SUFFIXES)} — at most **{LIMIT_MB} MB per file**. "
    "A workbook's sheets are Systems, Interfaces and Costs (download a blank one below); "
    "a csv or Parquet file holds one table; an .xml file is an ArchiMate model. A new version of a file with the "
    "same name replaces that file's rows."
)


@st.cache_data(show_spinner=False)
def blank_template() -> bytes:
    """Return the blank canonical workbook (Systems, Interfaces, Costs and a Data dictionary sheet)."""
    from estate.workbook import write_template

    with tempfile.TemporaryDirectory() as folder:
        return write_template(Path(folder) / "estate_template.xlsx").read_bytes()


st.download_button(
    "Download the blank template (xlsx)", blank_template(), file_name="estate_template.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    help="The canonical workbook with a Data dictionary sheet: what each column means and which values it takes.",
)  # fmt: skip
formats = {"estate's own headers (recognised automatically)": None} | {
    f"{name}: {what}": name for name, what in builtin_profiles().items()
}
chosen_format = st.selectbox("Format of the files (a built-in mapping profile)", list(formats), key="format")
uploads = st.file_uploader(
    "Inventory files", type=[s.lstrip(".") for s in ALLOWED_SUFFIXES], accept_multiple_files=True, key="uploads"
)
own_profile = st.file_uploader(
    "A mapping profile of your own (.toml, instead of the format above)", type=["toml"], key="profile_file",
    help="A profile downloaded from this page before, or one written as docs/inputs.md describes.",
)  # fmt: skip
if not uploads:
    st.info("Choose one or more files to check them.")
    st.stop()


def stored_departments() -> dict[str, str]:
    """Return system_id -> department of the stored systems (the whole store: a return is checked against it)."""
    from estate.store import connect

    if not ui.db_path().exists():
        return {}
    with connect(ui.db_path(), read_only=True) as connection:
        return dict(connection.execute("SELECT system_id, arg_max(department, import_id) FROM systems "
                                       "GROUP BY system_id").fetchall())  # fmt: skip


def commit(paths: list[Path], names: list[str], validated: list, profile) -> None:
    """Store the checked files and analyse again with the recorded settings: both, or neither."""
    from dependency_graph import EmptyEstate
    from pipeline.run import import_and_analyse

    db = ui.db_path()
    try:
        with st.spinner("Storing and analysing…"):
            access = None
            if signed_in is not None:
                access = (signed_in.who, signed_in.role, signed_in.departments_text)
            summaries, _, analysis = import_and_analyse(db, paths, profile, names=names, validated=validated,
                                                        access=access)  # fmt: skip
    except ImportRejected as rejected:
        st.error(f"Rejected: {len(rejected.issues):,} problem(s); nothing was stored.")
        return
    except (StoreError, EmptyEstate, ValueError) as exc:
        st.error(f"{ui.plain(exc)}: nothing was stored (the import and its analysis land together, or not at all).")
        return
    for summary in summaries:
        st.success(ui.plain(summary.as_text()))
    used = analysis.settings
    st.caption(f"Stored in {db} and analysed (as of {used.as_of:%d/%m/%Y}, seed {used.seed}, {used.draws:,} draws).")


def mapping_editor(sheet: SheetColumns, number: int) -> tuple[dict[str, str], str | None]:
    """Show how a sheet's columns were matched, with a choice of field for each column not recognised (and for
    recognised ones the person picks); return (header -> chosen field) for the columns changed, and the table a
    refused sheet holds (None for a sheet that was read)."""
    table = sheet.table
    chosen_table = None
    if not sheet.read:
        tables = [t.name for t in TABLES]
        chosen_table = st.selectbox(
            f"{ui.plain(sheet.sheet)} was not read: which table does it hold?", tables, index=tables.index(table),
            key=f"table_{number}_{sheet.file}_{sheet.sheet}", format_func=ui.label,
        )  # fmt: skip
        table = chosen_table
    choices = field_choices(table)
    st.dataframe(
        pd.DataFrame({"column": [c.letter for c in sheet.columns], "header": [c.header for c in sheet.columns],
                      "field": [choice_label(table, c.field) for c in sheet.columns],
                      "how": [ui.label(c.how) for c in sheet.columns]}),
        hide_index=True,
        column_config={"column": st.column_config.TextColumn("Column", width=70), "header": "Header in the file",
                       "field": "Read as", "how": "How it was matched"},
    )  # fmt: skip
    unmatched = [c for c in sheet.columns if not c.field and c.header]
    others = [c for c in sheet.columns if c.field and c.header]
    changeable = st.multiselect(
        "Change a recognised column too", [c.header for c in others], key=f"more_{number}_{sheet.file}_{sheet.sheet}",
        help="Its field is then yours to choose below, like the columns estate did not recognise.",
    ) if others else []  # fmt: skip
    shown = unmatched + [c for c in others if c.header in changeable]
    changed = {}
    grid = st.columns(3)
    for i, column in enumerate(shown):
        before = choice_label(table, column.field)
        after = grid[i % 3].selectbox(
            f"{column.letter} · {column.header}", list(choices), index=list(choices).index(before),
            key=f"field_{number}_{table}_{sheet.file}_{sheet.sheet}_{column.letter}",
        )  # fmt: skip
        if after != before:
            changed[column.header] = choices[after]
    return changed, chosen_table  # None for a sheet that was read: its table stays


def show_issues(issues: list) -> None:
    """Show errors first, each with what to do; warnings after, folded."""
    table = pd.DataFrame([i.as_record() for i in issues], columns=list(ISSUE_COLUMNS))
    table = ui.readable(table, ["code", "severity"])
    settings = {**ui.issue_columns(), "severity": None}  # errors and warnings are apart
    errors = table[table["severity"] == "Error"]
    warnings = table[table["severity"] != "Error"]
    if len(errors):
        st.markdown(f"**{len(errors):,} error(s)**: nothing can be stored until they are fixed.")
        st.dataframe(errors, hide_index=True, column_config=settings)
        if errors["message"].str.contains("--mapping").any():
            st.caption("Where an error says `--mapping`: choose the column's field in the table above instead.")
    if len(warnings):
        with st.expander(f"{len(warnings):,} warning(s): stored as they are, worth a look"):
            st.dataframe(warnings, hide_index=True, column_config=settings)


def preview(result) -> None:
    """Show the first rows of each table read from a file, as they would be stored."""
    for name, tables in result.tables.items():
        for t in tables:
            st.caption(f"{ui.plain(t.sheet)} as {name}: the first rows of {t.values.num_rows:,}")
            st.dataframe(t.values.slice(0, 10).to_pandas(), hide_index=True)


# Each run stages the uploads afresh in its own private folder (removed at the end of the run).
with tempfile.TemporaryDirectory(prefix="estate-upload-") as folder:
    try:
        paths, names = stage_uploads([(u.name, u.getvalue()) for u in uploads], Path(folder))
        base = builtin_profile(formats[chosen_format]) if formats[chosen_format] else None
        if own_profile is not None:
            base = uploaded_profile(own_profile.name, own_profile.getvalue(), Path(tempfile.mkdtemp(dir=folder)))
    except (UploadError, ProfileError) as exc:
        st.error(ui.plain(exc))
        st.stop()

    def validate(profile):
        # each file is read in a child process with memory and time limits (estate.isolation): whatever an
        # upload does to the reader costs its uploader an error, never the server everyone shares
        results, issues = validate_files(paths, profile, names=names, db=ui.db_path(), isolated=True)
        if signed_in is not None and signed_in.departments is not None:
            issues = issues + out_of_scope(results, signed_in.departments, stored_departments())
        return results, issues

    results, issues = validate(base)
    st.subheader("Columns recognised")
    st.caption("Each file's columns and the field estate reads them as. Change a choice to map a column yourself; "
               "the mapping is a profile you can download and reuse (`estate import --mapping FILE`).")  # fmt: skip
    columns: dict[str, dict[str, str]] = {}
    tables_of_sheets: dict[str, str] = {}
    for number, result in enumerate(results):
        for sheet in sheets_of(result):
            with st.expander(
                f"{ui.plain(result.file)} · {ui.plain(sheet.sheet)} "
                f"({'read as ' + sheet.table if sheet.read else 'not read'})",
                expanded=not sheet.read,
            ):
                changed, table = mapping_editor(sheet, number)  # fmt: skip
            if table and (table != sheet.table or changed):  # a refused sheet: the table it holds is a choice
                tables_of_sheets[sheet.sheet] = table
            columns.setdefault(table or sheet.table, {}).update(changed)
    try:
        profile = chosen_profile(base, columns, tables_of_sheets)
    except ProfileError as exc:
        st.error(ui.plain(exc))
        st.stop()
    if profile is not base:
        results, issues = validate(profile)
        st.download_button(
            "Download this mapping (profile .toml)", profile.text.encode("utf-8"), file_name="estate_mapping.toml",
            mime="application/toml", help="Give it to `estate import --mapping`, or upload it here next time.",
        )  # fmt: skip
    current = score(results, issues)
    if current[0] and own_profile is None and not any(columns.values()):
        # the built-in profiles each read the files in a child process: once for these files, not every rerun
        key = (tuple((u.name, hashlib.sha256(u.getvalue()).hexdigest()) for u in uploads), chosen_format, current)
        hints = st.session_state.setdefault("profile_hints", {})
        if key not in hints:
            hints[key] = suggest_profile(validate, current, formats[chosen_format])
        hint = hints[key]
        if hint is not None:
            label = next(k for k, v in formats.items() if v == hint.name)
            st.info(
                f"The built-in profile **{hint.name}** reads these files with {hint.errors:,} error(s) and "
                f"{hint.matched:,} columns recognised: choose *{ui.plain(label)}* as the format above."
            )

    st.subheader("Check")
    for result in results:
        counts = ", ".join(f"{result.rows(t):,} {t}" for t in result.tables) or "no rows read"
        st.markdown(f"**{ui.plain(result.file)}**: {counts}")
    errors = current[0]
    if issues:
        show_issues(issues)
    if has_errors(issues):
        st.error(
            f"{errors:,} error(s), {len(issues) - errors:,} warning(s): fix the errors (in the file, or by mapping "
            "its columns above) and check again. Nothing has been stored."
        )
        st.stop()
    with st.expander("Preview: the first rows as they will be stored"):
        for result in results:
            preview(result)
    st.success(f"No errors ({len(issues):,} warning(s)). Commit to store the files and re-run the analysis.")
    if st.button("Commit import", type="primary"):
        commit(paths, names, results, profile)
