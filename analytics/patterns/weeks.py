"""Week by week: the weekly trend against last year, control limits, and the half-terms that shade it."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import uncertainty
from analytics.filters import Filter
from analytics.measures import marks_sql, rate_sql, session_counts_sql
from analytics.patterns.weekdays import WEEKDAY_COUNTS
from analytics.periods import SAME_POINT_LAST_YEAR
from analytics.school import half_terms_sql


def academic_week(day: str, year: str) -> str:
    """SQL for the week of the academic year: week 1 (Monday start) holds the first weekday on or after 1 September.

    Aligning weeks this way lines one year's chart up with the last.
    """
    anchor = f"date_trunc('week', make_date({year}, 9, 1) + 2)::DATE"
    return f"(1 + (date_trunc('week', {day})::DATE - {anchor}) // 7)"


def _weekly_sql(f: Filter, series: str) -> tuple[str, list]:
    """Week-by-week measures for one academic year, with the week of the academic year."""
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    ht, ht_params = half_terms_sql(f)
    sql = f"""
        WITH w AS (
            SELECT date_trunc('week', date)::DATE AS week_start, any_value(academic_year) AS academic_year,
                   min(school_id) AS school_id, {session_counts_sql(*WEEKDAY_COUNTS)}
            FROM ({marks}) m
            GROUP BY 1
            HAVING count(*) FILTER (WHERE possible) > 0
        ),
        ht AS ({ht})
        SELECT '{series}' AS series, w.academic_year,
                              {academic_week("w.week_start", "w.academic_year")} AS academic_week,
               w.week_start, w.possible_sessions, w.absence_sessions,
               w.authorised_sessions, w.unauthorised_sessions,
               {rate_sql("w.absence_sessions", "w.possible_sessions")} AS absence_rate,
               100.0 - {rate_sql("w.absence_sessions", "w.possible_sessions")} AS attendance_rate,
               {rate_sql("w.authorised_sessions", "w.possible_sessions")} AS authorised_rate,
               {rate_sql("w.unauthorised_sessions", "w.possible_sessions")} AS unauthorised_rate,
               (SELECT min(ht.term) FROM ht WHERE ht.academic_year = w.academic_year
                  AND ht.start_date <= w.week_start + 4 AND ht.end_date >= w.week_start) AS term,
               (SELECT min(ht.label) FROM ht WHERE ht.academic_year = w.academic_year
                  AND ht.start_date <= w.week_start + 4 AND ht.end_date >= w.week_start) AS half_term
        FROM w
        ORDER BY w.week_start
    """
    return sql, params + ht_params


def _latest_year(con: duckdb.DuckDBPyConnection, f: Filter) -> int | None:
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    return con.execute(f"SELECT max(academic_year) FROM ({marks}) m", params).fetchone()[0]


def weekly_trend(con: duckdb.DuckDBPyConnection, f: Filter, compare_last_year: bool = True) -> pd.DataFrame:
    """Week by week (weeks start on Monday): possible sessions and rates, term and half-term.

    ``series`` is 'this year' or 'last year'; both are aligned on
    ``academic_week`` (see ``academic_week``), so a chart can draw them on
    one axis. Last year is the same filter one year earlier (a date range is
    moved back 52 weeks so weekdays line up).
    """
    year = f.academic_year if f.academic_year is not None else _latest_year(con, f)
    if year is None:
        sql, params = _weekly_sql(f, "this year")
        return con.execute(sql, params).df()
    this = f.replace(academic_year=year)
    sql, params = _weekly_sql(this, "this year")
    if compare_last_year:
        shift = SAME_POINT_LAST_YEAR
        last = this.replace(
            academic_year=year - 1,
            date_from=f.date_from - shift if f.date_from else None,
            date_to=f.date_to - shift if f.date_to else None,
        )
        last_sql, last_params = _weekly_sql(last, "last year")
        sql, params = f"SELECT * FROM ({sql}) UNION ALL SELECT * FROM ({last_sql})", params + last_params
        sql += " ORDER BY series DESC, week_start"
    return con.execute(sql, params).df()


def weekly_control(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """This year's weeks with control limits, so a week beyond ordinary week-to-week variation stands out.

    Limits are Laney's p' chart (``uncertainty.control_limits``): three sigma
    around the year's rate, widened by how much weeks really vary (pupils'
    absences come in runs, so sessions are not independent). Each week also
    carries the same week of last year (``last_year_absence_rate``, by week of
    the academic year), the known seasonal pattern to read it against.
    Columns: ``week_start``, ``academic_week``, ``half_term``,
    ``possible_sessions``, ``absence_sessions``, ``absence_rate``, ``centre``,
    ``low``, ``high`` (percentages), ``signal`` ('high', 'low' or None),
    ``last_year_absence_rate``.
    """
    weekly = weekly_trend(con, f)
    columns = [
        "week_start",
        "academic_week",
        "half_term",
        "possible_sessions",
        "absence_sessions",
        "absence_rate",
        "centre",
        "low",
        "high",
        "signal",
        "last_year_absence_rate",
    ]
    if weekly.empty:
        return pd.DataFrame(columns=columns)
    this = weekly[weekly["series"] == "this year"].sort_values("week_start").reset_index(drop=True)
    last = weekly[weekly["series"] == "last year"].set_index("academic_week")["absence_rate"]
    limits = uncertainty.control_limits(this["absence_sessions"], this["possible_sessions"])
    out = this.assign(
        centre=100 * limits["centre"],
        low=100 * limits["low"],
        high=100 * limits["high"],
        signal=limits["signal"].to_numpy(),
        last_year_absence_rate=this["academic_week"].map(last.groupby(level=0).first()),
    )
    return out[columns]


def term_boundaries(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Half-term start and end dates (with the academic week of each) for shading a weekly chart."""
    ht, params = half_terms_sql(f)
    sql = f"""
        SELECT academic_year, term, half_term, label, min(start_date) AS start_date, max(end_date) AS end_date,
               {academic_week("min(start_date)", "academic_year")} AS start_week,
               {academic_week("max(end_date)", "academic_year")} AS end_week
        FROM ({ht}) ht
        GROUP BY academic_year, term, half_term, label
        ORDER BY start_date
    """
    return con.execute(sql, params).df()
