"""Charts that tell signal from noise: whiskers, pale bars within noise, funnels and control bands.

Built on the palette and layout of ``ui.charts``; ``analytics.uncertainty`` supplies the limits.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.filters import Filter
from ui.charts import (
    COMPARISON_COLOURS,
    COMPARISON_DASH,
    OKABE_ITO,
    WITHIN_NOISE_OPACITY,
    chart_title,
    group_against_rest,
    group_phrase,
    kind_label,
    layout,
    shade_half_terms,
)

INTERVAL_NOTE = (
    "Whiskers: 95% interval, with pupils (not sessions) as the unit. "
    "Solid bars differ from the rest of the school beyond chance; pale bars are within what chance explains."
)


def _num(series) -> pd.Series:
    return pd.to_numeric(pd.Series(series), errors="coerce")


def group_against_rest_with_intervals(
    shown: pd.DataFrame, column: str, title: str, y_title: str, beyond: str = "beyond_chance"
) -> go.Figure:
    """``group_against_rest`` with each group's 95% interval as a whisker, pale where within noise.

    ``shown`` is a ``groups.group_breakdown`` frame without its suppressed rows;
    ``{column}_low`` / ``_high`` hold the interval and ``beyond`` whether the
    group differs from the rest beyond chance.
    """
    fig = group_against_rest(shown, column, title, y_title)
    value = _num(shown[column]).to_numpy()
    low, high = _num(shown[f"{column}_low"]).to_numpy(), _num(shown[f"{column}_high"]).to_numpy()
    solid = [bool(b) if b is not None and b == b else False for b in shown[beyond]]
    for trace in fig.data:
        if trace.name == kind_label("group"):
            trace.error_x = dict(
                type="data",
                symmetric=False,
                array=(high - value).clip(min=0),
                arrayminus=(value - low).clip(min=0),
                color="#333333",
                thickness=1.5,
                width=4,
            )
            trace.marker.opacity = [1.0 if s else WITHIN_NOISE_OPACITY for s in solid]
            trace.customdata = [
                [f"{lo:.1f}", f"{hi:.1f}", "beyond chance" if s else "within noise"]
                for lo, hi, s in zip(low, high, solid, strict=True)
            ]
            trace.hovertemplate = (
                "%{y}: %{x:.1f} (95% interval %{customdata[0]} to %{customdata[1]}; %{customdata[2]})<extra></extra>"
            )
    return fig


def shown_groups(breakdown: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of a breakdown that may be drawn: not suppressed and with a figure."""
    shown = breakdown[~breakdown["suppressed"].astype(bool)]
    return shown[shown[column].notna()].reset_index(drop=True)


def breakdown_figure(
    breakdown: pd.DataFrame, by: str, f: Filter, period: str, label: str, column: str, beyond: str
) -> go.Figure | None:
    """A group breakdown as the Groups page and both packs draw it: each group against the rest (and
    national), whiskers for its 95% interval, pale within noise. None when no group may be shown.

    ``breakdown`` is ``groups.group_breakdown``'s frame; the chart's bars are
    ``shown_groups(breakdown, column)`` in order (a clicked bar's index is its row there).
    """
    shown = shown_groups(breakdown, column)
    if shown.empty:
        return None
    national = f"national_{column}"
    against = "each group, the rest, national" if shown[national].notna().any() else "each group and the rest"
    return group_against_rest_with_intervals(
        shown,
        column,
        chart_title(f"{label} by {group_phrase(by)}: {against}", f, period),
        y_title=f"{label} %",
        beyond=beyond,
    )


def changes_with_intervals(changes: pd.DataFrame, measure: str, title: str, x_title: str) -> go.Figure:
    """What changed most: one bar per group, rises vermillion and falls blue, whiskers, pale within noise.

    ``changes`` is a ``groups.biggest_changes`` frame with a ``name`` column for the bar labels.
    """
    change = _num(changes[f"{measure}_change"]).to_numpy()
    low = _num(changes[f"{measure}_change_low"]).to_numpy()
    high = _num(changes[f"{measure}_change_high"]).to_numpy()
    solid = [bool(b) if b is not None and b == b else False for b in changes[f"{measure}_beyond_chance"]]
    small = [bool(b) for b in changes["small_group"]]
    labels = [f"{n} (few pupils)" if s else str(n) for n, s in zip(changes["name"], small, strict=True)]
    colours = [COMPARISON_COLOURS["group"] if (v or 0) > 0 else COMPARISON_COLOURS["school"] for v in change]
    fig = go.Figure(
        go.Bar(
            x=change,
            y=labels,
            orientation="h",
            marker=dict(color=colours, opacity=[1.0 if s else WITHIN_NOISE_OPACITY for s in solid]),
            error_x=dict(
                type="data",
                symmetric=False,
                array=(high - change),
                arrayminus=(change - low),
                color="#333333",
                thickness=1.5,
                width=4,
            ),
            # No number at the bar's end: the whisker runs through it (the hover and the figures have it).
            customdata=[
                [f"{lo:+.1f}", f"{hi:+.1f}", "beyond chance" if s else "within noise"]
                for lo, hi, s in zip(low, high, solid, strict=True)
            ],
            hovertemplate="%{y}: %{x:+.1f} points (95% interval %{customdata[0]} to %{customdata[1]}; "
            "%{customdata[2]})<extra></extra>",
            name=x_title,
        )
    )
    fig.add_vline(x=0, line=dict(color="#888", width=1))
    layout(fig, title, height=max(300, 34 * len(changes) + 120), x_title=x_title)
    fig.update_yaxes(autorange="reversed")
    return fig


