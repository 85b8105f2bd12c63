"""The Patterns page's tabs: days and sessions, lateness, reasons over time, holidays, and lessons.

pages/patterns.py draws the tabs and calls the open one's function here.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import patterns
from analytics.filters import WEEKDAYS, Filter
from ui import charts, common, export


def _pupils_behind_cell(f: Filter, event, key: str, what: str) -> None:
    """A clicked weekday x session cell: the pupils who missed those sessions."""
    points = charts.selected_points(event)
    if points:
        day, session = points[0]["x"], points[0]["y"]
        narrowed = f.replace(weekdays=(WEEKDAYS.index(day) + 1,), sessions=(session,))
        common.pupils_behind(narrowed, key=key, what=f"{day} {session}{what}")


def _shortened(text: str, limit: int = 38) -> str:
    """A code's meaning cut at a word, with an ellipsis, so a legend never ends mid-word."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:(-") + "…"


def _slot_table(df: pd.DataFrame) -> pd.DataFrame:
    return df[
        ["weekday_name", "session", "possible_sessions", "absence_sessions", "absence_rate", "unauthorised_rate"]
    ].rename(
        columns={
            "weekday_name": "Day",
            "session": "Session",
            "possible_sessions": "Possible sessions",
            "absence_sessions": "Absence sessions",
            "absence_rate": "Absence %",
            "unauthorised_rate": "Unauthorised %",
        }
    )


def days_and_sessions(f: Filter, period: str, by_slot: pd.DataFrame) -> None:
    fig = charts.heatmap(
        charts.weekday_grid(by_slot, "absence_rate"),
        charts.chart_title("Overall absence by day and session", f, period),
        hover="%{x} %{y}: %{z:.1f}% absence",
        height=300,
    )
    event = charts.show(
        fig,
        _slot_table(by_slot),
        key="patterns_weekday",
        selectable=common.pupil_level_allowed(),
        caption="Click a cell to see the pupils who missed those sessions most; click it again to close the list."
        if common.pupil_level_allowed()
        else None,
    )
    _pupils_behind_cell(f, event, "patterns_weekday_pupils", " absence")


def lateness(f: Filter, period: str, by_slot: pd.DataFrame) -> None:
    fig = charts.heatmap(
        charts.weekday_grid(by_slot, "lateness_rate"),
        charts.chart_title("Late arrivals (L and U) per 100 sessions, by day and session", f, period),
        colour_title="Late %",
        hover="%{x} %{y}: %{z:.1f} late per 100 sessions",
        height=300,
    )
    table = by_slot[["weekday_name", "session", "late_before_close", "late_after_close", "lateness_rate"]].rename(
        columns={
            "weekday_name": "Day",
            "session": "Session",
            "late_before_close": "Late before register closed (L)",
            "late_after_close": "Late after register closed (U)",
            "lateness_rate": "Late per 100 sessions",
        }
    )
    event = charts.show(fig, table, key="patterns_lateness", selectable=common.pupil_level_allowed())
    _pupils_behind_cell(f, event, "patterns_late_pupils", "")


def reasons_over_time(f: Filter, period: str, by_slot: pd.DataFrame) -> None:
    freq = st.segmented_control(
        "Period", ["week", "month"], default="month", key="patterns_reason_freq", format_func=str.capitalize
    )
    with st.spinner("Counting reasons..."):
        by_reason = common.cached(patterns.reasons_over_time, f, freq or "month")
    if common.is_empty_frame(by_reason):
        common.empty_state("No absence in these filters.")
    else:
        fig = go.Figure()
        palette = list(charts.OKABE_ITO.values())
        totals = by_reason.groupby("code")["sessions"].sum().sort_values(ascending=False)
        for i, code in enumerate(totals.index):
            part = by_reason[by_reason["code"] == code]
            meaning = part["meaning"].iloc[0]
            fig.add_bar(
                x=pd.to_datetime(part["period"]),
                y=part["rate"],
                name=f"{code}: {_shortened(meaning)}",  # the whole meaning is in the hover and the table
                marker_color=palette[(i + 1) % len(palette)],
                marker_pattern_shape="/" if part["category"].iloc[0] == "unauthorised" else None,
                hovertemplate=f"{code} ({meaning})<br>%{{x|%b %Y}}: %{{y:.2f}} per 100 sessions<extra></extra>",
            )
        fig.update_layout(barmode="stack", legend=dict(orientation="v", y=1, x=1.02, xanchor="left"))
        charts.layout(
            fig,
            charts.chart_title("Absence by reason, per 100 possible sessions", f, period),
            height=430,
            y_title="Sessions per 100",
        )
        fig.update_layout(legend=dict(orientation="v", y=1, x=1.02, xanchor="left", yanchor="top"))
        # One tick per bar, at the start of its month or week, named as the hover names it (not "Oct 31").
        monthly = (freq or "month") == "month"
        fig.update_xaxes(
            dtick="M1" if monthly else 7 * 86_400_000,
            tick0=str(by_reason["period"].min()),
            tickformat="%b %Y" if monthly else "%d %b",
        )
        table = by_reason[["period", "code", "meaning", "category", "sessions", "rate", "share_of_absence"]].rename(
            columns={
                "period": "Period starting",
                "code": "Code",
                "meaning": "Meaning",
                "category": "Category",
                "sessions": "Sessions",
                "rate": "Per 100 sessions",
                "share_of_absence": "Share of absence %",
            }
        )
        charts.show(fig, table, key="patterns_reasons", caption="Hatched: unauthorised codes.")


