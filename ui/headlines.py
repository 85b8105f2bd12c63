"""How the Overview's figures read, on the page and in the packs: labels, number formats, charts.

The figures come from ``analytics.overview`` (one call each); this module words
them once so the Overview page, the termly review pack and the governors' pack
say the same thing the same way. Rates carry one decimal everywhere; an empty
cell says why ("not published", "—"), never "None".
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.filters import Filter
from analytics.overview import Headline, WeeklyComparison
from ui import charts, noise_charts
from ui.charts import vega

MEASURE_LABELS = {
    "attendance_rate": "Attendance",
    "overall_absence_rate": "Overall absence",
    "authorised_absence_rate": "Authorised absence",
    "unauthorised_absence_rate": "Unauthorised absence",
    "persistent_absence_rate": "Persistent absence",
    "severe_absence_rate": "Severe absence",
}
MEASURE_HELP = {
    "attendance_rate": "Sessions attended (present, late before the register closed, approved activity) "
    "out of possible sessions.",
    "overall_absence_rate": "Authorised and unauthorised absence out of possible sessions (DfE).",
    "authorised_absence_rate": "Absence the school authorised (illness, appointments, ...) out of possible sessions.",
    "unauthorised_absence_rate": "Absence without the school's authority (G, N, O, U) out of possible sessions.",
    "persistent_absence_rate": "Pupils missing 10% or more of their possible sessions (DfE).",
    "severe_absence_rate": "Pupils missing 50% or more of their possible sessions (DfE).",
}
# Higher attendance is good; for every absence measure a rise is bad.
GOOD_WHEN_HIGHER = {"attendance_rate"}
NOT_PUBLISHED = "not published"
NOTHING = "—"


def comparison_labels(h: Headline) -> dict[str, str]:
    """What each comparison is called beside a figure."""
    return {
        "previous": f"Last period ({h.previous_label})" if h.previous_label else "Last period",
        "last_year": "Same point last year",
        "national": f"National ({h.national.get('phase', 'all')})",
    }


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _one_decimal(value) -> float:
    return round(float(value), 1) + 0.0  # + 0.0: a gap of -0.04 reads "0.0", never "-0.0"


def rate(value, empty: str = NOTHING) -> str:
    """A rate as shown everywhere: one decimal and a per cent sign ("93.1%")."""
    return empty if is_missing(value) else f"{_one_decimal(value):.1f}%"


def number(value, empty: str = NOTHING) -> str:
    """A figure in a table: one decimal ("93.1")."""
    return empty if is_missing(value) else f"{_one_decimal(value):.1f}"


def count(value, empty: str = NOTHING) -> str:
    return empty if is_missing(value) else f"{int(value):,}"


def points(change) -> str:
    """A change in points, signed; zero is "no change" rather than "+0.0" or "-0.0"."""
    if is_missing(change):
        return NOTHING
    return "no change" if change == 0 else f"{change:+.1f} pts"


def period_label(f: Filter) -> str:
    """A period's name in titles and captions: "Autumn 2", "Autumn term", "01/09/2025 to 24/10/2025"."""
    if f.term:
        return f"{f.term.capitalize()} " + (str(f.half_term) if f.half_term else "term")
    if f.date_from or f.date_to:
        left = f"{f.date_from:%d/%m/%Y}" if f.date_from else "start of year"
        right = f"{f.date_to:%d/%m/%Y}" if f.date_to else "latest"
        return f"{left} to {right}"
    return "Year to date"


def since(label: str | None) -> str:
    """A previous period's name inside a sentence: "the end of Autumn 1", "Autumn 1"."""
    if not label:
        return "the last period"
    return f"the {label}" if label.startswith("end of ") else label


def period_phrase(f: Filter) -> str:
    """How a sentence names the period: "this half-term", "this term", "so far this year"."""
    if f.term:
        return "this half-term" if f.half_term else "this term"
    if f.date_from or f.date_to:
        return "over these dates"
    return "so far this year"


def _why_empty(figures: dict, nothing_there: str) -> str:
    """What an empty comparison cell says: why there is no figure at all, or a dash for one measure."""
    return NOTHING if figures.get("enrolments") else nothing_there


def headline_table(h: Headline) -> pd.DataFrame:
    """The headline figures as text, one row per measure, every empty cell saying why."""
    names = comparison_labels(h)
    t = h.table()
    return pd.DataFrame(
        {
            "Measure": [MEASURE_LABELS[m] for m in t["measure"]],
            "This period": [
                f"not shown ({h.hidden[m]})" if m in h.hidden else rate(v)
                for m, v in zip(t["measure"], t["now"], strict=True)
            ],
            names["previous"]: [rate(v, _why_empty(h.previous, "no earlier period")) for v in t["previous"]],
            names["last_year"]: [rate(v, _why_empty(h.last_year, "no marks last year")) for v in t["last_year"]],
            names["national"]: [rate(v, NOT_PUBLISHED) for v in t["national"]],
            "Pupils": [count(c) for c in t["count"]],
        }
    )


