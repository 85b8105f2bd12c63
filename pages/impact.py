"""Impact (leaders): which interventions helped, beyond what similar pupils did on their own."""

from __future__ import annotations

import streamlit as st

from analytics import impact
from ui import common, filters, impact_view

common.require_page("impact")
f = filters.sidebar_filter()
con = common.connection()
st.title("Impact of interventions")
st.caption(filters.school_line(f, f"interventions dated in {filters.period_label(f)}"))

weeks = st.slider("School weeks before and after", 2, 12, impact.DEFAULT_WEEKS, key="impact_weeks")
with st.spinner("Matching each pupil with similar pupils..."):
    df = impact.intervention_impact(con, f, weeks=weeks)  # not cached: the log changes as staff record
if common.is_empty_frame(df):
    common.empty_state("No intervention in this period has attendance on both sides of its date yet.")
    st.stop()
impact_view.render(df, weeks)
