"""Alerts the registration rules ask a school to act on.

- ``ten_day_absences``: pupils absent for 10 or more consecutive school days
  (continuing absence; unauthorised absence of that length must be reported to
  the local authority), with the day it started and whether it is still going.
- ``unresolved_n_codes``: ``N`` marks (no reason yet) older than five school
  days, by form and by who took the register.
- ``latest_marks``: the date of the latest mark and how many school days old it
  is, so that a page or a pack built on old marks says so.

School days are counted from the register itself: a run of absence is read
from the stored spells (``data.on_roll``), which hold possible sessions only,
so a holiday or a ``#`` (school closed) neither breaks a run nor lengthens it.
Legacy codes after August 2024 are a data-quality question (``data.quality``).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import duckdb
import pandas as pd

from analytics.filters import Filter, require_pupil_level
from analytics.measures import SESSIONS_PER_DAY, marks_sql
from data.scope import Scope

CONTINUOUS_SCHOOL_DAYS = 10  # registration rules: 10 or more consecutive school days absent
N_CODE_SCHOOL_DAYS = 5  # an N (no reason yet) should be resolved within 5 school days
STALE_SCHOOL_DAYS = 3  # marks more than 3 school days old: figures are out of date
# Pupil columns first on every list, as in analytics.lists.
_PUPIL = "s.upn, p.surname, p.forename, e.year_group, e.form, s.school_id"
_K = "(date_diff('day', DATE '2000-01-01', {d}) * 2 + ({s} = 'PM')::INTEGER)"  # a session as an integer


def _whole_years(f: Filter) -> Filter:
    """The filter's pupils over whole years: a run of absence does not stop at a chosen date or weekday."""
    return f.whole_year().replace(weekdays=(), sessions=())


def ten_day_absences(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Pupils absent every possible session for 10 or more consecutive school days, still going first.

    One row per run: pupil columns, ``start_date``, ``start_session``,
    ``end_date``, ``end_session``, ``sessions``, ``school_days``,
    ``unauthorised_sessions``, ``codes``, ``unauthorised`` (every session of
    the run unauthorised: the school must tell the local authority) and
    ``ongoing`` (no possible session after it, and the pupil has not left).
    A date range in the filter keeps the runs that overlap it.
    """
    require_pupil_level(f)
    where, params = _whole_years(f).where("s", "e", "p")
    period, p_params = [], []
    if f.date_from is not None:
        period.append("s.end_date >= ?")
        p_params.append(f.date_from)
    if f.date_to is not None:
        period.append("s.start_date <= ?")
        p_params.append(f.date_to)
    sql = f"""
        WITH runs AS (
            SELECT s.* FROM on_roll_spells s
            JOIN enrolments e ON e.enrolment_id = s.enrolment_id
            LEFT JOIN pupils p ON p.school_id = s.school_id AND p.upn = s.upn
            WHERE {where} AND s.sessions >= ? {"".join(" AND " + c for c in period)}
        ),
        last_possible AS (
            SELECT enrolment_id, max({_K.format(d="date", s="session")}) AS k
            FROM on_roll_sessions
            WHERE possible AND enrolment_id IN (SELECT enrolment_id FROM runs)
            GROUP BY enrolment_id
        )
        SELECT {_PUPIL}, s.academic_year, s.start_date, s.start_session, s.end_date, s.end_session,
               s.sessions, s.sessions / {SESSIONS_PER_DAY} AS school_days, s.unauthorised_sessions, s.codes,
               s.unauthorised_sessions = s.sessions AS unauthorised,
               lp.k = {_K.format(d="s.end_date", s="s.end_session")} AND e.leaving_date IS NULL AS ongoing
        FROM runs s
        JOIN enrolments e ON e.enrolment_id = s.enrolment_id
        LEFT JOIN pupils p ON p.school_id = s.school_id AND p.upn = s.upn
        LEFT JOIN last_possible lp ON lp.enrolment_id = s.enrolment_id
        ORDER BY ongoing DESC, s.start_date, s.upn
    """
    return con.execute(sql, [*params, CONTINUOUS_SCHOOL_DAYS * SESSIONS_PER_DAY, *p_params]).df()


def continuing_absence(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> dict | None:
    """The pupil's run of 10 or more school days absent that is still going, or None.

    Keys: ``start_date``, ``start_session``, ``school_days``, ``sessions``,
    ``unauthorised`` (as ``ten_day_absences``).
    """
    runs = ten_day_absences(con, f.replace(upns=(upn,), date_from=None, date_to=None))
    runs = runs[runs["ongoing"].fillna(False).astype(bool)]
    if runs.empty:
        return None
    row = runs.sort_values("start_date").iloc[-1]
    return {
        "start_date": pd.Timestamp(row["start_date"]).date(),
        "start_session": row["start_session"],
        "school_days": float(row["school_days"]),
        "sessions": int(row["sessions"]),
        "unauthorised": bool(row["unauthorised"]),
    }


def _schools_only(f: Filter) -> Filter:
    """The filter's schools (and the user's) and nothing else: the school's days are every pupil's."""
    return Filter(school_ids=f.school_ids, scope=Scope(school_ids=f.scope.school_ids))


def _school_days_sql(f: Filter) -> tuple[str, list]:
    """The school days (dates with any session mark) of the filter's schools, numbered per school."""
    where, params = _schools_only(f).replace(academic_year=f.academic_year).where("sm")
    sql = f"""
        SELECT school_id, date, row_number() OVER (PARTITION BY school_id ORDER BY date) AS day_no
        FROM (SELECT DISTINCT sm.school_id, sm.date FROM session_marks sm WHERE {where})
    """
    return sql, params


