"""Patterns: which days and sessions, lateness, reasons over time, holidays, and lessons."""

from __future__ import annotations

import streamlit as st

from analytics import patterns
from ui import common, filters, pattern_tabs, signal

common.require_page("patterns")
f = filters.sidebar_filter()
st.title("Patterns")
period = filters.period_label(f)
st.caption(filters.context(f))

with st.spinner("Looking for patterns..."):
    by_slot = common.cached(patterns.absence_by_weekday_session, f)
if common.is_empty_frame(by_slot):
    common.empty_state()
    st.stop()

days, lateness, reasons, holidays, lessons, unusual_weeks = st.tabs(
    ["Days and sessions", "Lateness", "Reasons over time", "Before and after holidays", "Lessons", "Unusual weeks"],
    key="patterns_tab",
    on_change="rerun",
)

for tab, draw in zip(
    (days, lateness, reasons, holidays, lessons),
    (
        pattern_tabs.days_and_sessions,
        pattern_tabs.lateness,
        pattern_tabs.reasons_over_time,
        pattern_tabs.around_holidays,
        pattern_tabs.lessons,
    ),
    strict=True,
):
    if tab.open:  # lazy: only the chosen tab's charts are built and drawn
        with tab:
            draw(f, period, by_slot)
if unusual_weeks.open:
    with unusual_weeks:
        signal.weekly_control(f, period, key="patterns_weekly_control")
