"""Pupils (pastoral): find a pupil, see every session, how they compare, their patterns and time lost."""

from __future__ import annotations

import streamlit as st

from analytics import pupils
from ui import alerts, common, filters, interventions_panel, pupil_page

common.require_page("pupils")
f = filters.sidebar_filter(groups=False)  # no pupil group narrows one pupil
st.title("Pupils")
common.require_pupil_level("individual pupils")

# A pupil is found within the school, year and period; the sidebar's pupil groups never hide them.
pf = filters.period_only(f)
period = filters.period_label(f)
upn = pupil_page.chosen_pupil(pf)

profile = common.cached(pupils.pupil_profile, pf, upn)
if not profile:
    st.info("This pupil is not on roll in the chosen school and year, or is outside your access.")
    st.stop()
pupil_page.header(profile, upn, period)
alerts.pupil_absence_notice(common.connection(), pf, upn)
if not profile.get("measures"):
    st.info("No possible sessions for this pupil in the chosen period.")
    st.stop()

pupil_page.against_year_group(pf, upn, filters.scope_label(f.scope))
pupil_page.tabs(pf, upn, f"{profile['forename']} {profile['surname']}", period)
interventions_panel.interventions_panel(common.connection(), pf, upn, profile["school_id"])
