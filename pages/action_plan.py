"""Action plan (leaders edit, governors read): the school's attendance strategy, each action with its measure's trend."""

from __future__ import annotations

import streamlit as st

from analytics import school
from analytics.filters import Filter
from data import school_actions
from ui import action_plan_view, common, filters

common.require_page("action_plan")
f = filters.sidebar_filter()
con = common.connection()
st.title("Attendance action plan")
st.caption(filters.school_line(f, "whole-school actions; no pupil is named here"))

schools = common.cached(school.schools, Filter(scope=f.scope))
school_ids = f.school_ids or tuple(schools["school_id"]) if not schools.empty else ()
editable = action_plan_view.can_edit()
plan = school_actions.actions(con, tuple(school_ids))
if plan.empty:
    common.empty_state("No actions in the plan yet." + (" Add the first below." if editable else ""))
for row in plan.to_dict("records"):
    action_plan_view.action_card(con, f.replace(school_ids=(row["school_id"],)), row, editable)
if editable and school_ids:
    action_plan_view.add_form(con, school_ids[0])
elif not editable:
    st.caption("Read only: senior leaders keep the plan up to date.")
