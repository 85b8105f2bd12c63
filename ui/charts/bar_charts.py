"""Bar charts: one bar per row with a national reference line, and bars side by side for comparisons."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.charts.style import COMPARISON_COLOURS, kind_label, layout


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
    layout(fig, title, height=height, y_title=None if horizontal else y_title, x_title=y_title if horizontal else None)
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
    layout(fig, title, height=height, y_title=None if horizontal else y_title, x_title=y_title if horizontal else None)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return fig


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