def around_holidays(f: Filter, period: str, by_slot: pd.DataFrame) -> None:
    with st.spinner("Comparing the days around holidays..."):
        around = common.cached(patterns.holiday_effect, f.whole_year())
    if common.is_empty_frame(around):
        st.info("The school calendar has no holidays inside this period yet.")
    else:
        wide = around.pivot_table(index="holiday", columns="side", values="absence_rate", aggfunc="first", sort=False)
        wide = wide.reindex(columns=[c for c in ("before", "after") if c in wide.columns]).reset_index()
        fig = go.Figure()
        for side, colour in (("before", charts.OKABE_ITO["orange"]), ("after", charts.OKABE_ITO["blue"])):
            if side in wide:
                fig.add_bar(x=wide["holiday"], y=wide[side], name=f"Week {side}", marker_color=colour)
        overall = around["overall_rate"].dropna()
        if not overall.empty:
            fig.add_hline(
                y=float(overall.iloc[0]),
                line=dict(color=charts.COMPARISON_COLOURS["national"], dash="dash"),
                annotation_text=f"Other weeks {overall.iloc[0]:.1f}%",
            )
        fig.update_layout(barmode="group")
        charts.layout(
            fig,
            charts.chart_title("Absence in the week before and after each holiday", f.whole_year()),
            y_title="Absence %",
        )
        table = around.rename(
            columns={
                "holiday": "Holiday",
                "academic_year": "Year",
                "side": "Before or after",
                "start_date": "From",
                "end_date": "To",
                "possible_sessions": "Possible sessions",
                "absence_sessions": "Absence sessions",
                "absence_rate": "Absence %",
                "overall_rate": "Other weeks %",
                "difference": "Difference (points)",
            }
        )
        charts.show(fig, table, key="patterns_holidays")


def lessons(f: Filter, period: str, by_slot: pd.DataFrame) -> None:
    with st.spinner("Reading the lesson registers..."):
        grid = common.cached(patterns.lesson_absence_by_period_weekday, f)
    if common.is_empty_frame(grid):
        st.info("No lesson registers have been imported for these pupils.")
    else:
        pivot = grid.pivot_table(index="period", columns="weekday_name", values="absence_rate", aggfunc="first")
        order = grid.drop_duplicates("period").sort_values(["period_number", "period"])["period"].tolist()
        pivot = pivot.reindex(index=order, columns=[d for d in WEEKDAYS if d in pivot.columns])
        pivot.index = [f"Period {p}" for p in pivot.index]
        fig = charts.heatmap(
            pivot,
            charts.chart_title("Lesson absence by period and day", f, period),
            hover="%{x}, %{y}: %{z:.1f}% of lessons missed",
            height=max(280, 45 * len(pivot) + 120),
        )
        table = grid[["weekday_name", "period", "possible_lessons", "absent_lessons", "absence_rate"]].rename(
            columns={
                "weekday_name": "Day",
                "period": "Period",
                "possible_lessons": "Possible lessons",
                "absent_lessons": "Lessons missed",
                "absence_rate": "Absence %",
            }
        )
        charts.show(fig, table, key="patterns_lessons_grid")

        subjects = common.cached(patterns.lesson_absence_by_subject, f)
        post = common.cached(patterns.post_registration_absence, f, "subject")
        left, right = st.columns(2)
        with left:
            if not common.is_empty_frame(subjects):
                fig = charts.bars(
                    subjects.sort_values("absence_rate", ascending=False),
                    "subject",
                    "absence_rate",
                    charts.chart_title("Lesson absence by subject", f, period),
                    y_title="Lessons missed %",
                    horizontal=True,
                )
                table = subjects.rename(
                    columns={
                        "subject": "Subject",
                        "pupils": "Pupils",
                        "possible_lessons": "Possible lessons",
                        "absent_lessons": "Lessons missed",
                        "late_lessons": "Late",
                        "average_minutes_late": "Average minutes late",
                        "absence_rate": "Absence %",
                        "lateness_rate": "Late %",
                    }
                )
                charts.show(fig, table, key="patterns_subjects")
        with right:
            if not common.is_empty_frame(post):
                fig = charts.bars(
                    post.sort_values("rate", ascending=False),
                    "subject",
                    "rate",
                    charts.chart_title("Missed after registering (post-registration absence)", f, period),
                    colour=charts.COMPARISON_COLOURS["group"],
                    y_title="Per 100 lessons present at registration",
                    horizontal=True,
                )
                table = post.rename(
                    columns={
                        "subject": "Subject",
                        "pupils": "Pupils",
                        "lessons_present_at_registration": "Lessons after being registered present",
                        "post_registration_absences": "Missed",
                        "rate": "Per 100",
                    }
                )
                charts.show(fig, table, key="patterns_post_registration")
                export.download_table(table, "post_registration_absence_by_subject")
