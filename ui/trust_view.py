"""How the trust view shows its figures: the side-by-side table, the funnel and the trends (pages/trust.py).

Headings and sentences only; the numbers come from ``analytics.trust``.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from data.db import academic_year_label
from ui import charts, common, tables

MEASURE_LABELS = {
    "overall_absence_rate": "Overall absence %",
    "persistent_absence_rate": "Persistent absence %",
}
TABLE_COLUMNS = {
    "name": "School",
    "school_id": "URN",
    "phase": "Phase",
    "la_name": "Local authority",
    "enrolments": "Pupils",
    "attendance_rate": "Attendance %",
    "overall_absence_rate": "Absence %",
    "national_overall_absence_rate": "National absence %",
    "la_overall_absence_rate": "LA absence %",
    "persistent_absence_rate": "Persistent absence %",
    "national_persistent_absence_rate": "National PA %",
    "la_persistent_absence_rate": "LA PA %",
    "severe_absence_rate": "Severe absence %",
    "fsm_gap": "FSM gap (pts)",
    "sen_gap": "SEN gap (pts)",
    "eal_gap": "EAL gap (pts)",
    "cin_gap": "CiN gap (pts)",
    "lac_gap": "LAC gap (pts)",
    "last_year_overall_absence_rate": "Absence last year %",
    "change": "Change (pts)",
}
VERDICTS = {
    "higher": "Higher than its size explains",
    "lower": "Lower than its size explains",
    "higher (95%)": "Higher (95% line only)",
    "lower (95%)": "Lower (95% line only)",
    "within": "Within what its size explains",
}


def school_label(row) -> str:
    where = f", {row['la_name']}" if isinstance(row.get("la_name"), str) and row.get("la_name") else ""
    return f"{row['name']} ({row['school_id']}{where})"


def headline(trust: dict, schools: pd.DataFrame) -> None:
    """The pooled figures of the schools shown, as four metrics."""
    cols = st.columns(4)
    cols[0].metric("Schools", len(schools))
    cols[1].metric("Attendance", common.pct(trust.get("attendance_rate")))
    cols[2].metric("Persistent absence", common.pct(trust.get("persistent_absence_rate")))
    cols[3].metric("Severe absence", common.pct(trust.get("severe_absence_rate")))


# Why a cell of the side-by-side table is empty.
BLANKS = {
    "Local authority": "not recorded",
    "LA absence %": "no LA figure",
    "LA PA %": "no LA figure",
    "Absence last year %": "no marks last year",
    "Change (pts)": "no marks last year",
    **{TABLE_COLUMNS[f"{g}_gap"]: "group under 5" for g in ("fsm", "sen", "eal", "cin", "lac")},
}


def side_by_side(schools: pd.DataFrame) -> pd.DataFrame:
    """The table with people's headings, rates rounded to one place, every empty cell saying why."""
    table = schools[[c for c in TABLE_COLUMNS if c in schools.columns]].rename(columns=TABLE_COLUMNS)
    numeric = [c for c in table.columns if c not in ("School", "URN", "Phase", "Local authority", "Pupils")]
    table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce").round(1)
    return tables.readable(table, BLANKS)


