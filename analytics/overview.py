"""The Overview's figures, computed once for the page, the termly review pack and the governors' pack.

``headline`` is the headline measures for a period beside the previous period,
the same point last year and the national figures; ``weekly_comparison`` the
week-by-week trend with last year's weeks on this year's calendar;
``changes_since_previous`` the groups that changed most since the previous
period. Each returns names and numbers; ``ui/`` words them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from analytics import groups, measures, national, patterns, periods, school
from analytics.filters import Filter
from analytics.groups import MIN_GROUP_SIZE

HEADLINE_MEASURES = measures.RATE_COLUMNS  # the headline measures, in the order a review reads them
COMPARISONS = ("previous", "last_year", "national")
DECIMALS = 1  # rates are shown to one decimal place, so changes are worked out from the shown figures
SMALL_COUNTS = (1, 2)  # as DfE statistics: a count of 1 or 2 pupils is not shown where people could be known
COUNTED = ("persistent_absence", "severe_absence")  # measures that count pupils, not sessions


def _rounded(value) -> float | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return round(float(value), DECIMALS)


@dataclass(frozen=True)
class Headline:
    """The headline measures now and against each comparison (dicts keyed as ``measures.summary``)."""

    now: dict
    previous: dict = field(default_factory=dict)
    previous_label: str | None = None
    previous_filter: Filter | None = None
    last_year: dict = field(default_factory=dict)
    national: dict = field(default_factory=dict)
    hidden: dict = field(default_factory=dict)  # measure -> why it is not shown (governors: small numbers)

    @property
    def empty(self) -> bool:
        return not self.now.get("enrolments")

    def against(self, comparison: str) -> dict:
        """The figures of one comparison: 'previous', 'last_year' or 'national'."""
        if comparison not in COMPARISONS:
            raise ValueError(f"unknown comparison {comparison!r}: choose from {', '.join(COMPARISONS)}")
        return getattr(self, comparison)

    def change(self, measure: str, comparison: str) -> float | None:
        """Points of change from the comparison to now, from the figures as shown (one decimal).

        Rounding first means a change never reads "-0.0": a change too small to
        show is exactly 0.0. None where either figure is missing.
        """
        now, then = _rounded(self.now.get(measure)), _rounded(self.against(comparison).get(measure))
        if now is None or then is None:
            return None
        return round(now - then, DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0

    def table(self) -> pd.DataFrame:
        """One row per headline measure: ``measure``, ``now``, ``previous``, ``last_year``, ``national``, ``count``."""
        return pd.DataFrame(
            {
                "measure": list(HEADLINE_MEASURES),
                "now": [_rounded(self.now.get(k)) for k in HEADLINE_MEASURES],
                "previous": [_rounded(self.previous.get(k)) for k in HEADLINE_MEASURES],
                "last_year": [_rounded(self.last_year.get(k)) for k in HEADLINE_MEASURES],
                "national": [_rounded(self.national.get(k)) for k in HEADLINE_MEASURES],
                "count": [self.now.get(k.replace("_rate", "_count")) for k in HEADLINE_MEASURES],
            }
        ).astype({"now": object, "previous": object, "last_year": object, "national": object, "count": object})


def _small(figures: dict, measure: str) -> str | None:
    if figures.get("enrolments") and figures["enrolments"] < MIN_GROUP_SIZE:
        return f"fewer than {MIN_GROUP_SIZE} pupils"
    if measure.removesuffix("_rate") in COUNTED and figures.get(measure.replace("_rate", "_count")) in SMALL_COUNTS:
        return f"{' or '.join(str(n) for n in SMALL_COUNTS)} pupils"
    return None


def without_small_numbers(h: Headline) -> Headline:
    """The headline as a governor may see it: a figure about fewer than 5 pupils, or a count of 1 or 2
    pupils (persistent or severe absence), now or in a comparison, is left out with the reason."""
    hidden = {}
    for measure in HEADLINE_MEASURES:
        reason = next((r for r in (_small(d, measure) for d in (h.now, h.previous, h.last_year)) if r), None)
        if reason:
            hidden[measure] = reason

    def blank(figures: dict) -> dict:
        out = dict(figures)
        for measure in hidden:
            out[measure] = None
            out.pop(measure.replace("_rate", "_count"), None)
        if figures.get("enrolments") and figures["enrolments"] < MIN_GROUP_SIZE:
            out["pupils"] = out["enrolments"] = None
        return out

    return Headline(
        now=blank(h.now) | {"enrolments": h.now.get("enrolments")},  # still says whether anyone matched
        previous=blank(h.previous),
        previous_label=h.previous_label,
        previous_filter=h.previous_filter,
        last_year=blank(h.last_year),
        national=h.national,
        hidden=hidden,
    )


def phase(con: duckdb.DuckDBPyConnection, f: Filter) -> str:
    """The phase the national comparators are for: the school's, or all schools for several."""
    found = school.phase_of(con, f.school_ids[0]) if len(f.school_ids) == 1 else None
    return found or "all"


