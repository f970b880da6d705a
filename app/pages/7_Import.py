"""Import: upload inventories, preview validation with located errors, then commit (all files or none)."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app import ui
from estate.issues import ISSUE_COLUMNS, ImportRejected, Severity, has_errors
from estate.mapping import builtin_profile, builtin_profiles
from estate.store import StoreError, validate_files
from estate.uploads import ALLOWED_SUFFIXES, MAX_UPLOAD_BYTES, UploadError, stage_uploads

LIMIT_MB = MAX_UPLOAD_BYTES // 2**20

ui.page(
    "Import",
    "Add or update inventories. Each file is checked first; nothing is stored until you commit, and a file "
    "with any error stores nothing.",
)
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
profile = builtin_profile(formats[chosen_format]) if formats[chosen_format] else None
uploads = st.file_uploader(
    "Inventory files", type=[s.lstrip(".") for s in ALLOWED_SUFFIXES], accept_multiple_files=True, key="uploads"
)
if not uploads:
    st.info("Choose one or more files to check them.")
    st.stop()


def commit(paths: list[Path], names: list[str], validated: list) -> None:
    """Store the checked files and analyse again with the recorded settings: both, or neither."""
    from dependency_graph import EmptyEstate
    from pipeline.run import import_and_analyse

    db = ui.db_path()
    try:
        with st.spinner("Storing and analysing…"):
            summaries, _, analysis = import_and_analyse(db, paths, profile, names=names, validated=validated)
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


# Each run stages the uploads afresh in its own private folder (removed at the end of the run).
with tempfile.TemporaryDirectory(prefix="estate-upload-") as folder:
    try:
        paths, names = stage_uploads([(u.name, u.getvalue()) for u in uploads], Path(folder))
    except UploadError as exc:
        st.error(ui.plain(exc))
        st.stop()
    # each file is read in a child process with memory and time limits (estate.isolation): whatever an
    # upload does to the reader costs its uploader an error, never the server everyone shares
    results, issues = validate_files(paths, profile, names=names, db=ui.db_path(), isolated=True)
    for result in results:
        counts = ", ".join(f"{result.rows(t):,} {t}" for t in result.tables) or "no rows read"
        st.markdown(f"**{ui.plain(result.file)}**: {counts}")
        with st.expander(f"How the columns of {ui.plain(result.file)} were matched"):
            st.dataframe(pd.DataFrame(result.mapping_report()), hide_index=True)
    errors = sum(i.severity is Severity.ERROR for i in issues)
    if issues:
        table = pd.DataFrame([i.as_record() for i in issues], columns=list(ISSUE_COLUMNS))
        st.dataframe(table, hide_index=True, column_config={"row": st.column_config.NumberColumn("row", format="%d")})
    if has_errors(issues):
        st.error(
            f"{errors:,} error(s), {len(issues) - errors:,} warning(s): fix the errors and upload again. "
            "Nothing has been stored."
        )
        st.stop()
    st.success(f"No errors ({len(issues):,} warning(s)). Commit to store the files and re-run the analysis.")
    if st.button("Commit import", type="primary"):
        commit(paths, names, results)
