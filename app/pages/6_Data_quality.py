"""Data quality: import history and every issue found, filterable and downloadable."""

import pandas as pd
import streamlit as st

from app import ui
from reporting.text import csv_text
from reporting.views import freshness, issue_table

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
