"""Lists (pastoral): who is persistently or severely absent, at risk, newly below 90%, or at the penalty threshold."""

from __future__ import annotations

import streamlit as st

from analytics import lists
from analytics.filters import PupilLevelDenied
from ui import alerts, common, filters
from ui import projection as road

common.require_page("lists")
f = filters.sidebar_filter()
st.title("Lists")
st.caption(filters.context(f))
common.require_pupil_level("lists of pupils")
alerts.absence_alerts(common.connection(), f)

LISTS = {
    "persistent": ("Persistent absence", lists.persistent_absentees, "Missing 10% or more of possible sessions."),
    "severe": ("Severe absence", lists.severe_absentees, "Missing 50% or more of possible sessions."),
    "at_risk": (
        "Attendance 90-95% or falling",
        lists.at_risk,
        "Not yet persistently absent: 90-95% attendance year to date, or falling 2 points or more since last half-term.",
    ),
    "newly_below": (
        "Newly below 90%",
        lists.newly_below,
        "At or above 90% year to date at the end of last half-term, below it now.",
    ),
    "penalty": (
        "Penalty-notice threshold",
        lists.penalty_notice_threshold,
        "10 or more unauthorised sessions (G, N, O, U) within a rolling 10 school weeks: "
        "the national threshold to consider a Notice to Improve or a penalty notice, after support.",
    ),
    "one_day": (
        "Absence on one day",
        lists.absence_on_one_day,
        "Pupils whose absence falls on one weekday (or on mornings, or afternoons) more than their own absence "
        "rate explains: the test a pupil's Patterns tab makes, for every pupil; strongest evidence first.",
    ),
}
COLUMNS = {
    "upn": "upn",
    "surname": "surname",
    "forename": "forename",
    "year_group": "year_group",
    "form": "form",
    "possible_sessions": "possible_sessions",
    "attendance_rate": "attendance_rate",
    "absence_rate": "absence_rate",
    "unauthorised_rate": "unauthorised_rate",
    "days_missed": "Days missed",
    "attendance_ytd": "Attendance % (year to date)",
    "attendance_ytd_previous": "Attendance % (last half-term end)",
    "change": "Change (points)",
    "change_ytd": "Change (points)",
    "reason": "Why",
    "window_start": "Window from",
    "window_end": "Window to",
    "unauthorised_sessions": "Unauthorised sessions",
    "most_in_a_window": "Most in any 10 school weeks",
    "current": "Window still open",
    "slot": "Falls on",
    "slot_absences": "Absent there",
    "slot_possible": "Out of",
    "slot_rate": "Absent there %",
    "pupil_rate": "Absent overall %",
}

road.outlook_lists(f)
choice = st.segmented_control(
    "List", list(LISTS), format_func=lambda k: LISTS[k][0], default="persistent", key="lists_choice"
)
choice = choice or "persistent"
title, fn, explanation = LISTS[choice]
st.caption(explanation)
if choice in ("persistent", "severe") and (f.term or f.date_from):
    st.warning("The DfE judges persistent absence year to date; a term or date range is an early look only.")

try:
    with st.spinner(f"Finding {title.lower()}..."):
        rows = common.cached(fn, f)
except PupilLevelDenied:
    st.info("Your role sees figures for groups only, not lists of pupils.")
    st.stop()

st.metric(title, f"{len(rows)} pupils" if rows is not None else "0 pupils")
if common.is_empty_frame(rows):
    common.empty_state()
    st.stop()

if choice == "penalty":
    st.caption(
        "Unauthorised in the window: the sessions between its dates (the latest 10 school weeks to reach the "
        "threshold). Most in any 10 school weeks: the highest count over every such window. Window still open: it "
        "ends within the last 10 school weeks, so the threshold is reached now, not only in the past."
    )
# Each pupil's road to the end of the year beside them: what they can still miss, where they are heading.
rows = road.with_road(f, rows)
# The penalty list counts unauthorised sessions in its window; every other list, in the filter's period.
names = {**COLUMNS, "unauthorised_sessions": "Unauthorised in the window"} if choice == "penalty" else COLUMNS
shown = rows[[c for c in [*names, *road.ROAD_COLUMNS.values()] if c in rows.columns]].rename(columns=names)
common.pupil_table(shown, key=f"list_{choice}", name=f"{choice}_list", audit_detail=f"{title}: {filters.describe(f)}")
