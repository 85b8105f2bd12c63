"""Time lost, for conversations with parents: days, lessons and hours missed so far and projected to July.

The figures only; the sentences a parent reads are ``ui.road_words.time_lost_sentences``.
"""

from __future__ import annotations

from datetime import date

import duckdb

from analytics.filters import Filter, require_pupil_level
from analytics.measures import (
    SESSIONS_PER_DAY,
    marks_sql,
)
from analytics.pupils.profile import enrolment_of, pupil_filter

SESSIONS_PER_YEAR = 380  # DfE: a full school year is 380 possible sessions (190 days)

DEFAULT_LESSON_MINUTES = 60  # when the lesson length cannot be inferred from the periods in a day

TEACHING_MINUTES_PER_DAY = 300  # about five hours of lessons in a secondary school day


def _lesson_minutes(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[int, str]:
    """Lesson length: five hours of teaching shared across the usual number of periods in a day, else 60.

    The usual number is the most common count of distinct periods the pupil has
    in a day in their lesson registers (5 periods -> 60 minutes, 6 -> 50).
    """
    marks, params = marks_sql(f, table="lesson_marks", pupils=False, enrolments=False)
    periods = con.execute(
        f"""
        SELECT mode(n) FROM (SELECT count(DISTINCT coalesce(CAST(period_number AS VARCHAR), period)) AS n
                             FROM ({marks}) m GROUP BY school_id, upn, date)
        """,
        params,
    ).fetchone()[0]
    if periods and 4 <= periods <= 8:
        minutes = int(5 * round(TEACHING_MINUTES_PER_DAY / periods / 5))
        return minutes, f"{periods} lessons a day, about {minutes} minutes each"
    return DEFAULT_LESSON_MINUTES, f"{DEFAULT_LESSON_MINUTES} minutes a lesson assumed"


def _year_sessions(con: duckdb.DuckDBPyConnection, school_id: str, year: int, latest: date) -> tuple[int, str]:
    """Sessions in the school year: from the calendar when it runs to the summer, else the DfE's 380."""
    row = con.execute(
        """
        SELECT max(end_date), sum((SELECT count(*) FROM range(start_date, end_date + 1, INTERVAL 1 DAY) r(d)
                                   WHERE isodow(d) <= 5))
        FROM calendar WHERE school_id = ? AND academic_year = ?
        """,
        [school_id, year],
    ).fetchone()
    end, weekdays = row
    if end is not None and end > latest and end.month in (6, 7, 8) and weekdays:
        return int(weekdays) * SESSIONS_PER_DAY, "the school calendar"
    return SESSIONS_PER_YEAR, "a standard 190-day year"


def _year_so_far(con: duckdb.DuckDBPyConnection, g: Filter, enrolment: dict) -> tuple:
    """The pupil's sessions so far (possible, absent, authorised, unauthorised, latest date), the sessions the
    school has held to that date, and their lessons (possible, absent)."""
    marks, params = marks_sql(g, pupils=False, enrolments=False)
    lessons, l_params = marks_sql(g, table="lesson_marks", pupils=False, enrolments=False)
    return con.execute(
        f"""
        WITH m AS (
            SELECT count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absent,
                   count(*) FILTER (WHERE authorised) AS authorised,
                   count(*) FILTER (WHERE unauthorised) AS unauthorised, max(date) AS latest
            FROM ({marks}) m
        ),
        l AS (SELECT count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absent
              FROM ({lessons}) l)
        SELECT m.*,
               -- sessions the school has held so far: a calendar fact, not a measure, so the raw marks
               (SELECT count(DISTINCT (sm.date, sm.session)) FROM session_marks sm
                 WHERE sm.school_id = ? AND sm.academic_year = ? AND sm.date <= m.latest),
               l.possible, l.absent
        FROM m, l
        """,
        [*params, *l_params, enrolment["school_id"], enrolment["academic_year"]],
    ).fetchone()


def _lessons_lost(
    con: duckdb.DuckDBPyConnection, g: Filter, possible: int, remaining: int, lessons: tuple[int, int]
) -> dict:
    """Lessons and hours missed so far and projected: the pupil's lesson rate over the lessons left."""
    possible_lessons, absent_lessons = lessons
    minutes, basis = _lesson_minutes(con, g)
    lesson_rate = absent_lessons / possible_lessons
    # Lessons left in the year: the pupil's lessons per session so far, over the sessions left.
    lessons_left = remaining * possible_lessons / possible
    projected = absent_lessons + lesson_rate * lessons_left
    return {
        "lessons_missed": absent_lessons,
        "lesson_minutes": minutes,
        "lesson_basis": basis,
        "hours_missed": absent_lessons * minutes / 60,
        "projected_lessons_missed": projected,
        "projected_hours_missed": projected * minutes / 60,
    }


def time_lost(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> dict:
    """Time missed, for conversations with parents: days, lessons and hours, so far and projected to July.

    Days = absence sessions / 2. Lessons: absent lesson marks where the school
    keeps lesson registers; hours assume the lesson length from
    ``_lesson_minutes``. The projection applies the pupil's absence rate so far
    to the sessions left in the year: the year's sessions (calendar, else 380)
    minus the sessions the school has held so far, as long as the pupil is on
    roll. Returns {} when the pupil has no possible session in the year.
    """
    require_pupil_level(f)
    enrolment = enrolment_of(con, f, upn)
    if not enrolment:
        return {}
    # The year so far: from 1 September to the filter's end date, or to the latest mark.
    g = pupil_filter(f, enrolment).replace(date_from=None, term=None, half_term=None, weekdays=(), sessions=())
    possible, absent, authorised, unauthorised, latest, held, *lessons = _year_so_far(con, g, enrolment)
    if not possible:
        return {}
    year_sessions, year_basis = _year_sessions(con, enrolment["school_id"], enrolment["academic_year"], latest)
    leaving = enrolment.get("leaving_date")
    remaining = 0 if leaving is not None and leaving <= latest else max(year_sessions - held, 0)
    projected_sessions = absent + absent / possible * remaining
    projected_days = projected_sessions / SESSIONS_PER_DAY
    result = {
        "upn": upn,
        "forename": enrolment.get("forename"),
        "academic_year": enrolment["academic_year"],
        "as_of": latest,
        "possible_sessions": possible,
        "absence_sessions": absent,
        "authorised_sessions": authorised,
        "unauthorised_sessions": unauthorised,
        "attendance_rate": 100.0 * (possible - absent) / possible,
        "days_missed": absent / SESSIONS_PER_DAY,
        "sessions_held_so_far": held,
        "year_sessions": year_sessions,
        "year_basis": year_basis,
        "remaining_sessions": remaining,
        "projected_absence_sessions": projected_sessions,
        "projected_days_missed": projected_days,
        "projected_weeks_missed": projected_days / 5,
        "lessons_missed": None,
        "lesson_minutes": None,
        "lesson_basis": None,
        "hours_missed": None,
        "projected_lessons_missed": None,
        "projected_hours_missed": None,
    }
    if lessons[0]:
        result.update(_lessons_lost(con, g, possible, remaining, tuple(lessons)))
    return result
