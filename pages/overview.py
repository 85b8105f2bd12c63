"""Overview for the termly review: the headline figures, the trend, and what changed most."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from analytics import overview, periods
from ui import alerts, charts, common, export, filters, headlines, signal

con = common.connection()
common.require_page("overview")
f = filters.sidebar_filter()
st.title("Overview")
alerts.stale_data_warning(con, f)
name = common.cached(filters.school_name, f)
period = filters.period_label(f)
st.caption(filters.context(f))

with st.spinner("Working out the headline figures..."):
    h = common.cached(overview.headline, f)
if h.empty:
    common.empty_state()
    st.stop()

COMPARE = headlines.comparison_labels(h)
CARDS = ("attendance_rate", "authorised_absence_rate", "unauthorised_absence_rate")
CARDS += ("persistent_absence_rate", "severe_absence_rate")
against = st.segmented_control(
    "Compare with", list(COMPARE), format_func=COMPARE.get, default="previous", key="overview_compare"
)
against = against or "previous"
baseline = h.against(against)
# Three cards a row, so every label is read whole beside its help icon.
for column, key in zip([*st.columns(3), *st.columns(3)[:2]], CARDS, strict=True):
    change = h.change(key, against)
    missing = headlines.NOT_PUBLISHED if against == "national" else "no figure"
    base = headlines.rate(baseline.get(key), missing)
    better = "normal" if key in headlines.GOOD_WHEN_HIGHER else "inverse"
    column.metric(
        headlines.MEASURE_LABELS[key],
        headlines.rate(h.now.get(key)),
        delta=missing if change is None else headlines.points(change),
        delta_color="off" if not change else better,
        delta_arrow="off" if not change else "auto",
        help=f"{headlines.MEASURE_HELP[key]} {COMPARE[against]}: {base}."
        + (f" Not shown: {h.hidden[key]}." if key in h.hidden else ""),
        border=True,
    )
    pupils = h.now.get(key.replace("_rate", "_count"))
    if pupils is not None:
        column.caption(f"{pupils:,} pupils")
st.caption(f"Changes are against {COMPARE[against][0].lower()}{COMPARE[against][1:]}. {headlines.headline_note(h)}")
# Is the change real? (Not asked of the national figure: a different population, not a sample of ours.)
real = (
    ""
    if against == "national"
    else headlines.noise_sentence(common.cached(overview.headline_noise, f), against, h.hidden)
)
if real:
    st.caption(real)

headline_box = charts.on_demand("Headline figures and comparisons", "overview_headline_figures")
if headline_box:
    with headline_box:
        st.dataframe(headlines.headline_table(h), hide_index=True, width="stretch")
        export.download_table(headlines.headline_figures(h), "headline_figures")

st.subheader("Week by week")
with st.spinner("Drawing the trend..."):
    weekly = common.cached(overview.weekly_comparison, f)
if weekly.empty:
    common.empty_state()
else:
    chart = headlines.trend_chart(weekly, f, period)
    event = charts.show(chart, headlines.trend_table(weekly), key="overview_weekly", selectable=True)
    picked = charts.selected(event, "week")
    if picked:
        week = date.fromisoformat(picked)
        start = week - timedelta(days=week.weekday())
        week_f = f.replace(term=None, half_term=None, date_from=start, date_to=start + timedelta(days=4))
        common.pupils_behind(week_f, key="overview_week_pupils", what=f"absence in the week of {start:%d %B}")

st.subheader("What changed most")
signal.what_changed_most(f, common.cached(periods.previous_period, f), period)

st.divider()
export.pack_downloads("review", f, name)
