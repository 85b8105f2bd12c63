"""Absence either side of each holiday: the last and first school days around a break."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import Filter, school_filter
from analytics.measures import marks_sql, rate_sql
from analytics.school import half_terms_sql

# Names schools use for the break that follows each half-term.
HOLIDAY_NAMES = {
    ("autumn", 1): "October half-term",
    ("autumn", 2): "Christmas holiday",
    ("spring", 1): "February half-term",
    ("spring", 2): "Easter holiday",
    ("summer", 1): "May half-term",
    ("summer", 2): "Summer holiday",
}


def holiday_effect(con: duckdb.DuckDBPyConnection, f: Filter, days: int = 5) -> pd.DataFrame:
    """Absence in the last ``days`` school days before each holiday and the first ``days`` after it.

    A holiday is the gap between one half-term and the next in the school's
    calendar (within an academic year). School days are the days on which the
    school has any session marks. ``overall_rate`` is the absence rate over the
    filter's marks outside every before/after window; ``difference`` is the
    window's rate minus it, in points.
    """
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    ht, ht_params = half_terms_sql(f)
    sf_where, sf_params = school_filter(f).where("sm")
    sql = f"""
        WITH marks AS ({marks}),
        ht AS ({ht}),
        breaks AS (
            SELECT school_id, academic_year, term, half_term, end_date AS last_day, next_start AS first_day
            FROM (SELECT *, lead(start_date) OVER (PARTITION BY school_id, academic_year ORDER BY start_date)
                            AS next_start FROM ht)
            WHERE next_start IS NOT NULL
        ),
        school_days AS (
            SELECT DISTINCT sm.school_id, sm.date FROM session_marks sm WHERE {sf_where}
        ),
        windows AS (
            SELECT b.school_id, b.academic_year, b.term, b.half_term, 'before' AS side, d.date,
                   row_number() OVER (PARTITION BY b.school_id, b.academic_year, b.term, b.half_term
                                      ORDER BY d.date DESC) AS n
            FROM breaks b JOIN school_days d ON d.school_id = b.school_id AND d.date <= b.last_day
                                             AND d.date > b.last_day - 60
            UNION ALL
            SELECT b.school_id, b.academic_year, b.term, b.half_term, 'after' AS side, d.date,
                   row_number() OVER (PARTITION BY b.school_id, b.academic_year, b.term, b.half_term
                                      ORDER BY d.date) AS n
            FROM breaks b JOIN school_days d ON d.school_id = b.school_id AND d.date >= b.first_day
                                             AND d.date < b.first_day + 60
        ),
        -- Marks counted per school day first: which window a mark falls in depends on its school
        -- and date only, so days (thousands) are tagged rather than marks (millions).
        days AS (
            SELECT school_id, date, count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absent
            FROM marks GROUP BY school_id, date
        ),
        tagged AS (
            SELECT d.possible, d.absent, w.academic_year, w.term, w.half_term, w.side, w.date AS window_day
            FROM days d LEFT JOIN (SELECT * FROM windows WHERE n <= ?) w
              ON w.school_id = d.school_id AND w.date = d.date
        ),
        overall AS (
            SELECT {rate_sql("sum(absent)::BIGINT", "sum(possible)::BIGINT")} AS overall_rate
            FROM tagged WHERE side IS NULL
        )
        SELECT academic_year, term, half_term, side,
               min(window_day) AS start_date, max(window_day) AS end_date,
               sum(possible)::BIGINT AS possible_sessions,
               sum(absent)::BIGINT AS absence_sessions,
               {rate_sql("sum(absent)::BIGINT", "sum(possible)::BIGINT")} AS absence_rate,
               any_value(overall.overall_rate) AS overall_rate,
               {rate_sql("sum(absent)::BIGINT", "sum(possible)::BIGINT")} - any_value(overall.overall_rate) AS difference
        FROM tagged, overall
        WHERE side IS NOT NULL
        GROUP BY academic_year, term, half_term, side
        HAVING sum(possible) > 0
        ORDER BY academic_year, min(window_day)
    """
    df = con.execute(sql, params + ht_params + sf_params + [days]).df()
    names = [
        HOLIDAY_NAMES.get((t, h), f"Break after {t} {h}") for t, h in zip(df["term"], df["half_term"], strict=True)
    ]
    df.insert(0, "holiday", names)
    return df.drop(columns=["term", "half_term"])
