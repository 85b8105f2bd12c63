"""Groups: each pupil group against the rest of the school and the national figure, gaps and their trend."""

from __future__ import annotations

import streamlit as st

from analytics import groups
from analytics.filters import GROUP_LABELS
from ui import common, filters, group_tabs

con = common.connection()
common.require_page("groups")
f = filters.sidebar_filter()
st.title("Groups")
period = filters.period_label(f)
st.caption(
    f"{filters.context(f)}. "
    f"Groups with fewer than {groups.MIN_GROUP_SIZE} pupils are not shown, as in published statistics, and nor is "
    "the next smallest where one hidden group could otherwise be worked out by subtraction."
    + ("" if common.pupil_level_allowed() else " Nor is a figure built on 1 or 2 pupils or sessions.")
)

by = st.segmented_control("Group", list(GROUP_LABELS), format_func=GROUP_LABELS.get, default="fsm", key="groups_by")
by = by or "fsm"
measure = st.segmented_control(
    "Measure",
    list(group_tabs.MEASURES),
    format_func=lambda m: group_tabs.MEASURES[m][0],
    default="overall_absence",
    key="groups_measure",
)
measure = measure or "overall_absence"

with st.spinner("Comparing groups..."):
    breakdown = common.cached(groups.group_breakdown, f, by)
if common.is_empty_frame(breakdown):
    common.empty_state()
    st.stop()

# Four tabs, each built only when opened: the page's first screen stays quick.
compared, over_year, overlap, funnel = st.tabs(
    ["Each group against the rest", "The gap over the year", "Where groups overlap", "Funnel plot"],
    key="groups_tab",
    on_change="rerun",
)
with compared:
    if compared.open:
        group_tabs.compared(f, by, measure, breakdown, period)
with over_year:
    if over_year.open:
        group_tabs.gap_over_year(f, by, measure, breakdown)
with overlap:
    if overlap.open:
        group_tabs.overlap(f, measure, period)
with funnel:
    if funnel.open:
        group_tabs.funnel(f, measure, period)
