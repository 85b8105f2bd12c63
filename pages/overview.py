"""Overview for the termly review: the headline figures, the trend, and what changed most."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from analytics import measures, national, patterns, school
from ui import charts, common, export, filters, packs, signal

con = common.connection()
common.require_page("overview")
f = filters.sidebar_filter(con)
st.title("Overview")
name = common.cached(filters.school_name, f)
period = filters.period_label(f)
st.caption(f"{name} · {period} · {f.describe()}")

with st.spinner("Working out the headline figures..."):
    now = common.cached(measures.summary, f)
if not now.get("enrolments"):
    common.empty_state()
    st.stop()

previous = common.cached(filters.previous_period, f)
last_year = common.cached(filters.same_point_last_year, f)
before = common.cached(measures.summary, previous[0]) if previous else {}
a_year_ago = common.cached(measures.summary, last_year) if last_year else {}
phase = common.cached(school.phase_of, f.school_ids[0]) if f.school_ids else None
england = national.national_headline(phase or "all")

HEADLINES = (
    ("attendance_rate", "Attendance", "normal"),
    ("authorised_absence_rate", "Authorised absence", "inverse"),
    ("unauthorised_absence_rate", "Unauthorised absence", "inverse"),
    ("persistent_absence_rate", "Persistent absence", "inverse"),
    ("severe_absence_rate", "Severe absence", "inverse"),
)
COMPARE = {
    "previous": f"Last period ({previous[1]})" if previous else "Last period",
    "last_year": "Same point last year",
    "national": f"National ({england['phase']})",
}
against = st.segmented_control(
    "Compare with", list(COMPARE), format_func=COMPARE.get, default="previous", key="overview_compare"
)
baseline = {"previous": before, "last_year": a_year_ago, "national": england}.get(against or "previous", {})

columns = st.columns(len(HEADLINES))
for column, (key, label, colour) in zip(columns, HEADLINES, strict=True):
    value, base = now.get(key), baseline.get(key)
    delta = None if value is None or base is None else f"{value - base:+.1f} pts"
    help_text = {
        "persistent_absence_rate": "Pupils missing 10% or more of their possible sessions (DfE).",
        "severe_absence_rate": "Pupils missing 50% or more of their possible sessions (DfE).",
    }.get(key)
    count = now.get(key.replace("_rate", "_count"))
    column.metric(
        label,
        common.pct(value),
        delta=delta,
        delta_color=colour,
        delta_description=f"vs {COMPARE[against or 'previous'].lower()}" if delta else None,
        help=help_text,
        border=True,
    )
    if count is not None:
        column.caption(f"{count} pupils")
st.caption(
    f"{now['pupils']} pupils, {now['possible_sessions']:,} possible sessions. {england['source']}, {england['period']}."
)

table = pd.DataFrame(
    {
        "Measure": [label for _, label, _ in HEADLINES],
        "This period": [now.get(k) for k, _, _ in HEADLINES],
        COMPARE["previous"]: [before.get(k) for k, _, _ in HEADLINES],
        "Same point last year": [a_year_ago.get(k) for k, _, _ in HEADLINES],
        COMPARE["national"]: [england.get(k) for k, _, _ in HEADLINES],
    }
)
with st.expander("Headline figures and comparisons"):
    st.dataframe(table.round(1), hide_index=True, width="stretch")
    export.download_table(table, "headline_figures")

st.subheader("Week by week")
with st.spinner("Drawing the trend..."):
    weekly = common.cached(patterns.weekly_trend, f)
    bounds = common.cached(patterns.term_boundaries, f.replace(academic_year=f.academic_year))
if common.is_empty_frame(weekly):
    common.empty_state()
else:
    # Last year's weeks drawn on this year's calendar (52 weeks later) so the two lines line up.
    plot = weekly.assign(
        week=pd.to_datetime(weekly["week_start"]) + pd.to_timedelta((weekly["series"] == "last year") * 364, unit="D")
    )
    wide = plot.pivot_table(index="week", columns="series", values="absence_rate").reset_index()
    wide.columns.name = None
    if "national" not in wide and england.get("overall_absence_rate") is not None:
        wide["national"] = england["overall_absence_rate"]
    fig = charts.lines(
        wide,
        "week",
        {"this year": "school", "last year": "last_year", "national": "national"},
        charts.chart_title("Overall absence week by week", f, period),
        y_title="Absence %",
        half_terms=bounds[bounds["academic_year"] == f.academic_year] if not common.is_empty_frame(bounds) else None,
        names={"this year": "This year", "last year": "Last year", "national": "National (year to date)"},
    )
    event = charts.show(
        fig, wide.round({c: 2 for c in wide.columns if c != "week"}), key="overview_weekly", selectable=True
    )
    points = charts.selected_points(event)
    if points:
        week = pd.Timestamp(points[0]["x"]).date()
        start = week - timedelta(days=week.weekday())
        week_f = f.replace(term=None, half_term=None, date_from=start, date_to=start + timedelta(days=4))
        common.pupils_behind(week_f, key="overview_week_pupils", what=f"absence in the week of {start:%d %B}")

st.subheader("What changed most")
signal.what_changed_most(f, previous, period)

st.divider()


@st.cache_data(show_spinner=False, max_entries=20)
def _review_pack(path: str, pack_filter, day: str) -> str:
    return packs.review_pack(common.connection(), pack_filter)


st.download_button(
    "Download the termly review pack (printable HTML)",
    data=lambda: _review_pack(common.db_path(), f, datetime.now().strftime("%Y-%m-%d")),
    file_name=f"termly_review_{export.file_stem(name)}.html",
    mime="text/html",
    icon=":material/print:",
    on_click=common.audit,
    args=("export",),
    kwargs={"detail": f"termly review pack: {f.describe()}"},
)