def headline_figures(h: Headline) -> pd.DataFrame:
    """The headline figures as numbers (for a spreadsheet download), with the same headings as the table."""
    names = comparison_labels(h)
    t = h.table()
    return pd.DataFrame(
        {
            "Measure": [MEASURE_LABELS[m] for m in t["measure"]],
            "This period %": pd.to_numeric(t["now"], errors="coerce"),
            f"{names['previous']} %": pd.to_numeric(t["previous"], errors="coerce"),
            f"{names['last_year']} %": pd.to_numeric(t["last_year"], errors="coerce"),
            f"{names['national']} %": pd.to_numeric(t["national"], errors="coerce"),
            "Pupils": pd.to_numeric(t["count"], errors="coerce").astype("Int64"),
        }
    )


def headline_note(h: Headline) -> str:
    n = h.now
    return (
        f"{count(n.get('pupils'), '0')} pupils, {count(n.get('possible_sessions'), '0')} possible sessions. "
        f"National: {h.national.get('source', '')}, {h.national.get('period', '')}; the DfE publishes no "
        "national severe absence rate in these statistics."
    )


NOISE_MEASURES = {"overall_absence": "attendance_rate", "persistent_absence": "persistent_absence_rate"}


def noise_sentence(noise: pd.DataFrame, comparison: str, hidden: dict | None = None, ask: bool = True) -> str:
    """Is the headline change real? "Since the end of Autumn 1: attendance -0.8 to -0.3 points (95% interval),
    beyond chance; persistent absence -1.4 to +4.5 points, within noise." Empty when there is nothing to judge.

    ``noise`` is ``overview.headline_noise``'s frame; attendance's interval is
    overall absence's turned round. A measure in ``hidden`` (governors: small numbers) is left out;
    ``ask=False`` leaves out the opening question (a second sentence after a first).
    """
    if noise is None or noise.empty or comparison not in ("previous", "last_year"):
        return ""
    rows = noise[noise["comparison"] == comparison]
    parts = []
    for r in rows.to_dict("records"):
        key = NOISE_MEASURES.get(r["measure"])
        if key is None or key in (hidden or {}) or is_missing(r["low"]):
            continue
        low, high = (-r["high"], -r["low"]) if key == "attendance_rate" else (r["low"], r["high"])
        parts.append(
            f"{MEASURE_LABELS[key].lower()} {interval(low, high, signed=True)} points, {noise_word(r['beyond_chance']).lower()}"
        )
    if not parts:
        return ""
    label = rows.iloc[0]["label"]
    start = "Against the same point last year" if comparison == "last_year" else f"Since {since(label)}"
    text = f"{start}, the change's 95% interval (pupils matched across the periods): " + "; ".join(parts) + "."
    return f"Is the change real? {text}" if ask else text


def headline_figure(h: Headline, f: Filter, period: str) -> go.Figure:
    """The absence measures: the school beside England (attendance, the mirror image, left out)."""
    t = h.table()
    t = t[t["measure"] != "attendance_rate"]
    plot = pd.DataFrame(
        {
            "Measure": [MEASURE_LABELS[m] for m in t["measure"]],
            "school": pd.to_numeric(t["now"], errors="coerce"),
            "national": pd.to_numeric(t["national"], errors="coerce"),
        }
    )
    return charts.grouped_bars(
        plot,
        "Measure",
        {"school": "school", "national": "national"},
        charts.chart_title("Absence measures: the school and national", f, period),
        y_title="%",
    )


def _trend(wc: WeeklyComparison, f: Filter, period: str) -> dict:
    """The trend's data and words, drawn by Plotly (the pack) and by Vega-Lite (the Overview) alike."""
    return dict(
        df=wc.weeks,
        x="week",
        series={"this_year": "school", "last_year": "last_year", "national": "national"},
        title=charts.chart_title("Overall absence week by week", f, period),
        y_title="Absence %",
        half_terms=None if wc.half_terms.empty else wc.half_terms,
        names={"this_year": "This year", "last_year": "Last year", "national": "National (year to date)"},
    )


def trend_figure(wc: WeeklyComparison, f: Filter, period: str) -> go.Figure:
    """The trend as a Plotly figure: the termly review pack prints it."""
    return charts.lines(**_trend(wc, f, period))


def trend_chart(wc: WeeklyComparison, f: Filter, period: str):
    """The trend as the Overview draws it (Vega-Lite: ui/charts/vega.py); a click on a week picks its ``week`` (ISO date)."""
    return vega.lines(**_trend(wc, f, period), selectable=True)


