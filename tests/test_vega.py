"""The Overview's Vega-Lite charts: valid specs, the same bars, colours and words as their Plotly versions."""

from __future__ import annotations

import jsonschema
import pandas as pd
import pytest
from altair.vegalite.v6.schema import load_schema

from ui import charts, noise_charts
from ui.charts import vega

VALIDATOR = jsonschema.Draft7Validator(load_schema())  # Vega-Lite's own schema, as Altair ships it

# A hand-made "what changed most": a rise beyond chance, a fall within noise, a small group, one with no interval.
CHANGES = pd.DataFrame(
    {
        "name": ["FSM: FSM", "Form: 8D", "Year group: Year 7", "EAL: EAL"],
        "overall_absence_change": [0.79, -0.75, 2.4, 0.2],
        "overall_absence_change_low": [0.26, -1.54, -1.0, None],
        "overall_absence_change_high": [1.31, 0.06, 5.8, None],
        "overall_absence_beyond_chance": [True, False, False, None],
        "small_group": [False, False, True, False],
    }
)
WEEKS = pd.DataFrame(
    {
        "week": pd.to_datetime(["2026-09-07", "2026-09-14", "2026-09-21"]),
        "this_year": [4.0, 5.25, None],  # the third week has not happened yet
        "last_year": [4.5, 4.75, 6.0],
        "national": [5.5, 5.5, 5.5],
    }
)
HALF_TERMS = pd.DataFrame({"start_date": ["2026-09-02"], "end_date": ["2026-10-23"], "label": ["Autumn 1"]})
SERIES = {"this_year": "school", "last_year": "last_year", "national": "national"}
TITLE = charts.chart_title("Overall absence week by week", None) + "<br><sup>Whole school, 2026/27</sup>"


def _layer_data(spec: dict) -> pd.DataFrame:
    """The rows of the spec's main layer (the one holding marks, after the half-term bands)."""
    return pd.DataFrame([layer for layer in spec["layer"] if "layer" in layer][-1]["data"]["values"])


def _params(spec: dict) -> list[str]:
    found = []
    for layer in spec.get("layer", []):
        found += [p["name"] for p in layer.get("params", [])] + _params(layer)
    return found


@pytest.mark.parametrize("selectable", [True, False])
def test_each_spec_is_valid_vega_lite(selectable):
    trend = vega.lines(WEEKS, "week", SERIES, TITLE, "Absence %", HALF_TERMS, selectable=selectable)
    bars = vega.changes_with_intervals(CHANGES, "overall_absence", TITLE, "Change (points)", selectable=selectable)
    for spec in (trend, bars):
        assert not [e.message for e in VALIDATOR.iter_errors(spec)]
        assert vega.is_spec(spec)
        assert _params(spec) == ([vega.SELECTED] if selectable else [])


def test_the_title_reads_as_plotlys():
    spec = vega.lines(WEEKS, "week", SERIES, TITLE)
    assert spec["title"]["text"] == "Overall absence week by week"
    assert spec["title"]["subtitle"] == "Whole school, 2026/27"
    assert vega.title_text(spec) == charts.plain_title(TITLE)


def test_the_trend_has_this_years_weeks_so_far_and_no_markers_on_the_national_line():
    spec = vega.lines(WEEKS, "week", SERIES, TITLE, "Absence %", HALF_TERMS)
    rows = _layer_data(spec)
    assert (rows["week"] == rows["day"]).all()  # what a click picks: the week as text
    assert list(zip(rows["series"], rows["day"], rows["value"], rows["marked"], strict=True)) == [
        ("School", "2026-09-07", 4.0, True),
        ("School", "2026-09-14", 5.25, True),
        ("Last year", "2026-09-07", 4.5, True),
        ("Last year", "2026-09-14", 4.75, True),
        ("Last year", "2026-09-21", 6.0, True),
        ("National", "2026-09-07", 5.5, False),
        ("National", "2026-09-14", 5.5, False),
        ("National", "2026-09-21", 5.5, False),
    ]
    bands = pd.DataFrame(spec["layer"][0]["data"]["values"])
    assert bands.to_dict("records") == [
        {"start": "2026-09-02", "end": "2026-10-23", "label": "Autumn 1", "shade": charts.HALF_TERM_SHADES[0]}
    ]


def test_the_bars_match_plotlys_labels_colours_paleness_and_whiskers():
    spec = vega.changes_with_intervals(CHANGES, "overall_absence", TITLE, "Change (points)")
    fig = noise_charts.changes_with_intervals(CHANGES, "overall_absence", TITLE, "Change (points)")
    rows = _layer_data(spec)
    scale = spec["layer"][0]["layer"][0]["encoding"]["color"]["scale"]
    colour = dict(zip(scale["domain"], scale["range"], strict=True))
    assert list(rows["label"]) == list(fig.data[0].y)
    assert [colour[d] for d in rows["direction"]] == list(fig.data[0].marker.color)
    assert list(rows["opacity"]) == list(fig.data[0].marker.opacity)
    assert list(rows["interval"]) == ["+0.3 to +1.3", "-1.5 to +0.1", "-1.0 to +5.8", "—"]
    assert list(rows["noise"]) == ["beyond chance", "within noise", "within noise", "within noise"]
    assert rows["low"].isna().tolist() == [False, False, False, True]  # no interval: no whisker, not a zero one


@pytest.mark.parametrize(
    ("event", "field", "expected"),
    [
        ({"selection": {vega.SELECTED: [{"week": "2026-11-02"}]}}, "week", "2026-11-02"),
        ({"selection": {vega.SELECTED: [{"row": 3}]}}, "row", 3),
        ({"selection": {vega.SELECTED: []}}, "row", None),  # a double click cleared it
        ({"selection": {}}, "row", None),
        ({}, "row", None),
        (None, "row", None),  # a chart nobody may click
    ],
)
def test_what_a_click_picked(event, field, expected):
    assert charts.selected(event, field) == expected
