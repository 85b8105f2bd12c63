"""One colour-blind-safe palette and the chart builders every page uses.

Colours come from Okabe and Ito's palette, which stays distinguishable for the
common kinds of colour blindness. Each attendance category and each comparison
has one fixed colour, so "unauthorised" is the same vermillion on every page
and in every pack. Every chart carries a title saying what it shows, for which
pupils and over which period, and is followed by its figures in a table for
screen-reader users.
"""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.filters import GROUP_LABELS, WEEKDAYS, Filter
from ui import tables

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
CATEGORY_COLOURS = {
    "present": OKABE_ITO["green"],
    "approved_activity": OKABE_ITO["sky_blue"],
    "authorised": OKABE_ITO["orange"],
    "unauthorised": OKABE_ITO["vermillion"],
    "not_possible": "#C8C8C8",
    "missing": OKABE_ITO["purple"],
}
CATEGORY_LABELS = {
    "present": "Present",
    "approved_activity": "Approved activity",
    "authorised": "Authorised absence",
    "unauthorised": "Unauthorised absence",
    "not_possible": "Not a possible session",
    "missing": "Missing mark",
}
COMPARISON_COLOURS = {
    "school": OKABE_ITO["blue"],
    "group": OKABE_ITO["vermillion"],
    "rest": OKABE_ITO["sky_blue"],
    "national": OKABE_ITO["black"],
    "last_year": OKABE_ITO["grey"],
}
COMPARISON_DASH = {"national": "dash", "last_year": "dot"}
# Sequential scale for "more absence is darker": one hue, so it reads without colour vision too.
ABSENCE_SCALE = [[0.0, "#F7FBFF"], [0.35, "#9ECAE1"], [0.7, OKABE_ITO["blue"]], [1.0, "#08306B"]]
FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=14, color="#1A1A1A")


def chart_title(what: str, f: Filter | None, period: str | None = None) -> str:
    """'What, for whom, when': the headline plus the filter and period underneath."""
    if f is None:
        return what
    parts = [f.describe()]
    if period and period.lower() not in parts[0].lower():
        parts.append(period)
    return f"{what}<br><sup>{', '.join(parts)}</sup>"


def plain_title(title: str) -> str:
    """A chart title without its HTML, for table captions and alt text."""
    return title.replace("<br><sup>", " — ").replace("</sup>", "")


def _layout(fig: go.Figure, title: str, height: int = 380, y_title: str | None = None, x_title: str | None = None):
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=17)),
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=70, b=10),
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        hoverlabel=dict(font_size=14),
    )
    fig.update_xaxes(title=x_title, showgrid=False, linecolor="#888")
    fig.update_yaxes(title=y_title, gridcolor="#E5E5E5", zeroline=False)
    return fig


def bars(
    df: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    colour: str = COMPARISON_COLOURS["school"],
    colours: list[str] | None = None,
    reference: float | None = None,
    reference_label: str = "National",
    y_title: str | None = None,
    text_format: str = ".1f",
    horizontal: bool = False,
    customdata: list[str] | None = None,
) -> go.Figure:
    """One bar per row, optionally with a dashed reference line (the national figure)."""
    values = df[y]
    labels = df[x].astype(str)
    bar = go.Bar(
        x=values if horizontal else labels,
        y=labels if horizontal else values,
        orientation="h" if horizontal else "v",
        marker_color=colours or colour,
        text=[None if pd.isna(v) else format(v, text_format) for v in values],
        textposition="outside",
        cliponaxis=False,
        customdata=df[customdata].to_numpy() if customdata else None,
        hovertemplate=("%{y}: %{x:" if horizontal else "%{x}: %{y:") + text_format + "}<extra></extra>",
        name=y_title or y,
    )
    fig = go.Figure(bar)
    if reference is not None:
        line = dict(color=COMPARISON_COLOURS["national"], dash="dash", width=2)
        if horizontal:
            fig.add_vline(x=reference, line=line, annotation_text=f"{reference_label} {reference:{text_format}}")
        else:
            fig.add_hline(y=reference, line=line, annotation_text=f"{reference_label} {reference:{text_format}}")
    height = max(300, 34 * len(df) + 120) if horizontal else 380
    _layout(fig, title, height=height, y_title=None if horizontal else y_title, x_title=y_title if horizontal else None)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return fig