def unresolved_n_codes(con: duckdb.DuckDBPyConnection, f: Filter, as_of: date | None = None) -> pd.DataFrame:
    """``N`` marks still without a reason more than five school days after the session, by form and register taker.

    ``as_of`` defaults to the school's latest day of marks. Columns: ``form``,
    ``recorded_by`` (who took the register, or "not in the export"), ``marks``,
    ``pupils``, ``oldest`` (the earliest such session), most marks first.
    Counts only: fit for every role.
    """
    marks, params = marks_sql(f.replace(date_to=as_of) if as_of else f, pupils=False)
    days, d_params = _school_days_sql(f)
    # Older files (and exports that do not say) have no register taker.
    recorded_by = "sm.recorded_by" if _has_recorded_by(con) else "NULL"
    sql = f"""
        WITH days AS ({days}),
        now AS (SELECT school_id, max(day_no) AS day_no FROM days WHERE ? IS NULL OR date <= ? GROUP BY school_id)
        SELECT coalesce(m.form, '(no form)') AS form,
               coalesce({recorded_by}, 'not in the export') AS recorded_by,
               count(*) AS marks, count(DISTINCT m.upn) AS pupils, min(m.date) AS oldest
        FROM ({marks}) m
        JOIN days d ON d.school_id = m.school_id AND d.date = m.date
        JOIN now ON now.school_id = m.school_id
        LEFT JOIN session_marks sm
          ON sm.school_id = m.school_id AND sm.upn = m.upn AND sm.date = m.date AND sm.session = m.session
        WHERE m.code = 'N' AND now.day_no - d.day_no > ?
        GROUP BY ALL
        ORDER BY marks DESC, form, recorded_by
    """
    return con.execute(sql, [*d_params, as_of, as_of, *params, N_CODE_SCHOOL_DAYS]).df()


def _has_recorded_by(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'session_marks' AND column_name = 'recorded_by'"
        ).fetchone()[0]
    )


def school_days_between(after: date, until: date, holidays: list[tuple[date, date]] = ()) -> int:
    """Weekdays after ``after`` up to and including ``until``, leaving out the holidays given (first, last)."""
    n, day = 0, after + timedelta(days=1)
    while day <= until:
        if day.isoweekday() <= 5 and day.month != 8 and not any(a <= day <= b for a, b in holidays):
            n += 1
        day += timedelta(days=1)
    return n


def _holidays(con: duckdb.DuckDBPyConnection, f: Filter) -> list[tuple[date, date]]:
    """The gaps between the school's half-terms (its calendar): no registers are due in them."""
    where, params = _schools_only(f).where("c")
    rows = con.execute(
        f"""SELECT start_date, end_date FROM calendar c WHERE {where} ORDER BY start_date""", params
    ).fetchall()
    return [
        (a_end + timedelta(days=1), b_start - timedelta(days=1))
        for (_, a_end), (b_start, _) in pairwise(rows)
        if b_start > a_end + timedelta(days=1)
    ]


def latest_marks(con: duckdb.DuckDBPyConnection, f: Filter, today: date | None = None) -> dict:
    """How fresh the register is: ``latest_date`` (the latest session mark in the filter's schools),
    ``school_days_since`` (weekdays since then up to ``today``, outside the calendar's holidays and August)
    and ``stale`` (more than ``STALE_SCHOOL_DAYS``).
    """
    where, params = _schools_only(f).where("sm")
    latest = con.execute(f"SELECT max(sm.date) FROM session_marks sm WHERE {where}", params).fetchone()[0]
    if latest is None:
        return {"latest_date": None, "school_days_since": None, "stale": False}
    since = school_days_between(latest, today or date.today(), _holidays(con, f))
    return {"latest_date": latest, "school_days_since": since, "stale": since > STALE_SCHOOL_DAYS}
