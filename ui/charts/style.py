"""The house style every chart shares: the colour-blind-safe palette, fonts, titles and layout.

Colours come from Okabe and Ito's palette, which stays distinguishable for the
common kinds of colour blindness. Each attendance category and each comparison
has one fixed colour, so "unauthorised" is the same vermillion on every page
and in every pack.
"""

from __future__ import annotations

import plotly.graph_objects as go

from analytics.filters import GROUP_LABELS, Filter

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
WITHIN_NOISE_OPACITY = 0.35  # a group within what chance explains is drawn pale: same hue, less ink
HALF_TERM_SHADES = ("#E8EEF5", "#F4F6F9")  # alternate half-terms' bands behind a chart over time
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


def group_phrase(by: str) -> str:
    """How a breakdown reads inside a title: "by FSM", "by year group"."""
    return GROUP_LABELS[by] if by in ("fsm", "sen", "eal") else GROUP_LABELS[by].lower()


def kind_label(kind: str) -> str:
    """A comparison's name in a legend: "school" -> "School", "rest" -> "Rest of school"."""
    return {
        "school": "School",
        "group": "Group",
        "rest": "Rest of school",
        "national": "National",
        "last_year": "Last year",
    }.get(kind, kind)


def layout(fig: go.Figure, title: str, height: int = 380, y_title: str | None = None, x_title: str | None = None):
    """The house layout: title top left, white background, legend above the plot, light grid; returns ``fig``."""
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
