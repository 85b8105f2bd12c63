"""What goes in each pack: its sections (a chart, its figures as text, a note) worked out once.

Every figure comes from ``analytics`` (the Overview's figures from
``analytics.overview``, the same call the Overview page makes); every chart
from the builders the pages use (``ui/charts/``, ``ui/headlines.py``). The
tables hold text ready to print: rates to one decimal, and every empty cell
says why ("not published", "—", the reason a small group is hidden).

The governors' pack is always built under a governor's scope
(``pupil_level=False``): the analytics refuse pupil-level rows, and it only
calls aggregate questions, so it holds no names or identifiers; small groups
are suppressed by ``analytics.groups``, and hidden cells say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from analytics import groups, national, overview, patterns, school
from analytics.filters import GROUP_LABELS, Filter
from ui import charts, headlines, noise_charts
from ui.packs import summary

OGL = (
    "National figures: Department for Education, Pupil attendance in schools. Contains public sector "
    "information licensed under the Open Government Licence v3.0."
)
GOVERNOR_GROUPS = ("fsm", "sen", "eal", "cin", "lac", "year_group", "gender")
REVIEW_GROUPS = (*GOVERNOR_GROUPS, "form")
MAX_CHARTED_GROUPS = 15  # more bars than this will not print legibly on one A4 page
TITLES = {"review": "Attendance: termly review pack", "governors": "Attendance: governors' pack"}


@dataclass
class Section:
    title: str
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None  # text cells, ready to print
    note: str = ""
    key: str = ""  # what the section is about ("headline", "trend", "group:fsm", ...)


@dataclass
class Pack:
    """A pack's content, rendered as PDF (``pdf.py``) and Word (``word.py``) alike."""

    kind: str  # 'review' or 'governors'
    title: str
    school: str
    period: str
    scope: str  # the filter described: 'Year 9, FSM, 2025/26'
    generated: datetime
    key_points: str
    questions: list[str]
    sections: list[Section] = field(default_factory=list)
    images: list[bytes | None] = field(default_factory=list)  # one per section, None where it has no chart
    image_format: str = ""  # 'svg' or 'png'
    images_note: str = ""  # why the charts are missing, when they are
    empty: bool = False  # no pupil matches the filter


def governor_filter(f: Filter) -> Filter:
    """The same question under a governor's scope: no pupil-level rows, whatever the user's own role."""
    return f.replace(scope=replace(f.scope, pupil_level=False))


def headline_section(h: overview.Headline, f: Filter, noise: pd.DataFrame | None = None) -> Section:
    fig = headlines.headline_figure(h, f, headlines.period_label(f))
    sentences = [headlines.noise_sentence(noise, "previous", h.hidden)]
    sentences.append(headlines.noise_sentence(noise, "last_year", h.hidden, ask=not sentences[0]))
    note = " ".join([headlines.headline_note(h), *[s for s in sentences if s]])
    return Section("Headline figures", fig, headlines.headline_table(h), note, "headline")


def trend_section(wc: overview.WeeklyComparison, f: Filter) -> Section | None:
    if wc.empty:
        return None
    fig = headlines.trend_figure(wc, f, headlines.period_label(f))
    return Section("Week by week", fig, headlines.trend_table(wc), "Last year's weeks are drawn 52 weeks on.", "trend")


def control_section(control: pd.DataFrame | None, wc: overview.WeeklyComparison, f: Filter) -> Section | None:
    """Is any week unusual? The Patterns page's control chart, with the same weeks last year."""
    if control is None or control.empty:
        return None
    fig = noise_charts.weekly_control(
        control,
        charts.chart_title("Is this week unusual? Weekly absence and its ordinary range", f, headlines.period_label(f)),
        None if wc.half_terms.empty else wc.half_terms,
    )
    table = headlines.weekly_control_table(control)
    return Section("Unusual weeks", fig, table, headlines.weekly_control_note(control), "control")


