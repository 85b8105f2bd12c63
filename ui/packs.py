"""Printable packs to take into a meeting: a termly review pack and a governors' pack.

Each pack is one self-contained HTML file: the charts (Plotly, with plotly.js
included once), the figures behind each chart in a table, the school, period
and filter, the date it was made and the DfE attribution. Print it or save it
as PDF from the browser.

The governors' pack is always built under a governor's scope
(``pupil_level=False``): the analytics refuse pupil-level rows, and it only
calls aggregate questions, so it holds no names, UPNs, dates of birth or rows
about one child; groups under 5 pupils are suppressed by ``analytics.groups``.
These functions take a connection and call analytics directly, so the command
line and tests can build a pack without Streamlit.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from analytics import groups, measures, national, patterns, school
from analytics.filters import GROUP_LABELS, Filter
from ui import charts, filters

OGL = (
    "National figures: Department for Education, Pupil attendance in schools. Contains public sector "
    "information licensed under the Open Government Licence v3.0."
)
HEADLINES = (
    ("attendance_rate", "Attendance"),
    ("overall_absence_rate", "Overall absence"),
    ("authorised_absence_rate", "Authorised absence"),
    ("unauthorised_absence_rate", "Unauthorised absence"),
    ("persistent_absence_rate", "Persistent absence"),
    ("severe_absence_rate", "Severe absence"),
)
GOVERNOR_GROUPS = ("fsm", "sen", "eal", "cin", "lac", "year_group", "gender")


@dataclass
class Section:
    title: str
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None
    note: str = ""


def governor_filter(f: Filter) -> Filter:
    """The same question under a governor's scope: no pupil-level rows, whatever the user's own role."""
    return f.replace(scope=replace(f.scope, pupil_level=False))


def headline_section(con, f: Filter) -> Section:
    now = measures.summary(con, f)
    prev = filters.previous_period(con, f)
    last = filters.same_point_last_year(con, f)
    before = measures.summary(con, prev[0]) if prev else {}
    a_year_ago = measures.summary(con, last) if last else {}
    phase = school.phase_of(con, f.school_ids[0]) if f.school_ids else None
    england = national.national_headline(phase or "all")
    table = pd.DataFrame(
        {
            "Measure": [label for _, label in HEADLINES],
            "This period %": [now.get(k) for k, _ in HEADLINES],
            (f"{prev[1]} %" if prev else "Last period %"): [before.get(k) for k, _ in HEADLINES],
            "Same point last year %": [a_year_ago.get(k) for k, _ in HEADLINES],
            f"National ({england['phase']}) %": [england.get(k) for k, _ in HEADLINES],
        }
    )
    plot = table.iloc[1:].rename(columns={"This period %": "school", f"National ({england['phase']}) %": "national"})
    fig = charts.grouped_bars(
        plot,
        "Measure",
        {"school": "school", "national": "national"},
        charts.chart_title("Absence measures: the school and national", f, filters.period_label(f)),
        y_title="%",
    )
    note = f"{now.get('pupils') or 0} pupils. National: {england['source']}, {england['period']}."
    return Section("Headline figures", fig, table.round(1), note)


def trend_section(con, f: Filter) -> Section | None:
    weekly = patterns.weekly_trend(con, f)
    if weekly is None or weekly.empty:
        return None
    plot = weekly.assign(
        week=pd.to_datetime(weekly["week_start"]) + pd.to_timedelta((weekly["series"] == "last year") * 364, unit="D")
    )
    wide = plot.pivot_table(index="week", columns="series", values="absence_rate").reset_index()
    wide.columns.name = None
    bounds = patterns.term_boundaries(con, f)
    bounds = bounds[bounds["academic_year"] == f.academic_year] if not bounds.empty else None
    fig = charts.lines(
        wide,
        "week",
        {"this year": "school", "last year": "last_year"},
        charts.chart_title("Overall absence week by week", f, filters.period_label(f)),
        y_title="Absence %",
        half_terms=bounds,
        names={"this year": "This year", "last year": "Last year"},
    )
    table = wide.rename(columns={"week": "Week beginning", "this year": "This year %", "last year": "Last year %"})
    table["Week beginning"] = table["Week beginning"].dt.strftime("%d/%m/%Y")
    return Section("Week by week", fig, table.round(1))


def group_section(con, f: Filter, by: str) -> Section | None:
    df = groups.group_breakdown(con, f, by)
    if df is None or df.empty:
        return None
    shown = df[~df["suppressed"].astype(bool)]
    fig = None
    if not shown.empty:
        fig = charts.group_against_rest(
            shown,
            "overall_absence_rate",
            charts.chart_title(f"Overall absence by {charts.group_phrase(by)}", f, filters.period_label(f)),
            y_title="Absence %",
        )
    table = df[
        [
            "label",
            "enrolments",
            "overall_absence_rate",
            "rest_overall_absence_rate",
            "overall_absence_gap",
            "national_overall_absence_rate",
            "persistent_absence_rate",
            "suppression_reason",
        ]
    ].rename(
        columns={
            "label": GROUP_LABELS[by],
            "enrolments": "Pupils",
            "overall_absence_rate": "Absence %",
            "rest_overall_absence_rate": "Rest %",
            "overall_absence_gap": "Gap (points)",
            "national_overall_absence_rate": "National %",
            "persistent_absence_rate": "Persistent absence %",
            "suppression_reason": "Not shown because",
        }
    )
    return Section(
        GROUP_LABELS[by],
        fig,
        table,
        "Groups of fewer than 5 pupils are not shown, nor the next smallest where subtraction would reveal them.",
    )


def weekday_section(con, f: Filter) -> Section | None:
    df = patterns.absence_by_weekday_session(con, f)
    if df is None or df.empty:
        return None
    fig = charts.heatmap(
        charts.weekday_grid(df, "absence_rate"),
        charts.chart_title("Overall absence by day and session", f, filters.period_label(f)),
        height=300,
    )
    table = df[["weekday_name", "session", "possible_sessions", "absence_rate", "lateness_rate"]].rename(
        columns={
            "weekday_name": "Day",
            "session": "Session",
            "possible_sessions": "Possible sessions",
            "absence_rate": "Absence %",
            "lateness_rate": "Late per 100",
        }
    )
    return Section("Days and sessions", fig, table.round(1))


def reasons_section(con, f: Filter) -> Section | None:
    df = patterns.reasons_over_time(con, f, "year")
    if df is None or df.empty:
        return None
    table = df.sort_values("sessions", ascending=False)[["code", "meaning", "category", "sessions", "rate"]].rename(
        columns={
            "code": "Code",
            "meaning": "Meaning",
            "category": "Category",
            "sessions": "Sessions",
            "rate": "Per 100 possible sessions",
        }
    )
    fig = charts.bars(
        table.head(10),
        "Code",
        "Per 100 possible sessions",
        charts.chart_title("The ten most used absence reasons", f, filters.period_label(f)),
        colours=[charts.CATEGORY_COLOURS.get(c, charts.OKABE_ITO["grey"]) for c in table.head(10)["Category"]],
        y_title="Sessions per 100",
        text_format=".2f",
    )
    return Section("Reasons for absence", fig, table.round(2), "Orange: authorised. Vermillion: unauthorised.")


def changes_section(con, f: Filter) -> Section | None:
    prev = filters.previous_period(con, f)
    if prev is None:
        return None
    df = groups.biggest_changes(con, f, prev[0])
    if df is None or df.empty:
        return None
    table = df[
        ["by_label", "label", "previous_overall_absence_rate", "current_overall_absence_rate", "overall_absence_change"]
    ].rename(
        columns={
            "by_label": "Group",
            "label": "Value",
            "previous_overall_absence_rate": f"Absence % ({prev[1]})",
            "current_overall_absence_rate": "Absence % (now)",
            "overall_absence_change": "Change (points)",
        }
    )
    return Section(f"What changed most since {prev[1]}", None, table.round(1))


def holidays_section(con, f: Filter) -> Section | None:
    df = patterns.holiday_effect(con, f.whole_year())
    if df is None or df.empty:
        return None
    table = df[["holiday", "side", "absence_rate", "overall_rate", "difference"]].rename(
        columns={
            "holiday": "Holiday",
            "side": "Before or after",
            "absence_rate": "Absence %",
            "overall_rate": "Other weeks %",
            "difference": "Difference (points)",
        }
    )
    return Section("Before and after holidays", None, table.round(1))


def governors_sections(con, f: Filter) -> list[Section]:
    g = governor_filter(f)
    parts = [headline_section(con, g), trend_section(con, g)]
    parts += [group_section(con, g, by) for by in GOVERNOR_GROUPS]
    parts += [weekday_section(con, g), reasons_section(con, g)]
    return [p for p in parts if p is not None]


def review_sections(con, f: Filter) -> list[Section]:
    parts = [headline_section(con, f), changes_section(con, f), trend_section(con, f)]
    parts += [group_section(con, f, by) for by in (*GOVERNOR_GROUPS, "form")]
    parts += [weekday_section(con, f), holidays_section(con, f), reasons_section(con, f)]
    return [p for p in parts if p is not None]


CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; margin-top: 2em; }
.meta { color: #444; } .note { color: #444; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #F2F4F7; }
section { page-break-inside: avoid; }
footer { margin-top: 3em; font-size: 0.85em; color: #444; border-top: 1px solid #ccc; padding-top: 1em; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-before: auto; } }
"""