def grouped_bars(
    df: pd.DataFrame, x: str, series: dict[str, str], title: str, y_title: str | None = None, horizontal: bool = False
) -> go.Figure:
    """Several bars per row, one per comparison (``series`` maps a column to a COMPARISON_COLOURS key)."""
    fig = go.Figure()
    labels = df[x].astype(str)
    for column, kind in series.items():
        if column not in df:
            continue
        values = df[column]
        fig.add_bar(
            x=values if horizontal else labels,
            y=labels if horizontal else values,
            orientation="h" if horizontal else "v",
            name=kind_label(kind),
            marker_color=COMPARISON_COLOURS.get(kind, kind),
            marker_pattern_shape="/" if kind == "national" else None,
            hovertemplate="%{fullData.name}: %{" + ("x" if horizontal else "y") + ":.1f}<extra></extra>",
        )
    fig.update_layout(barmode="group")
    height = max(320, 44 * len(df) + 140) if horizontal else 400
    _layout(fig, title, height=height, y_title=None if horizontal else y_title, x_title=y_title if horizontal else None)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return fig


def weekday_grid(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """A weekday x session frame (``absence_by_weekday_session``) as the AM/PM by Monday-Friday grid a heatmap draws."""
    grid = df.pivot_table(index="session", columns="weekday_name", values=value, aggfunc="first")
    return grid[[d for d in WEEKDAYS if d in grid.columns]]


def group_phrase(by: str) -> str:
    """How a breakdown reads inside a title: "by FSM", "by year group"."""
    return GROUP_LABELS[by] if by in ("fsm", "sen", "eal") else GROUP_LABELS[by].lower()


def group_against_rest(shown: pd.DataFrame, column: str, title: str, y_title: str) -> go.Figure:
    """Each group's ``column`` beside the rest of the school and, where one exists, the national figure.

    ``shown`` is a ``groups.group_breakdown`` frame without its suppressed rows.
    """
    plot = pd.DataFrame(
        {
            "label": shown["label"].astype(str),
            "group": pd.to_numeric(shown[column], errors="coerce"),
            "rest": pd.to_numeric(shown[f"rest_{column}"], errors="coerce"),
            "national": pd.to_numeric(shown[f"national_{column}"], errors="coerce"),
        }
    )
    series = {"group": "group", "rest": "rest"}
    if plot["national"].notna().any():
        series["national"] = "national"
    return grouped_bars(plot, "label", series, title, y_title=y_title, horizontal=True)


def kind_label(kind: str) -> str:
    return {
        "school": "School",
        "group": "Group",
        "rest": "Rest of school",
        "national": "National",
        "last_year": "Last year",
    }.get(kind, kind)


def lines(
    df: pd.DataFrame,
    x: str,
    series: dict[str, str],
    title: str,
    y_title: str | None = None,
    half_terms: pd.DataFrame | None = None,
    names: dict[str, str] | None = None,
) -> go.Figure:
    """Lines over time (``series`` maps a column to a comparison kind), half-terms shaded and labelled."""
    fig = go.Figure()
    for column, kind in series.items():
        if column not in df:
            continue
        fig.add_scatter(
            x=df[x],
            y=df[column],
            mode="lines" if kind == "national" else "lines+markers",  # a flat reference line needs no markers
            name=(names or {}).get(column) or kind_label(kind),
            line=dict(color=COMPARISON_COLOURS.get(kind, kind), dash=COMPARISON_DASH.get(kind), width=2.5),
            marker=dict(size=7),
            hovertemplate="%{x|%d %b %Y}: %{y:.1f}<extra>%{fullData.name}</extra>",
        )
    shade_half_terms(fig, half_terms)
    return _layout(fig, title, height=400, y_title=y_title)


def shade_half_terms(fig: go.Figure, half_terms: pd.DataFrame | None) -> None:
    """Alternate light bands for half-terms with their names, so the holidays show as gaps."""
    if half_terms is None or half_terms.empty:
        return
    for i, row in enumerate(half_terms.itertuples(index=False)):
        fig.add_vrect(
            x0=row.start_date,
            x1=row.end_date,
            fillcolor="#E8EEF5" if i % 2 == 0 else "#F4F6F9",
            line_width=0,
            layer="below",
            annotation_text=getattr(row, "label", ""),
            annotation_position="top left",
            annotation_font_size=11,
            annotation_font_color="#555",
        )


def heatmap(
    z: pd.DataFrame,
    title: str,
    colour_title: str = "Absence %",
    text_format: str = ".1f",
    zmin: float | None = 0,
    hover: str = "%{y} %{x}: %{z:.1f}%",
    height: int = 340,
) -> go.Figure:
    """A grid (rows x columns of a pivoted frame) with its values written in the cells; a click selects a cell.

    Plotly cannot select a heatmap cell (the heatmap trace has no point
    selection), so a see-through marker sits on every cell centre and carries
    the hover label: hovering and clicking land on the marker, which Streamlit
    reports as a selected point with the cell's ``x`` (column) and ``y`` (row).
    ``hoverdistance=-1`` makes the nearest cell centre win anywhere in the
    grid, so a click near a cell's edge still picks that cell.
    """
    values = z.to_numpy()
    text = [[("" if pd.isna(v) else format(v, text_format)) for v in row] for row in values]
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=[str(c) for c in z.columns],
            y=[str(i) for i in z.index],
            colorscale=ABSENCE_SCALE,
            zmin=zmin,
            text=text,
            texttemplate="%{text}",
            hoverinfo="skip",
            colorbar=dict(title=colour_title),
            xgap=2,
            ygap=2,
        )
    )
    cells = [(str(c), str(i), z.at[i, c]) for i in z.index for c in z.columns]
    # The caller's hover template speaks of %{z}; on the marker the cell's value is its pre-formatted customdata.
    spec = re.search(r"%\{z(?::([^}]*))?\}", hover)
    value_format = (spec.group(1) if spec and spec.group(1) else text_format).rstrip("%")
    marker_hover = re.sub(r"%\{z(?::[^}]*)?\}", "%{customdata}", hover)
    fig.add_scatter(
        x=[c[0] for c in cells],
        y=[c[1] for c in cells],
        customdata=["no figure" if pd.isna(c[2]) else format(c[2], value_format) for c in cells],
        mode="markers",
        marker=dict(symbol="square", size=30, opacity=0.01, color="white"),
        selected=dict(marker=dict(opacity=0.25, color=OKABE_ITO["black"])),
        unselected=dict(marker=dict(opacity=0.01)),
        hovertemplate=marker_hover + "<extra></extra>",
        showlegend=False,
        name="cells",
    )
    _layout(fig, title, height=height)
    fig.update_layout(hoverdistance=-1)
    fig.update_yaxes(autorange="reversed", gridcolor=None)
    return fig


