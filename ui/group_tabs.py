"""The Groups page's tabs: each group against the rest, the gap over the year, overlaps and the funnel plot.

Each function draws one tab from one analytics call. The measure switch
(overall or persistent absence) applies to every tab. Drill-down hints and
clickable charts appear only where the viewer may see pupils.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import groups
from analytics.filters import GROUP_LABELS, Filter
from ui import charts, common, export, filters, noise_charts

# measure key -> (label, the breakdown's rate column, its national column, its beyond-chance column)
MEASURES = {
    "overall_absence": ("Overall absence", "overall_absence_rate", "national_overall_absence_rate", "beyond_chance"),
    "persistent_absence": (
        "Persistent absence",
        "persistent_absence_rate",
        "national_persistent_absence_rate",
        "persistent_absence_beyond_chance",
    ),
}
DASH = "—"  # an empty cell that has nothing to say
FUNNEL_UNITS = {"form": "Forms", "year_group": "Year groups"}


def _click_hint(text: str) -> str | None:
    return text if common.pupil_level_allowed() else None


def _noise_word(value) -> str:
    if value is None or value != value:
        return DASH
    return "Beyond chance" if bool(value) else "Within noise"


def compared(f: Filter, by: str, measure: str, breakdown: pd.DataFrame, period: str) -> None:
    """Each group against the rest and the national figure, with whiskers and the figures table."""
    label, column, national_column, beyond = MEASURES[measure]
    shown = noise_charts.shown_groups(breakdown, column)
    has_national = breakdown[national_column].notna().any()
    fig = noise_charts.breakdown_figure(breakdown, by, f, period, label, column, beyond)
    if fig is None:
        st.info(
            f"No {GROUP_LABELS[by]} group can be shown here: groups of fewer than {groups.MIN_GROUP_SIZE} "
            "pupils are hidden, and so is the next smallest wherever a hidden one could be worked out."
        )
    else:
        pupil_level = common.pupil_level_allowed()
        hint = _click_hint(" Click a bar to see the pupils in that group.") or ""
        event = charts.show(
            fig, None, key=f"groups_bars_{by}", selectable=pupil_level, caption=noise_charts.INTERVAL_NOTE + hint
        )
        points = charts.selected_points(event)
        if points and pupil_level:
            clicked = shown.iloc[points[0]["point_index"]]
            common.pupils_behind(
                filters.narrowed(f, by, clicked["group"]), key=f"groups_pupils_{by}", what=str(clicked["label"])
            )

    gap = column.replace("_rate", "_gap")
    figures = pd.DataFrame(
        {
            GROUP_LABELS[by]: breakdown["label"],
            "Pupils": breakdown["enrolments"],
            f"{label} %": breakdown[column],
            "95% interval": [
                DASH if lo is None or hi is None else f"{lo:.1f} to {hi:.1f}"
                for lo, hi in zip(breakdown[f"{column}_low"], breakdown[f"{column}_high"], strict=True)
            ],
            "Rest of school %": breakdown[f"rest_{column}"],
            "Gap (points)": breakdown[gap],
            "Against the rest": [_noise_word(v) for v in breakdown[beyond]],
        }
    )
    if has_national:
        figures["National %"] = breakdown[national_column]
        figures["Gap to national (points)"] = breakdown[f"national_{gap}"]
        figures["National figure"] = breakdown["national_note"].fillna("")
    figures["Not shown because"] = breakdown["suppression_reason"].fillna(DASH)
    st.markdown(f"**Figures: {label.lower()} by {charts.group_phrase(by)}**")
    if not has_national:
        st.caption(str(breakdown["national_note"].dropna().iloc[0]) if breakdown["national_note"].notna().any() else "")
    # A note column that is empty in every row is left off the screen (the download keeps it).
    notes = [c for c in ("National figure", "Not shown because") if c in figures and figures[c].isin(["", DASH]).all()]
    on_screen = figures.drop(columns=notes)
    st.dataframe(on_screen, hide_index=True, width="stretch", column_config=_figures_columns(on_screen))
    export.download_table(figures, f"groups_{by}_{measure}")


def _figures_columns(figures: pd.DataFrame) -> dict:
    """The group's name pinned (it stays in view when the table scrolls sideways); numbers to one decimal place."""
    config = {figures.columns[0]: st.column_config.TextColumn(figures.columns[0], pinned=True)}
    for c in figures.columns[1:]:
        if "%" in c or "points" in c:
            short = c.replace(" (points)", "")
            unit = "percentage points" if "points" in c else "per cent"
            config[c] = st.column_config.NumberColumn(short, format="%.1f", help=f"{c}: {unit}")
    return config


def gap_over_year(f: Filter, by: str, measure: str, breakdown: pd.DataFrame) -> None:
    """One group against the rest, half-term by half-term, for the chosen measure."""
    label = MEASURES[measure][0]
    shown = breakdown[~breakdown["suppressed"].astype(bool)]
    values = shown["group"].tolist()
    if not values:
        st.info("No group is large enough to follow over the year.")
        return
    labels = dict(zip(shown["group"], shown["label"], strict=True))
    default = True if True in values else values[0]
    value = st.selectbox(
        "Group to follow", values, index=values.index(default), format_func=labels.get, key=f"groups_trend_{by}"
    )
    with st.spinner("Following the gap..."):
        trend = common.cached(groups.group_gap_trend, f.whole_year(), by, value)
    if common.is_empty_frame(trend):
        common.empty_state()
        return
    what = "year to date at the end of each half-term" if measure == "persistent_absence" else "by half-term"
    fig = noise_charts.gap_over_year(
        trend,
        measure,
        charts.chart_title(f"{label} {what}: {labels[value]} and the rest", f.whole_year()),
        group_name=str(labels[value]),
        y_title=f"{label} %",
    )
    table = pd.DataFrame(
        {
            "Half-term": trend["period"],
            "Pupils in group": trend["group_pupils"],
            f"{labels[value]} %": trend[f"group_{measure}_rate"],
            "Rest of school %": trend[f"rest_{measure}_rate"],
            "Gap (points)": trend[f"{measure}_gap"],
            "Not shown because": trend["suppression_reason"].fillna(DASH),
        }
    )
    charts.show(fig, table, key=f"groups_trend_chart_{by}_{measure}")
    if measure == "persistent_absence":
        st.caption("The DfE judges persistent absence year to date: each point counts the year so far.")