FUNNEL_POSITION_COLOURS = {"high": OKABE_ITO["vermillion"], "low": OKABE_ITO["blue"], "within": OKABE_ITO["grey"]}


def funnel(funnel_result: dict, title: str, x_title: str, y_title: str) -> go.Figure:
    """A funnel plot: each unit as a point (rate against size) inside its 95% and 99.8% control limits.

    ``funnel_result`` is ``groups.unit_funnel``'s dict. The points are the first
    trace, so a clicked point's ``point_index`` is its row in ``units``.
    """
    units, curve, target = funnel_result["units"], funnel_result["curve"], funnel_result["target"]
    fig = go.Figure()
    fig.add_scatter(
        x=units["size"],
        y=units["rate"],
        mode="markers+text",
        # Names only beside the units outside the limits: the rest are in the hover and the figures.
        text=[str(n) if p != "within" else "" for n, p in zip(units["label"], units["position"], strict=True)],
        textposition="top center",
        textfont=dict(size=11, color="#444"),
        marker=dict(
            size=11,
            color=[FUNNEL_POSITION_COLOURS.get(p, OKABE_ITO["grey"]) for p in units["position"]],
            line=dict(width=1, color="white"),
        ),
        customdata=units[["label", "enrolments", "position"]].to_numpy(),
        hovertemplate="%{customdata[0]}: %{y:.1f}% (%{customdata[1]} pupils; %{customdata[2]} the limits)"
        "<extra></extra>",
        name="Each unit",
    )
    for level, dash, name in (("95", "dash", "95% limits"), ("99_8", "dot", "99.8% limits")):
        for side in ("low", "high"):
            fig.add_scatter(
                x=curve["size"],
                y=curve[f"{side}_{level}"],
                mode="lines",
                line=dict(color="#555", dash=dash, width=1.5),
                name=name,
                showlegend=side == "low",
                legendgroup=level,
                hoverinfo="skip",
            )
    fig.add_hline(
        y=target,
        line=dict(color=COMPARISON_COLOURS["school"], width=2),
        annotation_text=f"School {target:.1f}%",
        annotation_position="bottom right",
    )
    layout(fig, title, height=460, y_title=y_title, x_title=x_title)
    return fig


def weekly_control(control: pd.DataFrame, title: str, half_terms: pd.DataFrame | None = None) -> go.Figure:
    """Weekly absence with its control limits (a band) and the same weeks last year; unusual weeks ringed.

    ``control`` is ``patterns.weekly_control``'s frame.
    """
    weeks = pd.to_datetime(control["week_start"])
    fig = go.Figure()
    fig.add_scatter(x=weeks, y=control["high"], mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False)
    fig.add_scatter(
        x=weeks,
        y=control["low"],
        mode="lines",
        line=dict(width=0),
        fill="tonexty",
        fillcolor="rgba(86, 180, 233, 0.18)",
        name="Ordinary week-to-week variation",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=weeks,
        y=control["centre"],
        mode="lines",
        line=dict(color="#777", width=1),
        name="This year's rate",
        hoverinfo="skip",
    )
    if control["last_year_absence_rate"].notna().any():
        fig.add_scatter(
            x=weeks,
            y=control["last_year_absence_rate"],
            mode="lines",
            line=dict(color=COMPARISON_COLOURS["last_year"], dash=COMPARISON_DASH["last_year"], width=2),
            name="Same week last year",
            hovertemplate="%{x|%d %b}: %{y:.1f}% last year<extra></extra>",
        )
    fig.add_scatter(
        x=weeks,
        y=control["absence_rate"],
        mode="lines+markers",
        line=dict(color=COMPARISON_COLOURS["school"], width=2.5),
        marker=dict(size=7),
        name="This year",
        hovertemplate="Week of %{x|%d %b %Y}: %{y:.1f}%<extra></extra>",
    )
    unusual = control[control["signal"].isin(["high", "low"])]
    if not unusual.empty:
        fig.add_scatter(
            x=pd.to_datetime(unusual["week_start"]),
            y=unusual["absence_rate"],
            mode="markers",
            marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(width=2.5, color=OKABE_ITO["vermillion"])),
            name="Beyond ordinary variation",
            hovertemplate="Week of %{x|%d %b %Y}: %{y:.1f}%, beyond ordinary variation<extra></extra>",
        )
    shade_half_terms(fig, half_terms)
    layout(fig, title, height=420, y_title="Absence %", x_title="Week beginning")
    fig.update_xaxes(tickformat="%d %b")
    return fig


def gap_over_year(trend: pd.DataFrame, measure: str, title: str, group_name: str, y_title: str) -> go.Figure:
    """A group's rate and the rest's period by period on a categorical axis (one point per half-term or month).

    ``trend`` is ``groups.group_gap_trend``'s frame; ``measure`` 'overall_absence' or 'persistent_absence'.
    """
    fig = go.Figure()
    x = trend["period"].astype(str)
    for column, kind, name in (
        (f"group_{measure}_rate", "group", group_name),
        (f"rest_{measure}_rate", "rest", "Rest of school"),
    ):
        fig.add_scatter(
            x=x,
            y=_num(trend[column]),
            mode="lines+markers",
            name=name,
            line=dict(color=COMPARISON_COLOURS[kind], width=2.5),
            marker=dict(size=9),
            hovertemplate="%{x}: %{y:.1f}%<extra>%{fullData.name}</extra>",
        )
    layout(fig, title, height=380, y_title=y_title)
    fig.update_xaxes(type="category")
    return fig
