"""Audit log (admin): who viewed which pupil, list or export, and when; erasing a pupil; retention."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from analytics import school
from analytics.filters import Filter
from data import admin
from data import audit as audit_log
from data.db import academic_year_label
from ui import auth, common, export, tables

user = auth.require_page("audit")
con = common.connection()

st.title("Audit log")
st.caption(
    "Every sign-in, pupil view, list and export, with who, when and at most the pupil's identifier. Times are UTC."
)

left, middle, right, far = st.columns(4)
who = left.text_input("Who (email)", key="audit_who").strip() or None
action = middle.selectbox("Action", ["any", *audit_log.actions(con)], key="audit_action")
upn = right.text_input("Pupil identifier (UPN)", key="audit_upn").strip() or None
days = far.selectbox("Period", [7, 30, 90, 365, None], format_func=lambda d: f"last {d} days" if d else "all", index=1)
since = datetime.combine(audit_log.utc_now().date() - timedelta(days=days), time()) if days else None

entries = audit_log.entries(con, who=who, action=None if action == "any" else action, upn=upn, since=since)
if entries.empty:
    common.empty_state("No audit entries match these filters")
else:
    if upn:
        auth.audit("search audit log", upn=upn)
    shown = entries.rename(
        columns={
            "logged_at": "When (UTC)",
            "who": "Who",
            "role": "Role",
            "action": "Action",
            "school_id": "School",
            "upn": "UPN",
            "detail": "Detail",
        }
    ).drop(columns=["entry_id"])
    shown = tables.readable(shown, {"School": "— (not about one school)", "UPN": "—", "Detail": "—", "Role": "—"})
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(f"{len(entries)} entries, newest first.")
    export.download_table(shown, "audit_log", key="audit_export")

st.divider()
st.header("Erase one pupil")
st.caption(
    "Deletes the pupil's record, enrolments, session and lesson marks at one school, for a valid erasure request "
    "or a pupil added in error. The audit log keeps the identifier and who did it. This cannot be undone."
)
schools = school.schools(con, Filter())
with st.form("delete_pupil"):
    target = st.text_input("Pupil identifier (UPN)").strip()
    school_id = st.selectbox(
        "School",
        schools["school_id"].tolist(),
        format_func=lambda s: f"{schools.set_index('school_id').at[s, 'name']} ({s})",
    )
    sure = st.checkbox("I understand this cannot be undone")
    if st.form_submit_button("Erase this pupil", type="primary", disabled=schools.empty):
        if not target or not sure:
            st.error("Enter the identifier and tick the box to confirm.")
        else:
            try:
                counts = admin.delete_pupil(con, target, school_id=school_id, who=user.email, role=user.role)
            except admin.AdminError as exc:
                st.error(str(exc))
            else:
                common.data_changed()
                st.success("Erased: " + ", ".join(f"{n} {t.replace('_', ' ')} rows" for t, n in counts.items()))

st.header("Retention")
st.caption(
    "Attendance registers must be kept for 6 years from the date of each entry. Purging keeps the current "
    "academic year and the chosen number of years before it, and deletes older years (and pupils with no "
    "kept year). Take a backup first."
)
keep = st.number_input("Academic years to keep before the current one", min_value=admin.MIN_KEEP_YEARS, value=6)
plan = admin.purge_plan(con, int(keep))
if not plan.years:
    st.info(f"Nothing older than {academic_year_label(plan.keep_from)} is stored.")
else:
    st.write(
        f"Keeps {academic_year_label(plan.keep_from)} onwards; deletes "
        + ", ".join(academic_year_label(y) for y in plan.years)
        + f" ({plan.rows['session_marks']} session marks, {plan.rows['pupils']} pupils)."
    )
    if st.checkbox("I have a backup and want to delete these years", key="confirm_purge") and st.button(
        "Purge old years", type="primary"
    ):
        admin.purge(con, int(keep), who=user.email, role=user.role)
        common.data_changed()
        st.success("Purged.")
