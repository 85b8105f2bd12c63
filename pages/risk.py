"""At risk (pastoral): pupils most likely to end the year persistently absent, and why."""

from __future__ import annotations

import streamlit as st

from analytics import risk
from analytics.filters import PupilLevelDenied
from ui import common, filters
from ui import projection as road

common.require_page("risk")
f = filters.sidebar_filter()
st.title("At risk: predicted to become persistently absent")
st.caption(filters.context(f))
common.require_pupil_level("lists of pupils")

try:
    with st.spinner("Scoring pupils (the first time takes a few seconds while the model learns)..."):
        ranked = common.cached(risk.score_pupils, f)
except risk.NotEnoughHistory as exc:
    st.info(str(exc), icon=":material/info:")
    st.stop()
except PupilLevelDenied:
    st.info("Your role sees figures for groups only, not lists of pupils.")
    st.stop()
if common.is_empty_frame(ranked):
    common.empty_state()
    st.stop()
ranked = road.set_aside_beyond_recovery(f, ranked)

st.caption(
    "The chance that each pupil ends the year persistently absent (10% or more of sessions missed), from a model "
    "trained on this school's earlier years. High: 50% or more; Medium: 20-50%. See the At-risk model page for "
    "how well it did on a year it never saw. A probability is a prompt to look, not a judgement, and is shown "
    "between 1% and 99%: no model is certain."
)
counts = ranked["band"].value_counts()
for column, name in zip(st.columns(3), ("High", "Medium", "Low"), strict=True):
    column.metric(f"{name} risk", f"{int(counts.get(name, 0))} pupils", border=True)

bands = st.segmented_control(
    "Show", ["High", "Medium", "Low"], selection_mode="multi", default=["High", "Medium"], key="risk_bands"
)
shown = ranked[ranked["band"].isin(bands or ["High", "Medium", "Low"])]
if shown.empty:
    common.empty_state("No pupils in the chosen bands.")
    st.stop()
previous = shown["previous_cutoff"].dropna()
change_label = f"Change since {previous.iloc[0]:%d %b} (points)" if not previous.empty else "Change (points)"
table = shown.assign(
    probability=(shown["probability"] * 100).clip(1, 99), change=shown["change"] * 100, previous_probability=None
).rename(
    columns={
        "probability": "Chance of PA %",
        "band": "Band",
        "reasons": "Why",
        "change": change_label,
    }
)[
    [
        "upn",
        "surname",
        "forename",
        "year_group",
        "form",
        "attendance_rate",
        "Chance of PA %",
        "Band",
        "Why",
        change_label,
    ]
]
common.pupil_table(
    table,
    key="risk_table",
    name="at_risk_model",
    audit_detail=f"at-risk model list: {f.describe()}",
    blanks={change_label: "no earlier score"},
)
