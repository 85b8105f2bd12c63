"""Grids: the heatmap whose cells can be clicked (weekday x session and the like), and a pupil's calendar of marks."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go

from analytics.filters import WEEKDAYS
from ui.charts.style import ABSENCE_SCALE, OKABE_ITO, layout

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
