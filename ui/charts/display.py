"""Drawing a chart on the page: its figures underneath, and what a user clicked on it.

Every chart is followed by its figures in a table for screen-reader users. A heatmap's
clicked cell is remembered in the session and outlined on the chart.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui import tables
from ui.charts import vega
from ui.charts.calendar_grid import HtmlChart
from ui.charts.grids import CELLS
from ui.charts.style import OKABE_ITO, plain_title


def show(
    fig: go.Figure | dict | HtmlChart,
    figures: pd.DataFrame | None,
    key: str,
    selectable: bool = False,
    caption: str | None = None,
):
    """Draw a chart and its figures; returns the selection state when the chart is selectable.

    The figures sit in a collapsed "Figures" expander directly under the chart,
    so a screen reader (and anyone who wants the exact numbers) has them, drawn when it is opened
    (``on_demand``). A Vega-Lite spec (``ui.charts.vega``) is drawn the same way; its click is read with
    ``selected``. An ``HtmlChart`` (``ui.charts.calendar_grid``) is drawn as its HTML.
    """
    if isinstance(fig, HtmlChart):  # drawn by the browser itself (a pupil's calendar)
        title = fig.title
        st.html(fig.html)
        event = None
    elif vega.is_spec(fig):
        title = vega.title_text(fig)
        on_select = "rerun" if selectable else "ignore"
        event = st.vega_lite_chart(spec=fig, key=key, on_select=on_select, alt=title, width="stretch")
        event = event if selectable else None
    else:
        title = plain_title(fig.layout.title.text or "")
        event = _plotly(fig, key, selectable)
    if caption:
        st.caption(caption)
    if figures is not None and not figures.empty:
        shown = on_demand(f"Figures: {title}", f"{key}_figures")
        if shown:
            shown.dataframe(tables.readable(figures), hide_index=True, width="stretch")
    return event


def _plotly(fig: go.Figure, key: str, selectable: bool):
    kwargs = dict(key=key, config={"displaylogo": False}, alt=plain_title(fig.layout.title.text or ""))
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
    return event


def on_demand(label: str, key: str):
    """A collapsed expander whose content is drawn only once it is opened (a rerun): its container, or None.

    A table kept behind one costs a first visit nothing (not even the table's JavaScript).
    """
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def cell_key(key: str) -> str:
    """Where the cell clicked on the heatmap ``key`` is kept in the session ({"x": column, "y": row})."""
    return f"{key}_cell"


def _is_heatmap(fig: go.Figure) -> bool:
    return len(fig.data) > 1 and fig.data[0].type == "heatmap" and fig.data[1].name == CELLS


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


def selected(event, field: str):
    """What a click on a selectable Vega-Lite chart picked: the ``field`` of the clicked mark, or None."""
    selection = event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    picked = (selection or {}).get(vega.SELECTED) or []  # a point selection: the clicked marks' fields
    return picked[0].get(field) if picked else None


def selected_points(event) -> list[dict]:
    """The points a user clicked in a selectable chart (empty when nothing is selected)."""
    if event is None:
        return []
    selection = event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    if not selection:
        return []
    points = selection.get("points") if isinstance(selection, dict) else getattr(selection, "points", None)
    return list(points or [])