def funnel_figure(funnel: dict, title: str) -> go.Figure:
    """Each school's rate against its number of pupils, inside the limits its size would explain."""
    curve, points = funnel["curve"], funnel["points"]
    fig = go.Figure()
    for column, dash, label in (
        ("upper998", "dash", "99.8% limits"),
        ("lower998", "dash", None),
        ("upper95", "dot", "95% limits"),
        ("lower95", "dot", None),
    ):
        fig.add_scatter(
            x=curve["enrolments"],
            y=curve[column],
            mode="lines",
            line=dict(color=charts.OKABE_ITO["grey"], dash=dash, width=1.5),
            name=label or column,
            showlegend=label is not None,
            hoverinfo="skip",
        )
    fig.add_hline(
        y=funnel["trust_rate"],
        line=dict(color=charts.OKABE_ITO["black"], width=2),
        annotation_text=f"All schools {funnel['trust_rate']:.1f}",
    )
    beyond = points["verdict"].isin(["higher", "lower"])
    for mask, colour, symbol, name in (
        (~beyond, charts.OKABE_ITO["blue"], "circle", "School"),
        (beyond, charts.OKABE_ITO["vermillion"], "diamond", "Beyond the 99.8% limits"),
    ):
        shown = points[mask]
        if shown.empty:
            continue
        fig.add_scatter(
            x=shown["enrolments"],
            y=shown["rate"],
            mode="markers+text",
            text=shown["name"],
            textposition="top center",
            marker=dict(color=colour, size=12, symbol=symbol, line=dict(color="white", width=1)),
            customdata=shown[["school_id"]].to_numpy(),
            hovertemplate="%{text}: %{y:.1f} (%{x} pupils)<extra></extra>",
            name=name,
        )
    label = MEASURE_LABELS[funnel["measure"]]
    charts.layout(fig, title, height=460, y_title=label, x_title="Pupils (enrolments in the period)")
    return fig


def clicked_school(points: list[dict], schools: pd.DataFrame) -> tuple[str, str] | None:
    """The school (id, name) of a clicked funnel point; None for a click on a line or on nothing.

    Each school's point carries its id as ``customdata`` (``funnel_figure``).
    """
    names = dict(zip(schools["school_id"], schools["name"], strict=True))
    for point in points:
        data = point.get("customdata")
        school_id = data[0] if isinstance(data, list | tuple) and data else data
        if school_id in names:
            return str(school_id), str(names[school_id])
    return None


def funnel_table(funnel: dict) -> pd.DataFrame:
    points = funnel["points"].copy()
    points["verdict"] = points["verdict"].map(VERDICTS)
    table = points.rename(
        columns={
            "name": "School",
            "school_id": "URN",
            "enrolments": "Pupils",
            "rate": "Rate %",
            "lower95": "95% lower",
            "upper95": "95% upper",
            "lower998": "99.8% lower",
            "upper998": "99.8% upper",
            "verdict": "Against the trust",
        }
    )
    numeric = table.select_dtypes("number").columns.drop("Pupils", errors="ignore")
    table[numeric] = table[numeric].astype(float).round(1)
    return tables.readable(table)


def trend_table(trend: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    table = trend.assign(school=trend["school_id"].map(names)).rename(
        columns={
            "school": "School",
            "school_id": "URN",
            "academic_year": "Year",
            "enrolments": "Pupils",
            "overall_absence_rate": "Absence %",
            "persistent_absence_rate": "Persistent absence %",
        }
    )
    table = table[["School", "URN", "Year", "Pupils", "Absence %", "Persistent absence %"]]
    return tables.readable(table.round(1))


def trend_figure(trend: pd.DataFrame, names: dict[str, str], title: str) -> go.Figure:
    fig = go.Figure()
    palette = [v for k, v in charts.OKABE_ITO.items() if k not in ("yellow", "grey")]
    for i, (sid, rows) in enumerate(trend.groupby("school_id", sort=True)):
        fig.add_scatter(
            x=[academic_year_label(int(y)) for y in rows["academic_year"]],
            y=rows["overall_absence_rate"],
            mode="lines+markers",
            name=names.get(sid, sid),
            line=dict(color=palette[i % len(palette)], width=2),
        )
    charts.layout(fig, title, y_title="Overall absence %")
    return fig


def drill(schools: pd.DataFrame, overview_path: str) -> None:
    """Open one school's own pages: the sidebar's school filter is set to it."""
    labels = {r["school_id"]: school_label(r) for r in schools.to_dict("records")}
    chosen = st.selectbox("Open a school's own pages", list(labels), format_func=labels.get, key="trust_drill")
    if st.button("Open its overview", icon=":material/arrow_forward:", key="trust_drill_go") and chosen:
        st.switch_page(overview_path, query_params={"school": chosen})
