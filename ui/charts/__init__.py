"""One colour-blind-safe palette and the chart builders every page uses.

Every chart carries a title saying what it shows, for which pupils and over which
period, and is followed by its figures in a table for screen-reader users.

Rooms: ``style`` (palette, fonts, titles, the house layout), ``bar_charts`` (bars with a
national reference, grouped comparisons), ``line_charts`` (lines over time, half-terms shaded),
``grids`` (the selectable heatmap), ``display`` (``show``: a chart
on the page with its figures; the heatmap cell a user clicked, outlined), ``vega`` (the Overview's first
screen in Vega-Lite, a lighter module than Plotly's), ``calendar_grid`` (a pupil's calendar of marks as an
HTML table, which needs no chart module at all). Callers use the names
below (``charts.bars``, ``charts.show``); ``ui.noise_charts`` builds on the same style.
"""

from ui.charts import calendar_grid, vega
from ui.charts.bar_charts import bars, group_against_rest, grouped_bars
from ui.charts.display import cell_key, on_demand, outline_cell, selected, selected_points, show
from ui.charts.grids import heatmap, weekday_grid
from ui.charts.line_charts import lines, shade_half_terms
from ui.charts.style import (
    ABSENCE_SCALE,
    CATEGORY_COLOURS,
    CATEGORY_LABELS,
    COMPARISON_COLOURS,
    COMPARISON_DASH,
    FONT,
    HALF_TERM_SHADES,
    OKABE_ITO,
    WITHIN_NOISE_OPACITY,
    chart_title,
    group_phrase,
    kind_label,
    layout,
    plain_title,
)

__all__ = [
    "ABSENCE_SCALE",
    "CATEGORY_COLOURS",
    "CATEGORY_LABELS",
    "COMPARISON_COLOURS",
    "COMPARISON_DASH",
    "FONT",
    "HALF_TERM_SHADES",
    "OKABE_ITO",
    "WITHIN_NOISE_OPACITY",
    "bars",
    "calendar_grid",
    "cell_key",
    "chart_title",
    "group_against_rest",
    "group_phrase",
    "grouped_bars",
    "heatmap",
    "kind_label",
    "layout",
    "lines",
    "on_demand",
    "outline_cell",
    "plain_title",
    "selected",
    "selected_points",
    "shade_half_terms",
    "show",
    "vega",
    "weekday_grid",
]
