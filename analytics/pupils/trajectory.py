"""A pupil's attendance half-term on half-term: this half-term against the last, year to date now and then, and the Rule of 3."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from analytics.filters import Filter, require_pupil_level, school_filter
from analytics.measures import (
    AT_RISK_ATTENDANCE,
    PERSISTENT_LINE,
    SESSIONS_PER_DAY,
    flag_rate_sql,
    marks_sql,
    rate_sql,
)
from analytics.pupils.profile import enrolment_of, pupil_filter
from analytics.school import half_terms_sql

RULE_OF_THREE_DAYS = 3  # three days off in a half-term averages 90% attendance


def _latest_date(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[date | None, int | None]:
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    return con.execute(f"SELECT max(date), max(academic_year) FROM ({marks}) m", params).fetchone()


def first_day_needed(con: duckdb.DuckDBPyConnection, f: Filter, latest: date | None, year: int | None) -> date:
    """1 September of the filter's latest year, or of the year before when the latest mark is in its first half-term.

    The previous half-term is then last year's summer 2, so its marks are needed too.
    """
    start = date(year or 1900, 9, 1)
    if latest is None:
        return start
    ht, ht_params = half_terms_sql(f.replace(academic_year=None))
    earlier = con.execute(
        f"SELECT count(*) FROM ({ht}) h WHERE academic_year = ? AND start_date <= ?", [*ht_params, year, latest]
    ).fetchone()[0]
    return date(year - 1, 9, 1) if earlier < 2 else start


def half_term_attendance_sql(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[str, list]:
    """SQL for each pupil's attendance this half-term and last, and year to date now and at the last half-term's end.

    "This" half-term is the one (from the school's calendar) holding the latest
    mark in the filter; "previous" is the half-term before it, which may be in
    the previous academic year. ``ytd_now`` is attendance from the start of the
    academic year to the latest mark; ``ytd_previous`` the same at the end of
    the previous half-term (within that half-term's own academic year). The
    "newly below" flags use these year-to-date figures, because that is what
    persistent absence is judged on and a single half-term is too short (a week
    of flu would move it ten points).
    """
    latest, year = _latest_date(con, f)
    # Marks of the same pupils from the start of the previous academic year, whatever their enrolment
    # then (last year's Year 8 is this year's Year 9): pupils come from the filter, marks from the school.
    start = first_day_needed(con, f, latest, year)
    marks, m_params = marks_sql(f, pupils=False, enrolments=False)
    ht, ht_params = half_terms_sql(f.replace(academic_year=None))
    wide = school_filter(f).replace(date_from=start, date_to=latest, weekdays=f.weekdays, sessions=f.sessions)
    all_marks, a_params = marks_sql(wide, pupils=False, enrolments=False)
    # One pass over the marks, per pupil, with a FILTER for each period. Pupils are keyed by one
    # integer so no join or grouping runs on the UPN: within one academic year a pupil's enrolment
    # id; across years their first enrolment's id at the school.
    same_year = f.academic_year is not None and start.year == f.academic_year

    def keyed(alias: str) -> tuple[str, str]:
        if same_year:
            return f"{alias}.enrolment_id", ""
        return f"pk_{alias}.pkey", f"JOIN pk pk_{alias} ON pk_{alias}.enrolment_id = {alias}.enrolment_id"

    fm_key, fm_join = keyed("fm")
    a_key, a_join = keyed("a")
    # A mark counts up to its school's latest mark: tested inside each count, because as a WHERE
    # it becomes a range condition inside the join, the slow path over every mark.
    upto = "a.date <= b.latest"
    sql = f"""
        WITH pk AS (
            SELECT enrolment_id, min(enrolment_id) OVER (PARTITION BY school_id, upn) AS pkey FROM enrolments
        ),
        -- The pupils the filter covers, grouped on the integer key alone (the key's enrolment row
        -- names the school and pupil: within a year it is the enrolment, across years the first).
        pupils_in AS (
            SELECT k.pkey, e.school_id, e.upn, k.academic_year, k.latest
            FROM (SELECT {fm_key} AS pkey, max(fm.academic_year) AS academic_year, max(fm.date) AS latest
                  FROM ({marks}) fm {fm_join} GROUP BY 1) k
            JOIN enrolments e ON e.enrolment_id = k.pkey
        ),
        latest AS (SELECT school_id, max(latest) AS latest FROM pupils_in GROUP BY school_id),
        ht AS ({ht}),
        cur AS (
            SELECT ht.*, l.latest FROM ht JOIN latest l USING (school_id)
            WHERE ht.start_date <= l.latest
            QUALIFY row_number() OVER (PARTITION BY ht.school_id ORDER BY ht.start_date DESC) = 1
        ),
        prev AS (SELECT ht.* FROM ht JOIN cur ON cur.school_id = ht.school_id AND ht.seq = cur.seq - 1),
        -- The periods are the school's: this half-term, the previous one, and the two years to date.
        bounds AS (
            SELECT cur.school_id, cur.latest, cur.label AS half_term, prev.label AS previous_half_term,
                   cur.start_date AS cur_start, cur.academic_year AS cur_year,
                   prev.start_date AS prev_start, prev.end_date AS prev_end, prev.academic_year AS prev_year
            FROM cur LEFT JOIN prev ON prev.school_id = cur.school_id
        ),
        -- Each mark's period tests are computed once (four flags), then counted per pupil. Marks meet
        -- their school's periods (a join to a row per school, not per pupil: the per-pupil join was
        -- most of the cost at trust scale), and pupils outside the filter are dropped after counting.
        per_pupil AS (
            SELECT pkey,
                   count_if(possible AND is_this)::BIGINT AS possible_this,
                   count_if(attended AND is_this)::BIGINT AS attended_this,
                   count_if(possible AND is_prev)::BIGINT AS possible_previous,
                   count_if(attended AND is_prev)::BIGINT AS attended_previous,
                   count_if(possible AND is_ytd)::BIGINT AS possible_ytd,
                   count_if(attended AND is_ytd)::BIGINT AS attended_ytd,
                   count_if(possible AND is_ytd_prev)::BIGINT AS possible_ytd_previous,
                   count_if(attended AND is_ytd_prev)::BIGINT AS attended_ytd_previous
            FROM (
                SELECT {a_key} AS pkey, a.possible, a.attended,
                       {upto} AND a.date >= b.cur_start AS is_this,
                       {upto} AND a.date BETWEEN b.prev_start AND b.prev_end AS is_prev,
                       {upto} AND a.academic_year = b.cur_year AS is_ytd,
                       {upto} AND a.academic_year = b.prev_year AND a.date <= b.prev_end AS is_ytd_prev
                FROM ({all_marks}) a {a_join}
                JOIN bounds b ON b.school_id = a.school_id
            )
            GROUP BY pkey
        )
        SELECT pi.upn, p.surname, p.forename, e.year_group, e.form, pi.school_id,
               b.half_term, b.previous_half_term, t.possible_this, t.possible_previous,
               {rate_sql("t.attended_this", "t.possible_this")} AS attendance_this,
               {rate_sql("t.attended_previous", "t.possible_previous")} AS attendance_previous,
               {rate_sql("t.attended_this", "t.possible_this")}
                 - {rate_sql("t.attended_previous", "t.possible_previous")} AS change,
               {rate_sql("t.attended_ytd", "t.possible_ytd")} AS ytd_now,
               {rate_sql("t.attended_ytd_previous", "t.possible_ytd_previous")} AS ytd_previous,
               t.possible_ytd
        FROM per_pupil t
        JOIN pupils_in pi ON pi.pkey = t.pkey
        JOIN bounds b ON b.school_id = pi.school_id
        JOIN pupils p ON p.school_id = pi.school_id AND p.upn = pi.upn
        LEFT JOIN enrolments e ON e.school_id = pi.school_id AND e.upn = pi.upn AND e.academic_year = pi.academic_year
        WHERE t.possible_this > 0 OR t.possible_ytd > 0
    """
    return sql, m_params + ht_params + a_params


def trajectory(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Each pupil's attendance this half-term against the previous, and who has newly fallen below 95% or 90%.

    ``change`` is in percentage points (this minus previous half-term).
    ``newly_below_95`` / ``newly_below_90``: year-to-date attendance was at or
    above the line at the end of the previous half-term and is below it now
    (see ``half_term_attendance_sql``). Biggest falls first.
    """
    require_pupil_level(f)
    sql, params = half_term_attendance_sql(con, f)
    sql = f"""
        SELECT *,
               coalesce(ytd_previous >= ? AND ytd_now < ?, FALSE) AS newly_below_95,
               coalesce(ytd_previous >= ? AND ytd_now < ?, FALSE) AS newly_below_90
        FROM ({sql}) x
        ORDER BY change ASC NULLS LAST, ytd_now ASC, upn
    """
    lines = [AT_RISK_ATTENDANCE, AT_RISK_ATTENDANCE, PERSISTENT_LINE, PERSISTENT_LINE]
    return con.execute(sql, [*lines, *params]).df()


def rule_of_three(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> pd.DataFrame:
    """Days off in each half-term of the year against the 90% line ("Rule of 3").

    Three days off in a six- or seven-week half-term averages 90% attendance.
    ``status``: 'under' (fewer than 3 days), 'at' (exactly 3), 'over' (more:
    below 90% if it continues); ``in_progress`` marks the half-term still running.
    """
    require_pupil_level(f)
    enrolment = enrolment_of(con, f, upn)
    columns = ["half_term", "term", "start_date", "end_date", "possible_sessions", "absence_sessions", "days_off"]
    if not enrolment:
        return pd.DataFrame(columns=[*columns, "attendance_rate", "status", "in_progress"])
    g = pupil_filter(f, enrolment).replace(date_from=None, term=None, half_term=None, weekdays=(), sessions=())
    marks, params = marks_sql(g, pupils=False, enrolments=False)
    ht, ht_params = half_terms_sql(g)
    sql = f"""
        WITH m AS ({marks}), ht AS ({ht})
        SELECT ht.label AS half_term, ht.term, ht.start_date, ht.end_date,
               count(*) FILTER (WHERE m.possible) AS possible_sessions,
               count(*) FILTER (WHERE m.absent) AS absence_sessions,
               count(*) FILTER (WHERE m.absent) / {SESSIONS_PER_DAY} AS days_off,
               100.0 - {flag_rate_sql("m.absent", "m.possible")}
                   AS attendance_rate,
               CASE WHEN count(*) FILTER (WHERE m.absent) < {RULE_OF_THREE_DAYS * SESSIONS_PER_DAY} THEN 'under'
                    WHEN count(*) FILTER (WHERE m.absent) = {RULE_OF_THREE_DAYS * SESSIONS_PER_DAY} THEN 'at'
                    ELSE 'over' END AS status,
               ht.end_date > (SELECT max(date) FROM m) AS in_progress
        FROM ht JOIN m ON m.school_id = ht.school_id AND m.date BETWEEN ht.start_date AND ht.end_date
        WHERE ht.school_id = ? AND ht.academic_year = ?
        GROUP BY ht.label, ht.term, ht.start_date, ht.end_date
        HAVING count(*) FILTER (WHERE m.possible) > 0
        ORDER BY ht.start_date
    """
    return con.execute(sql, [*params, *ht_params, enrolment["school_id"], enrolment["academic_year"]]).df()
