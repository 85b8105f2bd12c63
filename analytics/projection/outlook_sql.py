"""The SQL behind the road to the end of the year (``analytics.projection``): one query, per enrolment.

Kept apart from the public functions because it is long: every step is a named CTE with a comment.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from analytics.filters import Filter, Scope, school_filter
from analytics.measures import (
    PENALTY_SESSIONS,
    PENALTY_WEEKS,
    PERSISTENT_ABSENCE,
    SESSIONS_PER_DAY,
    marks_sql,
    rate_sql,
)
from analytics.pupils.time_lost import SESSIONS_PER_YEAR

BASIS_CALENDAR = "calendar"  # the school calendar reaches past the latest mark into the summer term
BASIS_STANDARD = "standard"  # no calendar beyond the latest mark: a standard 380-session year


def _year_of(con: duckdb.DuckDBPyConnection, f: Filter) -> int | None:
    """The filter's academic year, else the latest year with marks in its schools."""
    if f.academic_year is not None:
        return f.academic_year
    where, params = Filter(school_ids=f.school_ids, scope=Scope(school_ids=f.scope.school_ids)).where("m")
    return con.execute(f"SELECT max(academic_year) FROM on_roll_sessions m WHERE {where}", params).fetchone()[0]


def outlook_sql(
    con: duckdb.DuckDBPyConnection, f: Filter, as_of: date | None, target: float, bad_week: int
) -> tuple[str, list] | None:
    """The SELECT behind ``year_end_outlook`` and its parameters (None when the filter has no year)."""
    year = _year_of(con, f)
    if year is None:
        return None
    g = f.whole_year().replace(academic_year=year, weekdays=(), sessions=(), date_to=as_of)
    marks, params = marks_sql(g, pupils=False, enrolments=False)
    sm_where, sm_params = school_filter(f).where("sm")
    # The school's marked sessions from far enough back for a penalty window before the year began.
    since = date(year, 9, 1) - timedelta(days=7 * 4 * PENALTY_WEEKS)
    spd = SESSIONS_PER_DAY
    sql = f"""
        WITH m AS ({marks}),
        -- Sessions the school held (any mark): a calendar fact, so the raw marks. Made distinct before
        -- any join, so the big scan is one grouping on a few thousand keys.
        held_sessions AS (
            SELECT DISTINCT sm.school_id, sm.date, sm.session, sm.academic_year
            FROM session_marks sm WHERE {sm_where} AND sm.date BETWEEN ? AND ?
        ),
        -- Each school's latest register of the year (or the day asked for): the marks ``m`` are read
        -- once, by ``so_far``, and stream rather than being held for a second reader.
        now_date AS (
            SELECT school_id, coalesce(?::DATE, max(date)) AS as_of FROM held_sessions
            WHERE academic_year = ? GROUP BY school_id
        ),
        cal AS (
            SELECT c.school_id, c.term, c.start_date, c.end_date
            FROM calendar c JOIN now_date a ON a.school_id = c.school_id WHERE c.academic_year = ?
        ),
        held AS (
            SELECT a.school_id, count(*) FILTER (WHERE h.academic_year = ? AND h.date <= a.as_of) AS held
            FROM held_sessions h JOIN now_date a ON a.school_id = h.school_id GROUP BY a.school_id
        ),
        school AS (
            SELECT a.school_id, a.as_of, coalesce(h.held, 0) AS held,
                   CASE WHEN max(c.end_date) > a.as_of AND coalesce(bool_or(c.term = 'summer'), FALSE)
                        THEN '{BASIS_CALENDAR}' ELSE '{BASIS_STANDARD}' END AS basis,
                   max(c.end_date) AS cal_end,
                   max(c.start_date) FILTER (WHERE c.start_date <= a.as_of) AS ht_start,
                   arg_max(c.end_date, c.start_date) FILTER (WHERE c.start_date <= a.as_of) AS ht_end
            FROM now_date a LEFT JOIN cal c ON c.school_id = a.school_id LEFT JOIN held h ON h.school_id = a.school_id
            GROUP BY a.school_id, a.as_of, h.held
        ),
        -- The school days still to come: the calendar's, or on a standard year as many weekdays as
        -- the 380 sessions leave (holidays unknown, so only their count is meaningful).
        fdays AS (
            SELECT DISTINCT s.school_id, t.d::DATE AS day
            FROM school s JOIN cal c ON c.school_id = s.school_id,
                 unnest(generate_series(greatest(c.start_date, s.as_of + 1)::TIMESTAMP, c.end_date::TIMESTAMP,
                                        INTERVAL 1 DAY)) t(d)
            WHERE s.basis = '{BASIS_CALENDAR}' AND isodow(t.d) <= 5
            UNION ALL
            SELECT school_id, day FROM (
                SELECT s.school_id, t.d::DATE AS day, s.held,
                       row_number() OVER (PARTITION BY s.school_id ORDER BY t.d) AS n
                FROM school s,
                     unnest(generate_series((s.as_of + 1)::TIMESTAMP, (s.as_of + 400)::TIMESTAMP,
                                            INTERVAL 1 DAY)) t(d)
                WHERE s.basis = '{BASIS_STANDARD}' AND isodow(t.d) <= 5
            ) WHERE n <= greatest({SESSIONS_PER_YEAR} - held, 0) // {spd}
        ),
        fweeks AS (
            SELECT fd.school_id, date_trunc('week', fd.day)::DATE AS week_start, count(*) AS days,
                   count(*) FILTER (WHERE fd.day <= s.ht_end) AS ht_days, max(fd.day) AS last_day
            FROM fdays fd JOIN school s ON s.school_id = fd.school_id GROUP BY ALL
        ),
        -- Every mark is up to its school's as_of already (the filter ends there), so the counts need
        -- no date test but the half-term's start, inside each count rather than in the join.
        so_far AS (
            SELECT m.enrolment_id, any_value(m.school_id) AS school_id,
                   count(*) FILTER (WHERE m.possible) AS possible,
                   count(*) FILTER (WHERE m.absent) AS absent,
                   count(*) FILTER (WHERE m.unauthorised) AS unauthorised,
                   count(*) FILTER (WHERE m.possible AND m.date >= s.ht_start) AS possible_since,
                   count(*) FILTER (WHERE m.absent AND m.date >= s.ht_start) AS absent_since,
                   count(*) FILTER (WHERE m.unauthorised AND m.date >= s.ht_start) AS unauthorised_since
            FROM m JOIN school s ON s.school_id = m.school_id
            GROUP BY m.enrolment_id
            HAVING count(*) FILTER (WHERE m.possible) > 0
        ),
        -- The rate since half-term, as a fraction (numerator, denominator) kept in integers so that
        -- reaching a threshold is decided exactly; the year to date where nothing is possible since.
        -- ``whole``: on roll for every school day left (most pupils), so the school's weeks are theirs.
        pupil AS (
            SELECT p.*, e.upn, e.admission_date, e.leaving_date,
                   CASE WHEN possible_since > 0 THEN absent_since ELSE absent END AS r_abs,
                   CASE WHEN possible_since > 0 THEN unauthorised_since ELSE unauthorised END AS r_unauth,
                   CASE WHEN possible_since > 0 THEN possible_since ELSE possible END AS r_possible,
                   coalesce(e.admission_date <= s.as_of, TRUE)
                       AND coalesce(e.leaving_date >= (SELECT max(day) FROM fdays fd WHERE fd.school_id = s.school_id),
                                    TRUE) AS whole
            FROM so_far p JOIN enrolments e ON e.enrolment_id = p.enrolment_id
            JOIN school s ON s.school_id = p.school_id
        ),
        pfuture AS (  -- each pupil's school days to come, by week
            SELECT p.enrolment_id, fw.week_start, fw.days, fw.ht_days
            FROM pupil p JOIN fweeks fw ON fw.school_id = p.school_id WHERE p.whole
            UNION ALL
            SELECT p.enrolment_id, date_trunc('week', fd.day)::DATE, count(*),
                   count(*) FILTER (WHERE fd.day <= s.ht_end)
            FROM pupil p JOIN fdays fd ON fd.school_id = p.school_id JOIN school s ON s.school_id = p.school_id
            WHERE NOT p.whole AND fd.day >= coalesce(p.admission_date, DATE '0001-01-01')
              AND fd.day <= coalesce(p.leaving_date, DATE '9999-12-31')
            GROUP BY ALL
        ),
        left_in AS (
            SELECT enrolment_id, sum(days) AS days_left, sum(ht_days) AS ht_days_left
            FROM pfuture GROUP BY enrolment_id
        ),
        -- School weeks for the penalty-notice window: the school's last weeks with marks up to as_of
        -- (enough for every window ending in the last {PENALTY_WEEKS}) and the weeks still to come.
        past_weeks AS (
            SELECT school_id, week_start FROM (
                SELECT DISTINCT h.school_id, date_trunc('week', h.date)::DATE AS week_start
                FROM held_sessions h JOIN now_date a ON a.school_id = h.school_id
                WHERE h.date <= a.as_of
            ) QUALIFY row_number() OVER (PARTITION BY school_id ORDER BY week_start DESC) <= {2 * PENALTY_WEEKS - 1}
        ),
        weeks AS (
            SELECT school_id, week_start, row_number() OVER (PARTITION BY school_id ORDER BY week_start) AS week_no
            FROM (SELECT school_id, week_start FROM past_weeks UNION SELECT school_id, week_start FROM fweeks)
        ),
        now_week AS (  -- the school week holding as_of (or the last before it, for a date in a holiday)
            SELECT w.school_id, max(w.week_no) AS week_no, min(w.week_start) AS first_week
            FROM weeks w JOIN school s ON s.school_id = w.school_id
            WHERE w.week_start <= s.as_of GROUP BY w.school_id
        ),
        actual AS (  -- unauthorised sessions in every enrolment at the school, as the penalty list counts them
            SELECT p.enrolment_id, date_trunc('week', o.date)::DATE AS week_start, count(*) AS sessions
            FROM on_roll_sessions o
            JOIN pupil p ON o.school_id = p.school_id AND o.upn = p.upn
            JOIN now_week nw ON nw.school_id = p.school_id
            JOIN school s ON s.school_id = p.school_id
            WHERE o.unauthorised AND o.date BETWEEN ? AND ?
              AND o.date >= nw.first_week AND o.date <= s.as_of
            GROUP BY ALL
        ),
        -- Only pupils with an unauthorised session in the window or since half-term can reach it.
        pweeks AS (
            SELECT enrolment_id, week_start, sum(actual)::BIGINT AS actual, sum(future_days)::BIGINT AS future_days
            FROM (SELECT enrolment_id, week_start, sessions AS actual, 0 AS future_days FROM actual
                  UNION ALL
                  SELECT pf.enrolment_id, pf.week_start, 0, pf.days
                  FROM pfuture pf JOIN pupil p ON p.enrolment_id = pf.enrolment_id
                  WHERE p.r_unauth > 0)
            GROUP BY ALL
        ),
        -- In units of 1/r_possible session, so the projected counts stay whole numbers.
        rolling AS (
            SELECT pw.enrolment_id, pw.week_start, pw.future_days, w.week_no, nw.week_no AS now_no,
                   p.r_possible, p.r_unauth,
                   sum(pw.actual * p.r_possible + pw.future_days * {spd} * p.r_unauth) OVER win AS scaled,
                   sum(pw.actual) OVER win AS actual_window
            FROM pweeks pw JOIN pupil p USING (enrolment_id)
            JOIN weeks w ON w.school_id = p.school_id AND w.week_start = pw.week_start
            JOIN now_week nw ON nw.school_id = p.school_id
            WINDOW win AS (PARTITION BY pw.enrolment_id ORDER BY w.week_no
                           RANGE BETWEEN {PENALTY_WEEKS - 1} PRECEDING AND CURRENT ROW)
        ),
        penalty AS (
            SELECT enrolment_id,
                   max(actual_window) FILTER (WHERE week_no <= now_no AND week_no > now_no - {PENALTY_WEEKS})
                       >= {PENALTY_SESSIONS} AS reached,
                   max(actual_window) FILTER (WHERE week_no = now_no) AS last_weeks,
                   arg_min(week_start, week_no) FILTER (WHERE future_days > 0
                       AND scaled >= {PENALTY_SESSIONS} * r_possible) AS hit_week,
                   -- the days into that week: what the window still needs, at the pupil's daily rate
                   arg_min((({PENALTY_SESSIONS} * r_possible - (scaled - future_days * {spd} * r_unauth))
                            + {spd} * r_unauth - 1) // nullif({spd} * r_unauth, 0), week_no)
                       FILTER (WHERE future_days > 0 AND scaled >= {PENALTY_SESSIONS} * r_possible) AS hit_day
            FROM rolling GROUP BY enrolment_id
        ),
        hit AS (  -- that day: the pupil's hit_day-th school day of the week
            SELECT pe.enrolment_id, fd.day
            FROM penalty pe JOIN pupil p ON p.enrolment_id = pe.enrolment_id
            JOIN fdays fd ON fd.school_id = p.school_id AND date_trunc('week', fd.day)::DATE = pe.hit_week
            WHERE fd.day >= coalesce(p.admission_date, DATE '0001-01-01')
              AND fd.day <= coalesce(p.leaving_date, DATE '9999-12-31')
            QUALIFY row_number() OVER (PARTITION BY pe.enrolment_id ORDER BY fd.day) = greatest(pe.hit_day, 1)
        ),
        outlook AS (
            SELECT p.school_id, p.upn, pp.surname, pp.forename, pp.gender, e.year_group, e.form, e.academic_year,
                   p.admission_date, p.leaving_date, s.as_of, s.basis,
                   CASE WHEN s.basis = '{BASIS_CALENDAR}' THEN s.cal_end END AS year_end,
                   p.possible::BIGINT AS possible_sessions, p.absent::BIGINT AS absence_sessions,
                   p.unauthorised::BIGINT AS unauthorised_sessions,
                   100.0 * (p.possible - p.absent) / p.possible AS attendance_rate,
                   ({spd} * coalesce(l.days_left, 0))::BIGINT AS remaining_sessions,
                   coalesce(l.days_left, 0)::BIGINT AS remaining_days,
                   (p.possible + {spd} * coalesce(l.days_left, 0))::BIGINT AS year_end_sessions,
                   -- most still to miss and end strictly above the target: absent < limit x sessions
                   (ceil(round(? * (p.possible + {spd} * coalesce(l.days_left, 0)), 9)) - 1 - p.absent)::BIGINT
                       AS spare,
                   100.0 * (p.possible - p.absent + {spd} * coalesce(l.days_left, 0))
                       / (p.possible + {spd} * coalesce(l.days_left, 0)) AS best_attendance,
                   s.ht_start AS rate_from,
                   {rate_sql("p.r_abs", "p.r_possible")} AS absence_rate_since,
                   {rate_sql("p.r_unauth", "p.r_possible")} AS unauthorised_rate_since,
                   100.0 - 100.0 * (p.absent + 1.0 * p.r_abs / p.r_possible * {spd} * coalesce(l.days_left, 0))
                       / (p.possible + {spd} * coalesce(l.days_left, 0)) AS projected_attendance,
                   coalesce(pe.last_weeks, 0)::BIGINT AS unauthorised_last_weeks,
                   CASE WHEN pe.reached THEN 'reached' WHEN h.day IS NOT NULL THEN 'projected'
                        ELSE 'not this year' END AS penalty_status,
                   CASE WHEN NOT coalesce(pe.reached, FALSE) THEN h.day END AS penalty_date,
                   s.ht_start AS half_term_start, s.ht_end AS half_term_end,
                   coalesce(p.absent_since, 0) / {spd} AS half_term_days_off,
                   CASE WHEN s.ht_end > s.as_of OR s.basis = '{BASIS_CALENDAR}' THEN
                       least(greatest(floor(round(? * (coalesce(p.possible_since, 0)
                                                        + {spd} * coalesce(l.ht_days_left, 0)), 9))
                                      - coalesce(p.absent_since, 0), 0),
                             {spd} * coalesce(l.ht_days_left, 0)) / {spd}
                   END AS half_term_days_left
            FROM pupil p
            JOIN enrolments e ON e.enrolment_id = p.enrolment_id
            JOIN school s ON s.school_id = p.school_id
            LEFT JOIN pupils pp ON pp.school_id = p.school_id AND pp.upn = p.upn
            LEFT JOIN left_in l ON l.enrolment_id = p.enrolment_id
            LEFT JOIN penalty pe ON pe.enrolment_id = p.enrolment_id
            LEFT JOIN hit h ON h.enrolment_id = p.enrolment_id
        )
        SELECT * EXCLUDE (spare), ?::DOUBLE AS target,
               greatest(least(spare, remaining_sessions), 0)::BIGINT AS can_miss_sessions,
               greatest(least(spare, remaining_sessions), 0) / {spd} AS can_miss_days,
               spare < 0 AS cannot_avoid,
               spare >= remaining_sessions AS safe_whatever,
               CASE WHEN spare < 0 THEN 0 WHEN spare < remaining_sessions THEN spare // ?::BIGINT + 1 END AS bad_weeks_to_line
        FROM outlook
    """
    limit = (100.0 - float(target)) / 100.0
    return sql, [
        *params,
        *sm_params,
        since,
        date(year + 1, 8, 31),
        as_of,
        year,
        year,
        year,
        since,
        date(year + 1, 8, 31),
        limit,
        PERSISTENT_ABSENCE,
        float(target),
        int(bad_week),
    ]
