"""Caseload (pastoral): the pupils you look after, their stage, last and next action, and who needs something."""

from __future__ import annotations

import streamlit as st

from analytics import caseload
from analytics.filters import PupilLevelDenied
from ui import alerts, caseload_view, common, filters, letter_templates_view

common.require_page("caseload")
f = filters.sidebar_filter()
con = common.connection()
st.title("Caseload")
st.caption(filters.context(f))
common.require_pupil_level("pupils' records")

try:
    with st.spinner("Reading the log and the registers..."):
        rows = caseload.caseload(con, f)  # not cached: the log changes with every action recorded
except PupilLevelDenied:
    st.info("Your role sees figures for groups only, not pupils' records.")
    st.stop()

if common.is_empty_frame(rows):
    common.empty_state("No pupil you look after is flagged or has anything recorded.")
    st.stop()

caseload_view.metrics(rows)
cases, todo, log, wording = st.tabs(["Caseload", "To do", "Whole log", "Letter wording"])
with cases:
    caseload_view.recent_actions(rows)
    caseload_view.caseload_table(rows, f)
    caseload_view.confirm_stage(con, rows, f)
with todo:
    caseload_view.to_do(con, rows, f)
    alerts.absence_alerts(con, f)  # ten school days in a row; N codes left unresolved
with log:
    caseload_view.whole_log(con, f)
with wording:
    school_ids = f.school_ids or tuple(rows["school_id"].unique())
    letter_templates_view.editor(con, school_ids[0])
