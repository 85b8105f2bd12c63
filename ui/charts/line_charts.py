"""Lines over time, with the half-terms shaded so the holidays show as gaps."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.charts.style import COMPARISON_COLOURS, COMPARISON_DASH, HALF_TERM_SHADES, kind_label, layout


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
    return layout(fig, title, height=400, y_title=y_title)


def shade_half_terms(fig: go.Figure, half_terms: pd.DataFrame | None) -> None:
    """Alternate light bands for half-terms with their names, so the holidays show as gaps."""
    if half_terms is None or half_terms.empty:
        return
    for i, row in enumerate(half_terms.itertuples(index=False)):
        fig.add_vrect(
            x0=row.start_date,
            x1=row.end_date,
            fillcolor=HALF_TERM_SHADES[i % 2],
            line_width=0,
            layer="below",
            annotation_text=getattr(row, "label", ""),
            annotation_position="top left",
            annotation_font_size=11,
            annotation_font_color="#555",
        )
