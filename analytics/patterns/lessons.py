"""Lesson registers: absence by weekday and period, by subject, and lessons missed after registration."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import Filter, require_pupil_level
from analytics.measures import flag_rate_sql, marks_sql
from analytics.patterns.weekdays import weekday_names

# Lessons counted by what happened in them: the columns every table of lessons shares.
LESSON_COUNTS_SQL = """count(*) FILTER (WHERE possible) AS possible_lessons,
               count(*) FILTER (WHERE absent) AS absent_lessons,
               count(*) FILTER (WHERE authorised) AS authorised_lessons,
               count(*) FILTER (WHERE unauthorised) AS unauthorised_lessons,
               count(*) FILTER (WHERE late_l OR late_u) AS late_lessons"""
POST_REGISTRATION_BY = ("subject", "pupil", "period", "pupil_subject")


def lesson_absence_by_period_weekday(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Lesson registers, weekday x period: possible lessons, absent lessons, lateness, rates.

    ``period`` is the period number where the export gave one, else the period as exported.
    """
    marks, params = marks_sql(f, table="lesson_marks", pupils=False, enrolments=False)
    sql = f"""
        SELECT isodow(date) AS weekday,
               coalesce(CAST(period_number AS VARCHAR), period) AS period,
               min(period_number) AS period_number,
               {LESSON_COUNTS_SQL},
               {flag_rate_sql("absent")} AS absence_rate,
               {flag_rate_sql("late_l OR late_u")} AS lateness_rate
        FROM ({marks}) m
        GROUP BY 1, 2
        HAVING count(*) FILTER (WHERE possible) > 0
        ORDER BY weekday, min(period_number) NULLS LAST, period
    """
    return weekday_names(con.execute(sql, params).df())


def lesson_absence_by_subject(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Lesson registers by subject: possible and absent lessons, lateness and average minutes late."""
    marks, params = marks_sql(f, table="lesson_marks", pupils=False, enrolments=False)
    sql = f"""
        SELECT coalesce(subject, 'Unknown') AS subject,
               count(DISTINCT upn) FILTER (WHERE possible) AS pupils,
               {LESSON_COUNTS_SQL},
               avg(minutes_late) FILTER (WHERE minutes_late > 0) AS average_minutes_late,
               {flag_rate_sql("absent")} AS absence_rate,
               {flag_rate_sql("late_l OR late_u")} AS lateness_rate
        FROM ({marks}) m
        GROUP BY 1
        HAVING count(*) FILTER (WHERE possible) > 0
        ORDER BY absence_rate DESC, subject
    """
    return con.execute(sql, params).df()


def post_registration_sql(f: Filter) -> tuple[str, list]:
    """Each lesson mark beside its pupil's session mark for that date and session.

    ``present_at_registration``: the session register shows the pupil present
    (``/``, ``\\`` or ``L``): approved off-site activity is not "in school".
    ``post_registration``: that, and the lesson marked with an absence code.
    """
    lessons, l_params = marks_sql(f, table="lesson_marks", pupils=False)
    sessions, s_params = marks_sql(f, pupils=False, enrolments=False)
    sql = f"""
        SELECT l.*, coalesce(s.present, FALSE) AS present_at_registration,
               coalesce(s.present, FALSE) AND l.absent AS post_registration
        FROM ({lessons}) l
        LEFT JOIN ({sessions}) s  -- the same pupil's enrolment: one integer rather than school and UPN
          ON s.enrolment_id = l.enrolment_id AND s.date = l.date AND s.session = l.session
    """
    return sql, l_params + s_params


def post_registration_absence(con: duckdb.DuckDBPyConnection, f: Filter, by: str = "subject") -> pd.DataFrame:
    """Lessons missed after being marked present at registration, by subject, pupil, period or pupil x subject.

    ``rate`` = post-registration absences / lessons the pupil was present at
    registration for (per 100). Pupil rows (``by`` = pupil or pupil_subject)
    carry names and are sorted by the count, most first.
    """
    if by not in POST_REGISTRATION_BY:
        raise ValueError(f"unknown breakdown {by!r}: choose from {', '.join(POST_REGISTRATION_BY)}")
    base, params = post_registration_sql(f)
    keys = {
        "subject": ["coalesce(subject, 'Unknown') AS subject"],
        "period": ["coalesce(CAST(period_number AS VARCHAR), period) AS period"],
        "pupil": ["school_id", "upn"],
        "pupil_subject": ["school_id", "upn", "coalesce(subject, 'Unknown') AS subject"],
    }[by]
    names = ""
    if by.startswith("pupil"):
        require_pupil_level(f)
        names = """, any_value(p.surname) AS surname, any_value(p.forename) AS forename,
                   any_value(x.year_group) AS year_group, any_value(x.form) AS form"""
    else:
        names = ", count(DISTINCT x.upn) FILTER (WHERE post_registration) AS pupils"
    cols = ", ".join(k if " AS " in k else f"x.{k} AS {k}" for k in keys)
    join = "LEFT JOIN pupils p ON p.school_id = x.school_id AND p.upn = x.upn" if by.startswith("pupil") else ""
    order = "post_registration_absences DESC, rate DESC" + (", surname, forename" if by.startswith("pupil") else "")
    if by == "period":
        order = "min(period_number) NULLS LAST, period"
    sql = f"""
        SELECT {cols}{names},
               count(*) FILTER (WHERE x.possible) AS possible_lessons,
               count(*) FILTER (WHERE x.possible AND x.present_at_registration) AS lessons_present_at_registration,
               count(*) FILTER (WHERE x.post_registration) AS post_registration_absences,
               100.0 * count(*) FILTER (WHERE x.post_registration)
                     / nullif(count(*) FILTER (WHERE x.possible AND x.present_at_registration), 0) AS rate
        FROM ({base}) x {join}
        GROUP BY {", ".join(str(i + 1) for i in range(len(keys)))}
        {"HAVING count(*) FILTER (WHERE x.post_registration) > 0" if by.startswith("pupil") else "HAVING count(*) FILTER (WHERE x.possible) > 0"}
        ORDER BY {order}
    """
    df = con.execute(sql, params).df()
    if by.startswith("pupil"):
        lead = ["upn", "surname", "forename", "year_group", "form"]
        df = df[lead + [c for c in df.columns if c not in lead]]
    return df
