"""Data quality: import history and every issue found, filterable and downloadable."""

import pandas as pd
import streamlit as st

from app import ui
from reporting.text import csv_text
from reporting.views import access_log, freshness, issue_table, returns_by_department

ui.page(
    "Data quality",
    "Which files were imported when, and every problem found in them, located by file, sheet, row and column.",
)
data = ui.estate(analysed=False)

if data.sources:
    st.subheader("Live sources")
    st.caption(f"Synced with `estate sync`; a source not synced for {ui.stale_after_hours():g} hours is stale.")
    st.dataframe(pd.DataFrame(freshness(data.sources, stale_after_hours=ui.stale_after_hours())), hide_index=True)

st.subheader("Import history")
st.dataframe(
    ui.readable(data.imports, ["status"]),
    hide_index=True,
    # the digest last and narrow (in full on hover and in the report's manifest): the counts fit at 1440 px
    column_order=[
        "import_id",
        "file_name",
        "status",
        "imported_at",
        "rows_systems",
        "rows_interfaces",
        "rows_costs",
        "warnings",
        "superseded_by",
        "software_version",
        "sha256",
    ],
    column_config={
        "import_id": st.column_config.NumberColumn("Import", format="%d"),
        "file_name": "File",
        "sha256": st.column_config.TextColumn("SHA-256", width=120),
        "rows_systems": st.column_config.NumberColumn("Systems (rows)", format="%d"),
        "rows_interfaces": st.column_config.NumberColumn("Interfaces (rows)", format="%d"),
        "rows_costs": st.column_config.NumberColumn("Cost lines (rows)", format="%d"),
        "warnings": st.column_config.NumberColumn("Warnings", format="%d"),
        "imported_at": st.column_config.DatetimeColumn("Imported at (UTC)", format="DD/MM/YYYY HH:mm"),
        "status": "Status",
        "superseded_by": st.column_config.NumberColumn("Superseded by import", format="%d"),
        "software_version": "estate version",
    },
)

st.subheader("Import issues")
if data.issues.empty:
    st.success("No issues were found in the imported files.")
else:
    codes_column, severity_column = st.columns(2)
    codes = codes_column.multiselect("Issue", sorted(data.issues["code"].unique()), format_func=ui.label)
    severities = severity_column.multiselect("Severity", sorted(data.issues["severity"].unique()), format_func=ui.label)
    issues = issue_table(data, codes, severities)
    st.caption(f"{len(issues):,} of {len(data.issues):,} issues shown.")
    st.dataframe(
        ui.readable(issues, ["code", "severity"]),
        hide_index=True,
        column_config=ui.issue_columns(),
    )
    st.download_button(
        "Download these issues (csv)",
        csv_text(issues).encode("utf-8"),
        file_name="estate_import_issues.csv",
        mime="text/csv",
        on_click=ui.log_view,
        args=("Data quality", "downloaded", "estate_import_issues.csv"),
    )

if "graph_findings" in data.results and len(data.results["graph_findings"]):
    st.subheader("Dependency graph findings")
    findings = data.results["graph_findings"]
    st.dataframe(
        ui.readable(findings, ["kind"]).fillna({"interface_id": "", "system_id": ""}),
        hide_index=True,
        column_config={
            "kind": "Finding",
            "system_id": "System ID",
            "interface_id": "Interface",
            "detail": st.column_config.TextColumn("Detail", width="large"),
        },
    )

signed_in = ui.grant()
if signed_in is None or signed_in.role in ("centre", "reviewer"):
    st.subheader("Returns by department")
    st.caption("Each department's systems, its latest import and how complete it is: the shares of its systems "
               "with an observed run cost, an observed legacy status and a stated end of support.")  # fmt: skip
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(returns_by_department(data), hide_index=True, column_config={
        "Run cost observed": percent, "Legacy status observed": percent, "End of support stated": percent,
        "Imported (UTC)": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
    })  # fmt: skip
if signed_in is not None and signed_in.role == "centre":
    st.subheader("Access log")
    st.caption("Who signed in, what each opened or downloaded, and every import, newest first (the latest 500).")
    st.dataframe(access_log(ui.db_path()), hide_index=True)

if data.analysed:
    st.subheader("The report")
    st.caption("The reproducible report of what this page's estate shows (report.html, its data tables as csv and "
               "Parquet, manifest.json), as `estate report` writes it, without the PDF; in a department's view, of "
               "that department alone.")  # fmt: skip
    if st.button("Prepare the report (zip)"):
        import shutil
        import tempfile
        from pathlib import Path

        from reporting.report import build_report

        with st.spinner("Writing the report…"), tempfile.TemporaryDirectory() as folder:
            build_report(ui.result_source(), Path(folder) / "report", pdf=False)
            archive = shutil.make_archive(str(Path(folder) / "estate_report"), "zip", Path(folder) / "report")
            st.session_state["report_zip"] = Path(archive).read_bytes()
    if "report_zip" in st.session_state:
        st.download_button(
            "Download the report (zip)", st.session_state["report_zip"], file_name="estate_report.zip",
            mime="application/zip", on_click=ui.log_view, args=("Data quality", "downloaded", "estate_report.zip"),
        )  # fmt: skip