def changes_section(found: tuple[str, pd.DataFrame] | None, f: Filter) -> Section | None:
    if found is None or found[1] is None or found[1].empty:
        return None
    since, changes = found
    fig = headlines.changes_figure(changes, since, f, headlines.period_label(f))
    note = headlines.CHANGES_NOTE.format(size=groups.MIN_GROUP_SIZE)
    if not f.scope.pupil_level:
        note += f" Groups under {groups.MIN_GROUP_SIZE} pupils in either period are left out."
    return Section(f"What changed most since {since}", fig, headlines.changes_table(changes, since), note, "changes")


GROUP_COLUMNS = {
    "enrolments": "Pupils",
    "overall_absence_rate": "Absence %",
    "overall_absence_rate_low": "95% interval",
    "rest_overall_absence_rate": "Rest %",
    "overall_absence_gap": "Gap (points)",
    "beyond_chance": "Against the rest",
    "national_overall_absence_rate": "National %",
    "persistent_absence_rate": "Persistent absence %",
}


def group_table(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """A breakdown as text: a hidden figure is "—" with the reason beside it; no national figure says so."""
    rows = []
    for r in df.to_dict("records"):
        hidden = bool(r.get("suppressed"))
        row = {GROUP_LABELS[by]: str(r["label"])}
        for column, heading in GROUP_COLUMNS.items():
            value = r.get(column)
            if column == "enrolments":
                row[heading] = headlines.count(value)
            elif column.endswith("_low"):
                row[heading] = headlines.interval(value, r.get(column.removesuffix("_low") + "_high"))
            elif column == "beyond_chance":
                row[heading] = headlines.noise_word(value)
            elif column.startswith("national_") and not hidden:
                row[heading] = headlines.number(value, headlines.NOT_PUBLISHED)
            else:
                row[heading] = headlines.number(value)
        reason = r.get("suppression_reason")
        row["Not shown because"] = "" if headlines.is_missing(reason) else str(reason)
        rows.append(row)
    table = pd.DataFrame(rows)
    if "national_overall_absence_rate" not in df or df["national_overall_absence_rate"].isna().all():
        table = table.drop(columns=[GROUP_COLUMNS["national_overall_absence_rate"]])  # the note says why
    return table


def group_section(df: pd.DataFrame | None, f: Filter, by: str) -> Section | None:
    if df is None or df.empty:
        return None
    shown = noise_charts.shown_groups(df, "overall_absence_rate")
    fig = None
    note = (
        f"{noise_charts.INTERVAL_NOTE} Groups of fewer than {groups.MIN_GROUP_SIZE} pupils are not shown, "
        "nor the next smallest where subtraction would reveal them."
    )
    if len(shown) > MAX_CHARTED_GROUPS:
        note += f" With {len(shown)} groups the figures are in the table only: a chart would not be legible on paper."
    else:  # the Groups page's chart: whiskers, pale bars within noise
        fig = noise_charts.breakdown_figure(
            df, by, f, headlines.period_label(f), "Overall absence", "overall_absence_rate", "beyond_chance"
        )
    table = group_table(df, by)
    if GROUP_COLUMNS["national_overall_absence_rate"] not in table:
        note += " " + national.no_national_figure(by)
    return Section(GROUP_LABELS[by], fig, table, note, f"group:{by}")


def weekday_section(df: pd.DataFrame | None, f: Filter) -> Section | None:
    if df is None or df.empty:
        return None
    fig = charts.heatmap(
        charts.weekday_grid(df, "absence_rate"),
        charts.chart_title("Overall absence by day and session", f, headlines.period_label(f)),
        height=320,
    )
    table = pd.DataFrame(
        {
            "Day": df["weekday_name"],
            "Session": df["session"],
            "Possible sessions": [headlines.count(v) for v in df["possible_sessions"]],
            "Absence %": [headlines.number(v) for v in df["absence_rate"]],
            "Late per 100": [headlines.number(v) for v in df["lateness_rate"]],
        }
    )
    return Section("Days and sessions", fig, table, "", "weekday")


def reasons_section(df: pd.DataFrame | None, f: Filter) -> Section | None:
    if df is None or df.empty:
        return None
    df = df.sort_values("sessions", ascending=False)
    top = df.head(10)
    fig = charts.bars(
        top.assign(label=top["code"].astype(str)),
        "label",
        "rate",
        charts.chart_title("The ten most used absence reasons", f, headlines.period_label(f)),
        colours=[charts.CATEGORY_COLOURS.get(c, charts.OKABE_ITO["grey"]) for c in top["category"]],
        y_title="Sessions per 100",
        text_format=".2f",
    )
    table = pd.DataFrame(
        {
            "Code": df["code"].astype(str),
            "Meaning": df["meaning"].fillna("—").astype(str),
            "Category": df["category"].fillna("—").astype(str).str.replace("_", " "),
            "Sessions": [headlines.count(v) for v in df["sessions"]],
            "Per 100 possible sessions": ["—" if headlines.is_missing(v) else f"{v:.2f}" for v in df["rate"]],
        }
    )
    return Section("Reasons for absence", fig, table, "Orange: authorised. Vermillion: unauthorised.", "reasons")


def holidays_section(df: pd.DataFrame | None) -> Section | None:
    if df is None or df.empty:
        return None
    table = pd.DataFrame(
        {
            "Holiday": df["holiday"].astype(str),
            "Before or after": df["side"].astype(str),
            "Absence %": [headlines.number(v) for v in df["absence_rate"]],
            "Other weeks %": [headlines.number(v) for v in df["overall_rate"]],
            "Difference (points)": [headlines.points(round(v, 1) + 0.0).replace(" pts", "") for v in df["difference"]],
        }
    )
    return Section("Before and after holidays", None, table, "The five school days either side of each holiday.")


def _pack(kind: str, con, f: Filter, school: str, generated: datetime | None) -> Pack:
    """Work out every figure once, then word it: sections, key points and questions."""
    h = overview.headline(con, f)
    wc = overview.weekly_comparison(con, f)
    found = overview.changes_since_previous(con, f) if kind == "review" else None
    bys = REVIEW_GROUPS if kind == "review" else GOVERNOR_GROUPS
    breakdowns = {by: groups.group_breakdown(con, f, by) for by in bys}
    weekdays = patterns.absence_by_weekday_session(con, f)
    reasons = patterns.reasons_over_time(con, f, "year")
    noise = None if h.empty else overview.headline_noise(con, f)
    parts = [headline_section(h, f, noise)]
    if kind == "review":
        parts.append(changes_section(found, f))
    parts.append(trend_section(wc, f))
    if kind == "review":
        parts.append(control_section(patterns.weekly_control(con, f), wc, f))
    parts += [group_section(breakdowns[by], f, by) for by in bys]
    parts.append(weekday_section(weekdays, f))
    if kind == "review":
        parts.append(holidays_section(patterns.holiday_effect(con, f.whole_year())))
    parts.append(reasons_section(reasons, f))
    facts = summary.Facts(h, wc, breakdowns, weekdays, reasons, found)
    return Pack(
        kind=kind,
        title=TITLES[kind],
        school=school,
        period=headlines.period_label(f),
        scope=f.describe(),
        generated=generated or datetime.now(),
        key_points=summary.key_points(facts, f),
        questions=summary.questions(facts, f),
        sections=[p for p in parts if p is not None],
        empty=h.empty,
    )


def review_pack(con, f: Filter, generated: datetime | None = None) -> Pack:
    return _pack("review", con, f, school.school_name(con, f), generated)


def governors_pack(con, f: Filter, generated: datetime | None = None) -> Pack:
    g = governor_filter(f)
    return _pack("governors", con, g, school.school_name(con, g), generated)
