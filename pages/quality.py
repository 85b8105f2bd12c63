"""Data quality: missing marks by date and form, marks outside enrolment, pupils without characteristics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data import quality
from data.db import academic_year_label
from ui import alerts, charts, common, export, filters, tables

IMPORT_LOG_ROWS = 200

common.require_page("quality")
f = filters.sidebar_filter()
st.title("Data quality")
alerts.data_alerts(common.connection(), f)
school_id = f.school_ids[0] if f.school_ids else None
year = academic_year_label(f.academic_year) if f.academic_year is not None else "every academic year held"
st.caption(filters.school_line(f, year))

with st.spinner("Checking the registers..."):
    report = common.cached(quality.report, school_id, f.academic_year, scope=f.scope)
if not report.get("session_marks"):
    st.info("No registers have been imported yet. Use the Import page to add your school's exports.")
    st.stop()

cols = st.columns(5)
cols[0].metric("Session marks", f"{report['session_marks']:,}", border=True)
cols[1].metric("Missing marks", f"{report['missing_marks']:,}", border=True, help="Blank or '-' in the register.")
cols[2].metric(
    "Marks outside enrolment",
    f"{report['marks_outside_enrolment']:,}",
    border=True,
    help="Marks before a pupil's admission or after their leaving date: not counted in any figure.",
)
cols[3].metric("Pupils without characteristics", f"{report['pupils_without_characteristics']:,}", border=True)
cols[4].metric("Unknown codes", f"{report.get('unknown_codes', 0):,}", border=True)
span = f"{alerts.written_date(report['first_date'])} to {alerts.written_date(report['last_date'])}"
st.caption(
    f"Registers from {span} · years held {', '.join(report['academic_years'])} · "
    f"{report['pupils']:,} pupils, {report['lesson_marks']:,} lesson marks ({report['missing_lesson_marks']:,} missing)."
)

# Built only when opened, so the page's first screen stays quick.
missing_tab, log_tab = st.tabs(["Missing marks", "Import log"], key="quality_tab", on_change="rerun")
with missing_tab:
    if missing_tab.open:
        by_date = pd.DataFrame(report.get("missing_by_date", []))
        st.subheader("Missing marks by date")
        if by_date.empty:
            st.success("Every register has been completed.")
        else:
            by_date["date"] = pd.to_datetime(by_date["date"])
            fig = charts.bars(
                by_date.sort_values("date"),
                "date",
                "missing",
                charts.chart_title("Sessions with no mark, by date", None),
                colour=charts.CATEGORY_COLOURS["missing"],
                y_title="Missing marks",
                text_format=".0f",
            )
            fig.update_xaxes(type="date")
            fig.update_traces(textposition="none")  # dozens of thin bars: labels would be unreadably small
            table = by_date.rename(columns={"date": "Date", "missing": "Missing marks", "marks": "Marks"})
            charts.show(fig, table, key="quality_by_date")
            export.download_table(table, "missing_marks_by_date")

        by_form = pd.DataFrame(report.get("missing_by_form", []))
        st.subheader("Missing marks by form")
        if by_form.empty:
            st.success("No form has missing marks.")
        else:
            table = by_form.rename(
                columns={"academic_year": "Year", "form": "Form", "missing": "Missing marks", "marks": "Marks"}
            ).sort_values("Missing marks", ascending=False)
            st.dataframe(tables.readable(table), hide_index=True, width="stretch")
            export.download_table(table, "missing_marks_by_form")

with log_tab:
    if log_tab.open:
        log = common.cached(quality.import_log, school_id, IMPORT_LOG_ROWS, scope=f.scope)
        if common.is_empty_frame(log):
            st.caption("No import has been recorded (data loaded outside the importer, or none yet).")
        else:
            refused = int((log["outcome"] == "refused").sum())
            st.caption(
                f"The last {len(log)} imports, newest first"
                + (f": {refused} refused (the message says why)." if refused else "; every one was accepted.")
            )
            table = log.rename(
                columns={
                    "import_id": "Import",
                    "imported_at": "When",
                    "file_name": "File",
                    "kind": "Kind",
                    "school_id": "School",
                    "rows": "Rows",
                    "outcome": "Outcome",
                    "message": "Message",
                }
            )
            st.dataframe(
                tables.readable(table, {"Message": "—", "School": "— (not known: refused before reading)"}),
                hide_index=True,
                width="stretch",
                column_config={"When": st.column_config.DatetimeColumn("When", format="DD/MM/YYYY HH:mm")},
            )
            export.download_table(table, "import_log")