def overlap(f: Filter, measure: str, period: str) -> None:
    """Two groups crossed (FSM x SEN ...) as a grid of the chosen measure."""
    label, column, _, _ = MEASURES[measure]
    choices = [g for g in GROUP_LABELS if g not in ("form", "ethnicity")]
    a_col, b_col = st.columns(2)
    by_a = a_col.selectbox("First group", choices, index=choices.index("fsm"), format_func=GROUP_LABELS.get, key="x_a")
    rest = [g for g in choices if g != by_a]
    by_b = b_col.selectbox(
        "Second group", rest, index=rest.index("sen") if "sen" in rest else 0, format_func=GROUP_LABELS.get
    )
    with st.spinner("Crossing the groups..."):
        cross = common.cached(groups.intersection_breakdown, f, by_a, by_b)
    if common.is_empty_frame(cross):
        common.empty_state()
        return
    grid = cross.pivot_table(index="label_a", columns="label_b", values=column, aggfunc="first", dropna=False).apply(
        pd.to_numeric, errors="coerce"
    )
    fig = charts.heatmap(
        grid,
        charts.chart_title(f"{label}: {GROUP_LABELS[by_a]} x {GROUP_LABELS[by_b]}", f, period),
        colour_title=f"{label} %",
        hover=f"%{{y}}, %{{x}}: %{{z:.1f}}% {label.lower()}",
        height=max(260, 70 * len(grid) + 120),
    )
    table = pd.DataFrame(
        {
            "Groups": cross["label"],
            "Pupils": cross["enrolments"],
            f"{label} %": cross[column],
            "Everyone else %": cross[f"rest_{column}"],
            "Not shown because": cross["suppression_reason"].fillna(DASH),
        }
    )
    pupil_level = common.pupil_level_allowed()
    caption = f"Blank cells: fewer than {groups.MIN_GROUP_SIZE} pupils, or hidden so that a smaller cell cannot be worked out."
    event = charts.show(
        fig,
        table,
        key=f"groups_cross_{by_a}_{by_b}_{measure}",
        selectable=pupil_level,
        caption=caption + (_click_hint(" Click a cell to see its pupils.") or ""),
    )
    points = charts.selected_points(event)
    if points and pupil_level:
        row = cross[(cross["label_a"] == points[0]["y"]) & (cross["label_b"] == points[0]["x"])]
        if not row.empty and not bool(row.iloc[0]["suppressed"]):
            r = row.iloc[0]
            narrowed = filters.narrowed(filters.narrowed(f, by_a, r["group_a"]), by_b, r["group_b"])
            common.pupils_behind(narrowed, key="groups_cross_pupils", what=str(r["label"]))


def funnel(f: Filter, measure: str, period: str) -> None:
    """Forms or year groups on a funnel plot: which are beyond what their size explains."""
    label = MEASURES[measure][0]
    unit = st.segmented_control(
        "Units", list(FUNNEL_UNITS), format_func=FUNNEL_UNITS.get, default="form", key="groups_funnel_unit"
    )
    unit = unit or "form"
    with st.spinner("Drawing the funnel..."):
        result = common.cached(groups.unit_funnel, f, unit, measure)
    units = result["units"]
    if common.is_empty_frame(units):
        common.empty_state()
        return
    size_name = result["size_name"]
    fig = noise_charts.funnel(
        result,
        charts.chart_title(f"{label} by {FUNNEL_UNITS[unit].lower()} against their size", f, period),
        x_title=f"Size ({size_name})",
        y_title=f"{label} %",
    )
    pupil_level = common.pupil_level_allowed()
    note = (
        "Each point is one unit. The funnel is how far a unit of that size strays from the school's rate by chance "
        "alone (dashed 95%, dotted 99.8%), allowing for pupils' absences coming in runs. Vermillion: above the "
        "99.8% limit; blue: below it; grey: within."
    )
    table = pd.DataFrame(
        {
            GROUP_LABELS[unit]: units["label"],
            "Pupils": units["enrolments"],
            f"Size ({size_name})": units["size"],
            f"{label} %": units["rate"],
            "95% limits": [f"{lo:.1f} to {hi:.1f}" for lo, hi in zip(units["low_95"], units["high_95"], strict=True)],
            "99.8% limits": [
                f"{lo:.1f} to {hi:.1f}" for lo, hi in zip(units["low_99_8"], units["high_99_8"], strict=True)
            ],
            "Position": units["position"].map({"high": "Above", "low": "Below", "within": "Within"}),
        }
    )
    event = charts.show(
        fig,
        table,
        key=f"groups_funnel_{unit}_{measure}",
        selectable=pupil_level,
        caption=note + (_click_hint(" Click a point to see its pupils.") or ""),
    )
    points = [p for p in charts.selected_points(event) if p.get("curve_number", 0) == 0]
    if points and pupil_level:
        clicked = units.iloc[points[0]["point_index"]]
        common.pupils_behind(
            filters.narrowed(f, unit, clicked["group"]), key=f"groups_funnel_pupils_{unit}", what=str(clicked["label"])
        )
