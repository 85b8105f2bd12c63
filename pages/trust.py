"""Trust view: every school the user may see side by side, against national and its own local authority."""

from __future__ import annotations

import streamlit as st

from analytics import trust
from ui import charts, common, filters, registry, trust_view

con = common.connection()
common.require_page("trust")
f = filters.sidebar_filter()
st.title("Schools side by side")

first = common.cached(trust.first_view, f)  # the table and the pooled figures from one pass over the marks
schools = first["schools"]
if common.is_empty_frame(schools):
    common.empty_state("No school you can see has pupils in this period")
    st.stop()
period = filters.period_label(f)
st.caption(
    f"{period} · {trust.across_schools(f).describe()}. Each school against England and its own local authority "
    "for its phase (DfE, Pupil attendance in schools). Gaps: overall absence of the group minus the rest, "
    f"in percentage points; not shown for groups of fewer than {trust.MIN_GROUP} pupils."
)
trust_view.headline(first["trust"], schools)

table_tab, funnel_tab, trend_tab = st.tabs(
    ["Side by side", "Which schools differ", "Trends"], key="trust_tab", on_change="rerun"
)
with table_tab:
    if table_tab.open:
        st.dataframe(trust_view.side_by_side(schools), hide_index=True, width="stretch")
with funnel_tab:
    if funnel_tab.open:
        measure = st.segmented_control(
            "Measure",
            list(trust_view.MEASURE_LABELS),
            format_func=trust_view.MEASURE_LABELS.get,
            default="overall_absence_rate",
            key="trust_measure",
        )
        funnel = common.cached(trust.funnel, f, measure or "overall_absence_rate")
        title = charts.chart_title(
            f"{trust_view.MEASURE_LABELS[funnel['measure']]} against size", trust.across_schools(f), period
        )
        pupil_level = common.pupil_level_allowed()
        event = charts.show(
            trust_view.funnel_figure(funnel, title),
            trust_view.funnel_table(funnel),
            key="trust_funnel",
            selectable=pupil_level,
            caption="A school outside the dashed lines differs from the schools' pooled rate by more than "
            "chance would give a school of its size (99.8%: about one in 500 by chance); the dotted lines "
            "are the 95% limits. The spread allows for one pupil's absences hanging together."
            + (" Click a school to see its pupils." if pupil_level else ""),
        )
        clicked = trust_view.clicked_school(charts.selected_points(event), schools)
        if clicked is not None and pupil_level:
            common.pupils_behind(f.replace(school_ids=(clicked[0],)), key="trust_funnel_pupils", what=clicked[1])
with trend_tab:
    if trend_tab.open:
        trend = common.cached(trust.trend, f)
        names = dict(zip(schools["school_id"], schools["name"], strict=True))
        if common.is_empty_frame(trend):
            common.empty_state()
        else:
            charts.show(
                trust_view.trend_figure(trend, names, "Overall absence by academic year"),
                trust_view.trend_table(trend, names),
                key="trust_trend",
            )

trust_view.drill(schools, registry.PAGE_BY_KEY["overview"].path)
