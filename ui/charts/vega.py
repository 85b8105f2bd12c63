"""The Overview's first screen as Vega-Lite specs, drawn by Streamlit's lighter chart module.

A first visit to the dashboard lands on the Overview. Drawn with Plotly, its
cards and trend waited for the browser to load and run Plotly's module (about
5 MB, most of a second of main-thread work on a school's laptop); Vega-Lite's is
about a sixth of that, which brings the first screen under 2 s (docs/PERFORMANCE.md).
So the Overview's two charts are drawn here, from the same inputs as their Plotly
versions (``ui.charts.lines`` and ``ui.noise_charts.changes_with_intervals``),
in the same palette, with the same titles, hover text and clicks. (A pupil's calendar
of marks, the first tab of their page, needs no chart module at all: ``calendar_grid``.) The packs
and every other page keep Plotly, whose figures the packs print through kaleido.

A spec is Vega-Lite's own JSON (https://vega.github.io/vega-lite/docs/), written
as a dict: building it costs well under a millisecond, where Altair's objects
cost a quarter of a second a page run. ``tests/test_vega.py`` checks each spec
against Vega-Lite's schema (the one Altair ships). A chart's click is a point
selection named ``SELECTED`` over one field; read it with ``charts.selected``.
"""

from __future__ import annotations

import pandas as pd

from ui.charts.style import (
    COMPARISON_COLOURS,
    FONT,
    HALF_TERM_SHADES,
    WITHIN_NOISE_OPACITY,
    kind_label,
)

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
SELECTED = "picked"  # the one selection parameter of a selectable chart: what a click picked
DASHES = {"national": [7, 4], "last_year": [2, 3]}
INK, GRID = "#333333", "#E5E5E5"


def is_spec(chart) -> bool:
    """True for a spec from this module (a dict), False for a Plotly figure."""
    return isinstance(chart, dict) and chart.get("$schema") == SCHEMA


def title_text(spec: dict) -> str:
    """The chart's title as one line: "what — for whom, when"."""
    t = spec.get("title") or {}
    return f"{t['text']} — {t['subtitle']}" if t.get("subtitle") else t.get("text", "")


def _title(text: str) -> dict:
    """A ``chart_title`` ("what<br><sup>for whom, when</sup>") as Vega-Lite's title and subtitle, top left."""
    what, _, rest = text.partition("<br><sup>")
    title = {"text": what, "anchor": "start", "fontSize": 17, "font": FONT["family"]}
    if rest:
        title |= {"subtitle": rest.replace("</sup>", ""), "subtitleFontSize": 13, "subtitleColor": "#555"}
    return title


def _spec(title: str, layers: list[dict], **more) -> dict:
    font = FONT["family"]
    return {
        "$schema": SCHEMA,
        "title": _title(title),
        "layer": layers,
        "config": {
            "font": font,
            "axis": {"labelFontSize": 13, "titleFontSize": 13, "titleFontWeight": "normal"},
            "legend": {"labelFontSize": 13, "orient": "top", "title": None},
            "view": {"stroke": None},
        },
        **more,
    }


def _values(df: pd.DataFrame) -> dict:
    """A frame as inline data: numbers as numbers, missing values as null."""
    return {"values": df.astype(object).where(df.notna(), None).to_dict("records")}


def lines(
    df: pd.DataFrame,
    x: str,
    series: dict[str, str],
    title: str,
    y_title: str | None = None,
    half_terms: pd.DataFrame | None = None,
    names: dict[str, str] | None = None,
    selectable: bool = False,
) -> dict:
    """Lines over time (``series`` maps a column to a comparison kind), half-terms shaded and labelled.

    Selectable: a click on a marker picks its ``week`` (the x value as an ISO date, "2026-11-02": a field
    of its own, as Vega-Lite hands a temporal field back as milliseconds).
    """
    columns = [c for c in series if c in df]
    label = {c: (names or {}).get(c) or kind_label(series[c]) for c in columns}
    long = df.melt(id_vars=[x], value_vars=columns, var_name="column", value_name="value").dropna(subset=["value"])
    data = pd.DataFrame(
        {
            "day": pd.to_datetime(long[x]).dt.strftime("%Y-%m-%d"),
            "week": pd.to_datetime(long[x]).dt.strftime("%Y-%m-%d"),  # what a click picks (not drawn)
            "series": long["column"].map(label),
            "value": long["value"].astype(float).round(2),
            "marked": long["column"].map(lambda c: series[c] != "national"),  # a flat reference line: no markers
        }
    )
    domain = [label[c] for c in columns]
    encoding = {
        "x": {"field": "day", "type": "temporal", "title": None, "axis": {"format": "%d %b", "grid": False}},
        "y": {"field": "value", "type": "quantitative", "title": y_title, "axis": {"gridColor": GRID}},
        "color": {
            "field": "series",
            "type": "nominal",
            "scale": {"domain": domain, "range": [COMPARISON_COLOURS.get(series[c], series[c]) for c in columns]},
            "legend": {"title": None, "orient": "top"},
        },
    }
    # One line per series, its dashes a property of its mark: one legend, of colours (a dash by field merges
    # into the colour legend and greys its symbols).
    lines = [
        {
            "transform": [{"filter": {"field": "series", "equal": label[c]}}],
            "mark": {"type": "line", "strokeWidth": 2.5, "strokeDash": DASHES.get(series[c], [1, 0])},
            "encoding": encoding,
        }
        for c in columns
    ]
    points = {
        "transform": [{"filter": "datum.marked"}],
        "mark": {"type": "point", "filled": True, "size": 55, "opacity": 1, "cursor": "pointer"},
        "encoding": encoding
        | {
            "tooltip": [
                {"field": "series", "type": "nominal", "title": " "},
                {"field": "day", "type": "temporal", "title": "Week beginning", "format": "%d %b %Y"},
                {"field": "value", "type": "quantitative", "title": "%", "format": ".1f"},
            ]
        },
    }
    if selectable:
        points["params"] = [{"name": SELECTED, "select": {"type": "point", "fields": ["week"], "clear": "dblclick"}}]
    layers = [*_half_term_bands(half_terms), {"data": _values(data), "layer": [*lines, points]}]
    return _spec(title, layers, height=320, width="container")