def category_calendar(marks: pd.DataFrame, title: str) -> go.Figure:
    """Every session of a pupil: one square per mark, coloured by category, hover shows code and meaning.

    ``marks`` needs ``date``, ``session``, ``category``, ``code`` and ``meaning``.
    Columns are school weeks, rows are the ten sessions of a week.
    """
    df = marks.copy()
    dates = pd.to_datetime(df["date"])
    df["week"] = (dates - pd.to_timedelta(dates.dt.weekday, unit="D")).dt.date
    df["slot"] = dates.dt.strftime("%a") + " " + df["session"].astype(str)
    slots = [f"{d} {s}" for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for s in ("AM", "PM")]
    fig = go.Figure()
    for category, colour in CATEGORY_COLOURS.items():
        part = df[df["category"] == category]
        if part.empty:
            continue
        fig.add_scatter(
            x=part["week"],
            y=part["slot"],
            mode="markers+text",
            name=CATEGORY_LABELS[category],
            marker=dict(symbol="square", size=15, color=colour, line=dict(width=0.5, color="white")),
            # The mark's own letter on its square: colour alone does not say which code (and not to everyone).
            text=part["code"].fillna("").astype(str),
            textfont=dict(size=9, color="white" if category in ("unauthorised", "missing") else "#1A1A1A"),
            textposition="middle center",
            customdata=part[["code", "meaning"]]
            .fillna("–")
            .assign(day=pd.to_datetime(part["date"]).dt.strftime("%a %d %b %Y"))
            .to_numpy(),
            hovertemplate="%{customdata[2]} %{y}<br>Code %{customdata[0]}: %{customdata[1]}<extra></extra>",
        )
    _layout(fig, title, height=400)
    fig.update_yaxes(categoryorder="array", categoryarray=slots[::-1], gridcolor=None, showgrid=False)
    # Ticks on the Mondays the columns stand for ("week beginning"), every week or every few when many.
    mondays = sorted(df["week"].unique())
    step = max(1, -(-len(mondays) // 14))
    fig.update_xaxes(
        title="Week beginning", tickmode="array", tickvals=mondays[::step], tickformat="%d %b", showgrid=False
    )
    return fig


def show(
    fig: go.Figure,
    figures: pd.DataFrame | None,
    key: str,
    selectable: bool = False,
    caption: str | None = None,
):
    """Draw a chart and its figures; returns the selection state when the chart is selectable.

    The figures sit in a collapsed "Figures" expander directly under the chart,
    so a screen reader (and anyone who wants the exact numbers) has them.
    """
    title = fig.layout.title.text or ""
    kwargs = dict(key=key, config={"displaylogo": False}, alt=plain_title(title))
    if selectable and _is_heatmap(fig):
        # A heatmap's clicked cell is remembered beside the chart and outlined on it: drawing the outline
        # changes the figure, which gives Streamlit a new chart that has forgotten its own selection.
        cell = st.session_state.get(cell_key(key))
        if cell and not outline_cell(fig, cell["x"], cell["y"]):
            cell = None  # no longer on the grid (other filters): nothing selected
        st.plotly_chart(fig, on_select=lambda: _remember_cell(key), selection_mode=("points",), **kwargs)
        event = {"selection": {"points": [cell] if cell else []}}
    elif selectable:
        event = st.plotly_chart(fig, on_select="rerun", selection_mode=("points",), **kwargs)
    else:
        st.plotly_chart(fig, **kwargs)
        event = None
    if caption:
        st.caption(caption)
    if figures is not None and not figures.empty:
        with st.expander(f"Figures: {plain_title(title)}"):
            st.dataframe(tables.readable(figures), hide_index=True, width="stretch")
    return event


def cell_key(key: str) -> str:
    """Where the cell clicked on the heatmap ``key`` is kept in the session ({"x": column, "y": row})."""
    return f"{key}_cell"


def _is_heatmap(fig: go.Figure) -> bool:
    return len(fig.data) > 1 and fig.data[0].type == "heatmap" and fig.data[1].name == "cells"


def _remember_cell(key: str) -> None:
    """The chart's selection changed (a click): keep the clicked cell; a second click on it (or a cleared
    selection) forgets it, which closes its list of pupils."""
    points = selected_points(st.session_state.get(key))
    cell = {"x": str(points[0]["x"]), "y": str(points[0]["y"])} if points else None
    st.session_state[cell_key(key)] = None if cell == st.session_state.get(cell_key(key)) else cell


def outline_cell(fig: go.Figure, x: str, y: str) -> bool:
    """Outline the cell in column ``x`` and row ``y`` of a ``heatmap`` figure; False when there is no such cell."""
    columns, rows = [str(c) for c in fig.data[0].x], [str(r) for r in fig.data[0].y]
    if x not in columns or y not in rows:
        return False
    i, j = columns.index(x), rows.index(y)
    fig.add_shape(
        type="rect",
        xref="x",
        yref="y",
        x0=i - 0.5,
        x1=i + 0.5,
        y0=j - 0.5,
        y1=j + 0.5,
        line=dict(color=OKABE_ITO["orange"], width=4),  # seen on the palest cell and the darkest
        fillcolor="rgba(0,0,0,0)",
        layer="above",
        name="selected cell",
    )
    return True


def selected_points(event) -> list[dict]:
    """The points a user clicked in a selectable chart (empty when nothing is selected)."""
    if event is None:
        return []
    selection = event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    if not selection:
        return []
    points = selection.get("points") if isinstance(selection, dict) else getattr(selection, "points", None)
    return list(points or [])


__all__ = ["CATEGORY_COLOURS", "COMPARISON_COLOURS", "OKABE_ITO", "bars", "chart_title", "heatmap", "show"]