def _table_html(df: pd.DataFrame) -> str:
    shown = df.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].round(1)
    return shown.to_html(index=False, na_rep="–", border=0, escape=True, float_format=lambda v: f"{v:.1f}")


def render_html(title: str, school_name: str, f: Filter, sections: list[Section], generated: datetime) -> str:
    """One printable HTML page: plotly.js once, then each section's chart and figures."""
    body = []
    first = True
    for s in sections:
        body.append(f"<section><h2>{html.escape(s.title)}</h2>")
        if s.figure is not None:
            body.append(s.figure.to_html(full_html=False, include_plotlyjs=first, config={"displaylogo": False}))
            first = False
        if s.table is not None and not s.table.empty:
            body.append(_table_html(s.table))
        if s.note:
            body.append(f'<p class="note">{html.escape(s.note)}</p>')
        body.append("</section>")
    meta = f"{school_name} · {filters.period_label(f)} · {f.describe()}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}: {html.escape(school_name)}</title>
<style>{CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="meta">{html.escape(meta)}</p>
<p class="meta">Generated {generated:%d %B %Y at %H:%M}. Figures follow the DfE's attendance methodology.</p>
{"".join(body)}
<footer><p>{html.escape(OGL)}</p></footer>
</body></html>"""


def governors_pack(con, f: Filter, generated: datetime | None = None) -> str:
    g = governor_filter(f)
    return render_html(
        "Attendance: governors' pack",
        filters.school_name(con, g),
        g,
        governors_sections(con, g),
        generated or datetime.now(),
    )


def review_pack(con, f: Filter, generated: datetime | None = None) -> str:
    return render_html(
        "Attendance: termly review pack",
        filters.school_name(con, f),
        f,
        review_sections(con, f),
        generated or datetime.now(),
    )
