"""The caseload page's parts: the pastoral lead's pupils with stage and actions, the to-do list, the whole log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.filters import Filter
from data import interventions
from data.interventions import STAGES
from ui import common, tables, typed
from ui.interventions_panel import letter_maker, who

CASELOAD_COLUMNS = {
    "upn": "upn",
    "surname": "surname",
    "forename": "forename",
    "year_group": "year_group",
    "form": "form",
    "attendance": "Attendance %",
    "suggested_stage": "Suggested stage",
    "confirmed_stage": "Confirmed stage",
    "reasons": "Why",
    "last_action": "Last action",
    "last_action_date": "On",
    "attendance_since_last_action": "Since then %",
    "next_action": "Next",
    "next_review": "Review by",
    "review_overdue": "Overdue",
}
# Why a caseload cell may be empty.
BLANKS = {
    "Confirmed stage": "not confirmed",
    "Why": "—",
    "Since then %": "no sessions since",
    "Next": "no review set",
    "Review by": "no review set",
    "Last action": "nothing recorded",
    "On": "—",
}
LOG_BLANKS = {"owner": "no owner", "notes": "no notes", "review_date": "no review set", "created_by": "imported"}
TODO_COLUMNS = ["upn", "surname", "forename", "year_group", "form", "attendance", "suggested_stage", "reasons"]


def metrics(rows: pd.DataFrame) -> None:
    c1, c2, c3 = st.columns(3)
    c1.metric("Pupils with actions", int((~rows["to_do"]).sum()))
    c2.metric("Reviews overdue", int(rows["review_overdue"].sum()))
    c3.metric("Flagged, nothing recorded", int(rows["to_do"].sum()))


def caseload_table(rows: pd.DataFrame, f: Filter) -> None:
    cases = rows[~rows["to_do"]]
    if cases.empty:
        common.empty_state("Nothing recorded yet for the pupils you look after.")
        return
    shown = cases[list(CASELOAD_COLUMNS)].rename(columns=CASELOAD_COLUMNS)
    common.pupil_table(
        shown, key="caseload_table", name="caseload", audit_detail=f"caseload: {f.describe()}", blanks=BLANKS
    )


def recent_actions(rows: pd.DataFrame, limit: int = 8) -> None:
    """The latest actions as lines of text: what was done for whom, newest first."""
    done = rows[~rows["to_do"]].sort_values("last_action_date", ascending=False).head(limit)
    if done.empty:
        return
    st.markdown("**Latest actions**")
    lines = [
        f"- {pd.Timestamp(r.last_action_date):%d/%m/%Y} · {typed.as_typed(r.last_action)} · "
        f"{typed.as_typed(f'{r.surname}, {r.forename}')} ({typed.as_typed(r.form or '')}, {r.upn}) · "
        f"stage: {r.suggested_stage}"
        for r in done.itertuples()
    ]
    st.markdown("\n".join(lines))


def to_do(con, rows: pd.DataFrame, f: Filter) -> None:
    todo = rows[rows["to_do"]]
    st.caption("Below the persistent-absence line, at risk or at the penalty-notice threshold, with nothing recorded.")
    if todo.empty:
        common.empty_state("Every flagged pupil has something recorded.")
        return
    shown = todo[TODO_COLUMNS].rename(columns=CASELOAD_COLUMNS)
    common.pupil_table(
        shown, key="todo_table", name="to_do", audit_detail=f"caseload to-do: {f.describe()}", blanks=BLANKS
    )
    st.markdown("**Letters for the whole list**")
    letter_maker(con, f, list(todo["upn"]), key="todo_letters")


def confirm_stage(con, rows: pd.DataFrame, f: Filter) -> None:
    email, role = who()
    with st.expander("Confirm a pupil's stage"):
        labels = {r.upn: f"{r.surname}, {r.forename} ({r.suggested_stage})" for r in rows.itertuples()}
        upn = st.selectbox("Pupil", list(labels), format_func=labels.get, key="stage_pupil")
        suggested = rows.set_index("upn").loc[upn, "suggested_stage"] if upn else STAGES[0]
        stage = st.selectbox("Stage", STAGES, index=STAGES.index(suggested), key=f"stage_choice_{upn}")
        if st.button("Confirm stage", key="stage_confirm") and upn:
            school_id = rows.set_index("upn").loc[upn, "school_id"]
            interventions.confirm_stage(con, f.scope, email, school_id, upn, stage, role=role)
            st.rerun()


def whole_log(con, f: Filter) -> None:
    email, role = who()
    log = interventions.entries(con, f.scope, school_ids=f.school_ids)
    if log.empty:
        common.empty_state("The log is empty.")
        return
    shown = tables.readable(log.drop(columns=["intervention_id", "school_id"]), LOG_BLANKS)
    st.dataframe(shown, hide_index=True, width="stretch")
    if st.button("Prepare CSV of the log", key="log_csv"):
        st.session_state["log_csv_data"] = interventions.export_csv(
            con, f.scope, email, role=role, school_ids=f.school_ids
        )
    if "log_csv_data" in st.session_state:
        st.download_button(
            "Download intervention-log.csv", st.session_state["log_csv_data"], "intervention-log.csv", "text/csv"
        )
