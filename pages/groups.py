"""Groups: each pupil group against the rest of the school and the national figure, gaps and their trend."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import groups
from analytics.filters import GROUP_LABELS
from ui import charts, common, export, filters

con = common.connection()
common.require_page("groups")
f = filters.sidebar_filter()
st.title("Groups")
period = filters.period_label(f)
st.caption(
    f"{common.cached(filters.school_name, f)} · {period} · {f.describe()}. "
    f"Groups with fewer than {groups.MIN_GROUP_SIZE} pupils are not shown, as in published statistics, and nor is "
    "the next smallest where one hidden group could otherwise be worked out by subtraction."
)

MEASURES = {
    "overall_absence": ("Overall absence", "overall_absence_rate", "national_overall_absence_rate"),
    "persistent_absence": ("Persistent absence", "persistent_absence_rate", "national_persistent_absence_rate"),
}
by = st.segmented_control("Group", list(GROUP_LABELS), format_func=GROUP_LABELS.get, default="fsm", key="groups_by")
by = by or "fsm"
measure = st.segmented_control(
    "Measure", list(MEASURES), format_func=lambda m: MEASURES[m][0], default="overall_absence", key="groups_measure"
)
label, column, national_column = MEASURES[measure or "overall_absence"]

with st.spinner("Comparing groups..."):
    breakdown = common.cached(groups.group_breakdown, f, by)
if common.is_empty_frame(breakdown):
    common.empty_state()
    st.stop()

shown = breakdown[~breakdown["suppressed"].astype(bool)].reset_index(drop=True)

# Three tabs, each built only when opened: the page's first screen stays quick.
compared, over_year, overlap = st.tabs(
    ["Each group against the rest", "The gap over the year", "Where groups overlap"],
    key="groups_tab",
    on_change="rerun",
)
with compared:
    if compared.open:
        if shown.empty:
            st.info(
                f"No {GROUP_LABELS[by]} group can be shown here: groups of fewer than {groups.MIN_GROUP_SIZE} "
                "pupils are hidden, and so is the next smallest wherever a hidden one could be worked out."
            )
        else:
            fig = charts.group_against_rest(
                shown,
                column,
                charts.chart_title(f"{label} by {charts.group_phrase(by)}: each group, the rest, national", f, period),
                y_title=f"{label} %",
            )
            event = charts.show(
                fig,
                None,
                key=f"groups_bars_{by}",
                selectable=True,
                caption="Click a bar to see the pupils in that group.",
            )
            points = charts.selected_points(event)
            if points:
                clicked = shown.iloc[points[0]["point_index"]]
                common.pupils_behind(
                    filters.narrowed(f, by, clicked["group"]), key=f"groups_pupils_{by}", what=str(clicked["label"])
                )

        figures = breakdown[
            [
                "label",
                "enrolments",
                column,
                f"rest_{column}",
                column.replace("_rate", "_gap"),
                national_column,
                "suppression_reason",
                "national_note",
            ]
        ].rename(
            columns={
                "label": GROUP_LABELS[by],
                "enrolments": "Pupils",
                column: f"{label} %",
                f"rest_{column}": "Rest of school %",
                column.replace("_rate", "_gap"): "Gap (points)",
                national_column: "National %",
                "suppression_reason": "Not shown because",
                "national_note": "National figure",
            }
        )
        blank = ["Not shown because", "National figure"]
        figures[blank] = figures[blank].fillna("")
        st.markdown(f"**Figures: {label.lower()} by {charts.group_phrase(by)}**")
        st.dataframe(
            figures,
            hide_index=True,
            width="stretch",
            column_config={
                c: st.column_config.NumberColumn(c, format="%.1f") for c in figures.columns if "%" in c or "Gap" in c
            },
        )
        export.download_table(figures, f"groups_{by}_{measure}")

with over_year:
    if over_year.open:
        values = shown["group"].tolist()
        if not values:
            st.info("No group is large enough to follow over the year.")
        else:
            labels = dict(zip(shown["group"], shown["label"], strict=True))
            default = True if True in values else values[0]
            value = st.selectbox(
                "Group to follow", values, index=values.index(default), format_func=labels.get, key=f"groups_trend_{by}"
            )
            with st.spinner("Following the gap..."):
                trend = common.cached(groups.group_gap_trend, f.whole_year(), by, value)
            if common.is_empty_frame(trend):
                common.empty_state()
            else:
                plot = trend.assign(period_start=pd.to_datetime(trend["period_start"]))
                fig = charts.lines(
                    plot,
                    "period_start",
                    {"group_overall_absence_rate": "group", "rest_overall_absence_rate": "rest"},
                    charts.chart_title(f"Overall absence by half-term: {labels[value]} and the rest", f.whole_year()),
                    y_title="Absence %",
                    names={
                        "group_overall_absence_rate": str(labels[value]),
                        "rest_overall_absence_rate": "Rest of school",
                    },
                )
                table = trend[
                    [
                        "period",
                        "group_pupils",
                        "group_overall_absence_rate",
                        "rest_overall_absence_rate",
                        "overall_absence_gap",
                    ]
                ].rename(
                    columns={
                        "period": "Half-term",
                        "group_pupils": "Pupils in group",
                        "group_overall_absence_rate": f"{labels[value]} absence %",
                        "rest_overall_absence_rate": "Rest absence %",
                        "overall_absence_gap": "Gap (points)",
                    }
                )
                charts.show(fig, table, key=f"groups_trend_chart_{by}")

with overlap:
    if overlap.open:
        choices = [g for g in GROUP_LABELS if g not in ("form", "ethnicity")]
        a_col, b_col = st.columns(2)
        by_a = a_col.selectbox(
            "First group", choices, index=choices.index("fsm"), format_func=GROUP_LABELS.get, key="x_a"
        )
        rest = [g for g in choices if g != by_a]
        by_b = b_col.selectbox(
            "Second group", rest, index=rest.index("sen") if "sen" in rest else 0, format_func=GROUP_LABELS.get
        )
        with st.spinner("Crossing the groups..."):
            cross = common.cached(groups.intersection_breakdown, f, by_a, by_b)
        if common.is_empty_frame(cross):
            common.empty_state()
        else:
            grid = cross.pivot_table(
                index="label_a", columns="label_b", values="overall_absence_rate", aggfunc="first", dropna=False
            ).apply(pd.to_numeric, errors="coerce")
            fig = charts.heatmap(
                grid,
                charts.chart_title(f"Overall absence: {GROUP_LABELS[by_a]} x {GROUP_LABELS[by_b]}", f, period),
                hover="%{y}, %{x}: %{z:.1f}% absence",
                height=max(260, 70 * len(grid) + 120),
            )
            table = cross[
                ["label", "enrolments", "overall_absence_rate", "rest_overall_absence_rate", "suppression_reason"]
            ]
            table = table.rename(
                columns={
                    "label": "Groups",
                    "enrolments": "Pupils",
                    "overall_absence_rate": "Absence %",
                    "rest_overall_absence_rate": "Everyone else %",
                    "suppression_reason": "Not shown because",
                }
            )
            event = charts.show(
                fig,
                table,
                key=f"groups_cross_{by_a}_{by_b}",
                selectable=True,
                caption="Blank cells: fewer than 5 pupils, or hidden so that a smaller cell cannot be worked out.",
            )
            points = charts.selected_points(event)
            if points:
                row = cross[(cross["label_a"] == points[0]["y"]) & (cross["label_b"] == points[0]["x"])]
                if not row.empty and not bool(row.iloc[0]["suppressed"]):
                    r = row.iloc[0]
                    narrowed = filters.narrowed(filters.narrowed(f, by_a, r["group_a"]), by_b, r["group_b"])
                    common.pupils_behind(narrowed, key="groups_cross_pupils", what=str(r["label"]))
