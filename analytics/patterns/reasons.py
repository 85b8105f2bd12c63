"""Absence by reason (attendance code) over weeks, months, quarters or years."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import Filter
from analytics.measures import marks_sql, rate_sql

REASON_PERIODS = {"week": "week", "month": "month", "quarter": "quarter", "year": "year"}


def reasons_over_time(
    con: duckdb.DuckDBPyConnection, f: Filter, freq: str = "month", absence_only: bool = True
) -> pd.DataFrame:
    """Sessions by code per period (``freq``: week, month, quarter or year), with meaning and category.

    ``rate`` is the code's sessions per 100 possible sessions in the period;
    ``share_of_absence`` its share of the period's absence sessions. With
    ``absence_only`` (the default) only absence codes are listed.
    """
    if freq not in REASON_PERIODS:
        raise ValueError(f"unknown period {freq!r}: choose from {', '.join(REASON_PERIODS)}")
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    # One pass: marks counted per period and code; a code is absence or not by its category, so
    # "only absence codes" keeps whole code rows, and the period's totals are sums of its rows.
    only = "WHERE b.absent" if absence_only else "WHERE b.code IS NOT NULL"
    sql = f"""
        WITH by_code AS (
            SELECT date_trunc('{REASON_PERIODS[freq]}', date)::DATE AS period, code,
                   any_value(category) AS category, count(*) AS sessions,
                   count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absences,
                   bool_and(absent) AS absent
            FROM ({marks}) x
            GROUP BY 1, 2
        ),
        totals AS (
            SELECT period, sum(possible)::BIGINT AS possible_sessions, sum(absences)::BIGINT AS absence_sessions
            FROM by_code GROUP BY period
        )
        SELECT b.period, b.code, c.meaning, b.category, b.sessions, t.possible_sessions,
               {rate_sql("b.sessions", "t.possible_sessions")} AS rate,
               CASE WHEN b.absent THEN {rate_sql("b.sessions", "t.absence_sessions")} END AS share_of_absence
        FROM by_code b JOIN totals t USING (period) LEFT JOIN codes c ON c.code = b.code
        {only}
        ORDER BY b.period, b.sessions DESC, b.code
    """
    return con.execute(sql, params).df()