def _half_term_bands(half_terms: pd.DataFrame | None) -> list[dict]:
    """Alternate light bands for half-terms with their names, so the holidays show as gaps."""
    if half_terms is None or half_terms.empty:
        return []
    bands = pd.DataFrame(
        {
            "start": pd.to_datetime(half_terms["start_date"]).dt.strftime("%Y-%m-%d"),
            "end": pd.to_datetime(half_terms["end_date"]).dt.strftime("%Y-%m-%d"),
            "label": half_terms["label"].astype(str) if "label" in half_terms else "",
            "shade": [HALF_TERM_SHADES[i % 2] for i in range(len(half_terms))],
        }
    )
    x = {"field": "start", "type": "temporal", "title": None}
    return [
        {
            "data": _values(bands),
            "layer": [
                {
                    "mark": {"type": "rect"},
                    "encoding": {
                        "x": x,
                        "x2": {"field": "end"},
                        # fill, not color: the lines' colour legend is shared by every layer's color
                        "fill": {"field": "shade", "type": "nominal", "scale": None, "legend": None},
                    },
                },
                {
                    "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 3, "dy": 3},
                    "encoding": {
                        "x": x,
                        "y": {"value": 0},
                        "text": {"field": "label", "type": "nominal"},
                        "color": {"value": "#555"},
                        "size": {"value": 11},
                    },
                },
            ],
        }
    ]


def changes_with_intervals(
    changes: pd.DataFrame, measure: str, title: str, x_title: str, selectable: bool = False
) -> dict:
    """What changed most: one bar per group, rises vermillion and falls blue, whiskers, pale within noise.

    ``changes`` is a ``groups.biggest_changes`` frame with a ``name`` column for the bar labels. Selectable:
    a click on a bar picks its ``row`` (its position in ``changes``).
    """
    change = pd.to_numeric(changes[f"{measure}_change"], errors="coerce").astype(float)
    low = pd.to_numeric(changes[f"{measure}_change_low"], errors="coerce").astype(float)
    high = pd.to_numeric(changes[f"{measure}_change_high"], errors="coerce").astype(float)
    solid = [bool(b) if b is not None and b == b else False for b in changes[f"{measure}_beyond_chance"]]
    small = [bool(b) for b in changes["small_group"]]
    data = pd.DataFrame(
        {
            "row": range(len(changes)),
            "label": [f"{n} (few pupils)" if s else str(n) for n, s in zip(changes["name"], small, strict=True)],
            "change": change.round(2).to_numpy(),
            "low": low.round(2).to_numpy(),
            "high": high.round(2).to_numpy(),
            "direction": ["Rose" if v > 0 else "Fell" for v in change.fillna(0)],
            "interval": [
                f"{lo:+.1f} to {hi:+.1f}" if lo == lo and hi == hi else "—" for lo, hi in zip(low, high, strict=True)
            ],
            "noise": ["beyond chance" if s else "within noise" for s in solid],
            "opacity": [1.0 if s else WITHIN_NOISE_OPACITY for s in solid],
        }
    )
    y = {
        "field": "label",
        "type": "nominal",
        "sort": None,
        "title": None,
        "axis": {"labelLimit": 360, "labelFontSize": 13},
    }
    tooltip = [
        {"field": "label", "type": "nominal", "title": "Group"},
        {"field": "change", "type": "quantitative", "title": "Change (points)", "format": "+.1f"},
        {"field": "interval", "type": "nominal", "title": "95% interval"},
        {"field": "noise", "type": "nominal", "title": " "},
    ]
    bars = {
        "mark": {"type": "bar", "cursor": "pointer" if selectable else "default"},
        "encoding": {
            "y": y,
            "x": {"field": "change", "type": "quantitative", "title": x_title, "axis": {"gridColor": GRID}},
            "color": {
                "field": "direction",
                "type": "nominal",
                "scale": {
                    "domain": ["Rose", "Fell"],
                    "range": [COMPARISON_COLOURS["group"], COMPARISON_COLOURS["school"]],
                },
                "legend": None,
            },
            "opacity": {"field": "opacity", "type": "quantitative", "scale": None},
            "tooltip": tooltip,
        },
    }
    if selectable:
        bars["params"] = [{"name": SELECTED, "select": {"type": "point", "fields": ["row"], "clear": "dblclick"}}]
    whisker = {
        "mark": {"type": "rule", "color": INK, "strokeWidth": 1.5},
        "encoding": {
            "y": y,
            "x": {"field": "low", "type": "quantitative"},
            "x2": {"field": "high"},
            "tooltip": tooltip,
        },
    }
    caps = [
        {
            "mark": {"type": "tick", "color": INK, "thickness": 1.5, "size": 10},
            "encoding": {"y": y, "x": {"field": end, "type": "quantitative"}},
        }
        for end in ("low", "high")
    ]
    zero = {
        "data": {"values": [{"zero": 0}]},
        "mark": {"type": "rule", "color": "#888", "strokeWidth": 1},
        "encoding": {"x": {"field": "zero", "type": "quantitative"}},
    }
    return _spec(
        title,
        [{"data": _values(data), "layer": [bars, whisker, *caps]}, zero],
        height={"step": 30},
        width="container",
    )
