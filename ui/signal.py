"""Signal and noise on the review pages: what changed most (beyond its noise) and the weekly control chart.

Each function draws one section from one analytics call, so the Overview and
Patterns pages add it with a single line.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import groups, patterns
from analytics.filters import Filter, PupilLevelDenied
from ui import charts, common, headlines, noise_charts, typed

CHANGE_LIMIT = 200  # pupils listed behind a change, largest part first


def what_changed_most(f: Filter, previous: tuple | None, period: str, measure: str = "overall_absence") -> None:
    """The groups whose absence rose or fell most since the last period, with whiskers; click for the pupils."""
    if previous is None:
        st.info("There is no earlier period in this year's calendar to compare with yet.")
        return
    with st.spinner("Comparing with the last period..."):
        changes = common.cached(groups.biggest_changes, f, previous[0], measure=measure)
    if common.is_empty_frame(changes):
        st.info("No group's absence changed since the last period.")
        return
    changes = changes.assign(name=headlines.change_names(changes))
    # One figure and one table for the page and the termly review pack (ui/headlines.py).
    pupil_level = common.pupil_level_allowed()
    chart = headlines.changes_chart(changes, previous[1], f, period, selectable=pupil_level)
    figures = headlines.changes_table(changes, previous[1])
    caption = headlines.CHANGES_NOTE.format(size=groups.MIN_GROUP_SIZE)
    if not pupil_level:  # as in published statistics: small groups are left out, not flagged
        caption += f" Groups under {groups.MIN_GROUP_SIZE} pupils in either period are left out."
    event = charts.show(
        chart,
        figures,
        key="overview_changes",
        selectable=pupil_level,
        caption=caption + (" Click a bar to see the pupils behind the change." if pupil_level else ""),
    )
    row = charts.selected(event, "row")
    if row is not None and pupil_level:
        row = changes.iloc[int(row)]
        pupils_behind_change(f, previous[0], row, measure)


def pupils_behind_change(f: Filter, previous: Filter, row: pd.Series, measure: str) -> None:
    """The pupils behind one bar of "What changed most", largest part in the change first."""
    try:
        with st.spinner("Finding the pupils..."):
            df = common.cached(
                groups.change_contributions, f, previous, row["by"], row["group"], measure=measure, limit=CHANGE_LIMIT
            )
    except PupilLevelDenied:
        st.caption("Your role sees figures for groups only, not the pupils behind them.")
        return
    st.markdown(f"**Pupils behind the change: {typed.as_typed(row['name'])}**")
    if common.is_empty_frame(df):
        common.empty_state()
        return
    st.caption(
        "Ordered by each pupil's part in the change (points of the group's rate): their absence now, "
        "less their absence then, over the group's sessions. The parts add up to the change."
    )
    order = ["upn", "surname", "forename", "year_group", "form", "part_in_change", "absence_rate"]
    order += ["previous_absence_rate", "absence_sessions", "possible_sessions"]
    order += ["previous_absence_sessions", "previous_possible_sessions"]
    shown = (
        df[[c for c in order if c in df.columns]]
        .round({"part_in_change": 2, "previous_absence_rate": 1})
        .rename(
            columns={
                "previous_possible_sessions": "Possible sessions (then)",
                "previous_absence_sessions": "Absence sessions (then)",
                "previous_absence_rate": "Then: absence %",
                "part_in_change": "Part in the change (points)",
            }
        )
    )
    common.pupil_table(shown, key="overview_change_pupils", name="pupils_behind_change", audit_detail=str(row["name"]))


def weekly_control(f: Filter, period: str, key: str = "weekly_control") -> None:
    """Week-by-week absence with control limits and the same weeks last year; unusual weeks ringed."""
    with st.spinner("Drawing the weekly control chart..."):
        control = common.cached(patterns.weekly_control, f)
        bounds = common.cached(patterns.term_boundaries, f)
    if common.is_empty_frame(control):
        common.empty_state()
        return
    year_bounds = None
    if not common.is_empty_frame(bounds) and f.academic_year is not None:
        year_bounds = bounds[bounds["academic_year"] == f.academic_year]
    fig = noise_charts.weekly_control(
        control,
        charts.chart_title("Is this week unusual? Weekly absence and its ordinary range", f, period),
        year_bounds,
    )
    charts.show(fig, headlines.weekly_control_table(control), key=key, caption=headlines.weekly_control_note(control))