def trend_table(wc: WeeklyComparison) -> pd.DataFrame:
    """The weeks of this year so far beside last year's same weeks (later weeks of last year are only drawn)."""
    w = wc.weeks[wc.weeks["this_year"].notna()] if wc.weeks["this_year"].notna().any() else wc.weeks
    return pd.DataFrame(
        {
            "Week beginning": pd.to_datetime(w["week"]).dt.strftime("%d/%m/%Y"),
            "This year %": [number(v) for v in w["this_year"]],
            "Last year %": [number(v, "no marks") for v in w["last_year"]],
        }
    )


CHANGES_NOTE = (
    "Vermillion: absence rose. Blue: absence fell. Whiskers: 95% interval, with pupils (not sessions) as the "
    'unit; pale bars are within what chance explains (within noise). "Few pupils": under {size} pupils in one '
    "of the periods, so the change is mostly noise."
)


def change_names(changes: pd.DataFrame) -> pd.Series:
    """Each change's name as the chart and the list of pupils behind it show it: "FSM: FSM", "Form: 8D"."""
    return changes["by_label"] + ": " + changes["label"].astype(str)


def _changes(changes: pd.DataFrame, since: str, f: Filter, period: str) -> dict:
    return dict(
        changes=changes.assign(name=change_names(changes)),
        measure="overall_absence",
        title=charts.chart_title(f"Change in overall absence since {since} (points)", f, period),
        x_title="Change in absence (points)",
    )


def changes_figure(changes: pd.DataFrame, since: str, f: Filter, period: str) -> go.Figure:
    """Each group's change in absence since the previous period, with its 95% interval; pale within noise.

    ``changes`` is ``groups.biggest_changes``'s frame. The termly review pack prints this figure; the
    Overview draws the same chart with ``changes_chart``.
    """
    return noise_charts.changes_with_intervals(**_changes(changes, since, f, period))


def changes_chart(changes: pd.DataFrame, since: str, f: Filter, period: str, selectable: bool):
    """``changes_figure`` as the Overview draws it (Vega-Lite); a click on a bar picks its ``row``."""
    return vega.changes_with_intervals(**_changes(changes, since, f, period), selectable=selectable)


def noise_word(value) -> str:
    """ "Beyond chance" / "Within noise" for a ``beyond_chance`` flag; "—" where there is no interval."""
    if is_missing(value):
        return NOTHING
    return "Beyond chance" if bool(value) else "Within noise"


def interval(low, high, signed: bool = False) -> str:
    """A 95% interval as text, one decimal: "4.1 to 7.9" ("+0.3 to +2.1" for a change)."""
    if is_missing(low) or is_missing(high):
        return NOTHING
    spec = "+.1f" if signed else ".1f"
    return f"{_one_decimal(low):{spec}} to {_one_decimal(high):{spec}}"


def changes_table(changes: pd.DataFrame, since: str) -> pd.DataFrame:
    """What changed most as text: each change with its 95% interval and whether it is beyond chance."""
    return pd.DataFrame(
        {
            "Group": changes["by_label"],
            "Value": [
                f"{label} (few pupils)" if bool(small) else str(label)
                for label, small in zip(changes["label"], changes["small_group"], strict=True)
            ],
            f"Absence % ({since})": [number(v) for v in changes["previous_overall_absence_rate"]],
            "Absence % (now)": [number(v) for v in changes["current_overall_absence_rate"]],
            "Change (points)": [points(v).replace(" pts", "") for v in changes["overall_absence_change"]],
            "95% interval": [
                interval(lo, hi, signed=True)
                for lo, hi in zip(
                    changes["overall_absence_change_low"], changes["overall_absence_change_high"], strict=True
                )
            ],
            "Against noise": [noise_word(v) for v in changes["overall_absence_beyond_chance"]],
            "Pupils": [count(v) for v in changes["current_enrolments"]],
        }
    )


def weekly_control_table(control: pd.DataFrame) -> pd.DataFrame:
    """The weekly control chart's figures as text (``patterns.weekly_control``): the page and the pack."""
    return pd.DataFrame(
        {
            "Week beginning": pd.to_datetime(control["week_start"]).dt.strftime("%d/%m/%Y"),
            "Absence %": [number(v) for v in control["absence_rate"]],
            "Ordinary range %": [interval(lo, hi) for lo, hi in zip(control["low"], control["high"], strict=True)],
            "Same week last year %": [number(v, "no marks") for v in control["last_year_absence_rate"]],
            "Unusual": control["signal"].map({"high": "High", "low": "Low"}).fillna("").astype(str),
        }
    )


def weekly_control_note(control: pd.DataFrame) -> str:
    unusual = int(control["signal"].isin(["high", "low"]).sum())
    return (
        "The shaded band is the range a week's absence wanders within by chance, measured from how much this "
        "year's weeks really vary (a p-chart widened for runs of absence). Ringed weeks fall outside it. "
        f"{unusual} of {len(control)} weeks are outside. Dotted grey: the same weeks last year."
    )