def headline(con: duckdb.DuckDBPyConnection, f: Filter) -> Headline:
    """The headline measures for the filter, the previous period, the same point last year and England.

    For a role without pupil-level access (governors) small numbers are left out (``without_small_numbers``).
    """
    now = measures.summary(con, f)
    england = national.national_headline(phase(con, f))
    if not now.get("enrolments"):
        return Headline(now=now, national=england)
    prev = periods.previous_period(con, f)
    last = periods.same_point_last_year(con, f)
    h = Headline(
        now=now,
        previous=measures.summary(con, prev[0]) if prev else {},
        previous_label=prev[1] if prev else None,
        previous_filter=prev[0] if prev else None,
        last_year=measures.summary(con, last) if last else {},
        national=england,
    )
    return h if f.scope.pupil_level else without_small_numbers(h)


@dataclass(frozen=True)
class WeeklyComparison:
    """``weeks``: ``week`` (Monday, on this year's calendar), ``this_year``, ``last_year`` and, for absence,
    ``national``; ``half_terms``: this year's half-terms (``patterns.term_boundaries``)."""

    weeks: pd.DataFrame
    half_terms: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.weeks.empty


def weekly_comparison(con: duckdb.DuckDBPyConnection, f: Filter, value: str = "absence_rate") -> WeeklyComparison:
    """Week by week, this year beside last year's same weeks (52 weeks later, so weekdays line up).

    ``value`` is a rate column of ``patterns.weekly_trend`` ('absence_rate',
    'attendance_rate', ...). For overall absence the national year-to-date
    figure comes as a flat ``national`` column to draw as a reference line.
    """
    weekly = patterns.weekly_trend(con, f)
    columns = ["week", "this_year", "last_year"]
    if weekly is None or weekly.empty:
        return WeeklyComparison(pd.DataFrame(columns=columns), pd.DataFrame())
    shift = pd.to_timedelta((weekly["series"] == "last year") * periods.SAME_POINT_LAST_YEAR.days, unit="D")
    plot = weekly.assign(week=pd.to_datetime(weekly["week_start"]) + shift)
    wide = plot.pivot_table(index="week", columns="series", values=value).reset_index()
    wide.columns.name = None
    wide = wide.rename(columns={"this year": "this_year", "last year": "last_year"})
    for column in ("this_year", "last_year"):
        if column not in wide:
            wide[column] = float("nan")
    if value == "absence_rate":
        england = national.national_headline(phase(con, f)).get("overall_absence_rate")
        wide["national"] = float("nan") if england is None else england
    year = f.academic_year if f.academic_year is not None else int(weekly["academic_year"].max())
    bounds = patterns.term_boundaries(con, f)
    bounds = bounds[bounds["academic_year"] == year].reset_index(drop=True) if not bounds.empty else bounds
    return WeeklyComparison(wide, bounds)


def headline_noise(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Is the headline change real? The change since the previous period and since the same point last year.

    One row per comparison ('previous', 'last_year') and measure
    ('overall_absence', 'persistent_absence'): ``comparison``, ``label``,
    ``measure``, ``change``, ``low``, ``high`` (points, 95%, pupils matched
    across the periods) and ``beyond_chance``. Attendance moves as overall
    absence does, the other way. Empty when there is nothing to compare.
    """
    rows = []
    prev, last = periods.previous_period(con, f), periods.same_point_last_year(con, f)
    for comparison, found in (("previous", prev), ("last_year", (last, "the same point last year") if last else None)):
        if found is None or not measures.summary(con, found[0]).get("enrolments"):
            continue
        for measure, noise in groups.whole_change(con, f, found[0]).items():
            rows.append({"comparison": comparison, "label": found[1], "measure": measure, **noise})
    columns = ["comparison", "label", "measure", "change", "low", "high", "beyond_chance"]
    return pd.DataFrame(rows, columns=columns)


def changes_since_previous(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[str, pd.DataFrame] | None:
    """The groups whose absence changed most since the previous period, with that period's name.

    None when there is no earlier period; groups under the suppression size are left out.
    """
    prev = periods.previous_period(con, f)
    if prev is None:
        return None
    return prev[1], groups.biggest_changes(con, f, prev[0])
