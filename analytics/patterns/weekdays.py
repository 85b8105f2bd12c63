"""Absence by weekday and session (AM/PM), with lateness shown apart."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import WEEKDAYS, Filter
from analytics.measures import flag_rate_sql, marks_sql, session_counts_sql

# Sessions counted by what happened in them: the columns the weekday and weekly tables share.
WEEKDAY_COUNTS = ("possible_sessions", "absence_sessions", "authorised_sessions", "unauthorised_sessions")


def weekday_names(df: pd.DataFrame, column: str = "weekday") -> pd.DataFrame:
    """Add ``weekday_name`` beside an ISO weekday column (small frames only)."""
    if column in df.columns:
        df.insert(df.columns.get_loc(column) + 1, "weekday_name", [WEEKDAYS[int(d) - 1] for d in df[column]])
    return df


def absence_by_weekday_session(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Weekday x AM/PM: possible sessions, absence (authorised, unauthorised) and lateness.

    Lateness is shown separately: ``late_before_close`` (L, counts as present)
    and ``late_after_close`` (U, counts as unauthorised absence), and
    ``lateness_rate`` = (L + U) / possible sessions.
    """
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    sql = f"""
        SELECT isodow(date) AS weekday, session,
               {session_counts_sql(*WEEKDAY_COUNTS, "late_before_close", "late_after_close")},
               {flag_rate_sql("absent")} AS absence_rate,
               {flag_rate_sql("authorised")} AS authorised_rate,
               {flag_rate_sql("unauthorised")} AS unauthorised_rate,
               {flag_rate_sql("late_l OR late_u")} AS lateness_rate
        FROM ({marks}) m
        GROUP BY ALL
        HAVING count(*) FILTER (WHERE possible) > 0
        ORDER BY weekday, session
    """
    return weekday_names(con.execute(sql, params).df())
