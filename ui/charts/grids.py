"""Grids: the heatmap whose cells can be clicked (weekday x session and the like), and a pupil's calendar of marks."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

from analytics.filters import WEEKDAYS
from ui.charts.style import ABSENCE_SCALE, CATEGORY_COLOURS, CATEGORY_LABELS, OKABE_ITO, layout

CELLS = "cells"  # the name of the see-through trace that makes a heatmap's cells selectable


def weekday_grid(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """A weekday x session frame (``absence_by_weekday_session``) as the AM/PM by Monday-Friday grid a heatmap draws."""
    grid = df.pivot_table(index="session", columns="weekday_name", values=value, aggfunc="first")
    return grid[[d for d in WEEKDAYS if d in grid.columns]]


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
        name=CELLS,
    )
    layout(fig, title, height=height)
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
    layout(fig, title, height=400)
    fig.update_yaxes(categoryorder="array", categoryarray=slots[::-1], gridcolor=None, showgrid=False)
    # Ticks on the Mondays the columns stand for ("week beginning"), every week or every few when many.
    mondays = sorted(df["week"].unique())
    step = max(1, -(-len(mondays) // 14))
    fig.update_xaxes(
        title="Week beginning", tickmode="array", tickvals=mondays[::step], tickformat="%d %b", showgrid=False
    )
    return fig
